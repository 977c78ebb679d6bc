"""Extraction in worker processes: same results as in the crawl process, and a worker that dies
or a corrupt document costs one source its extraction, never the run."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.config import Config
from crawler.extract.record import from_record
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import ExtractionRecord, Snapshot, Source
from tests.crawl import waiting_extractor
from tests.crawl.crashing_extractor import MARK, STUCK
from tests.support.crawling import crawl, source, write_registry
from tests.support.samples import SAMPLE_HTML, SAMPLE_JSON, sample_pdf

CRASHING = "tests.crawl.crashing_extractor.extract"


def _site(site: LocalSite, tmp_path: Path, *, crash: bool = False, stuck: bool = False) -> Path:
    entries = []
    for i in range(6):
        site.set(f"/p{i}.html", SAMPLE_HTML.replace("</body>", f"<p>page {i}</p></body>"))
        entries.append(source(f"page-{i}", site.url(f"/p{i}.html")))
    site.set("/mac.json", SAMPLE_JSON, content_type="application/json")
    site.set("/plan.pdf", sample_pdf(), content_type="application/pdf")
    site.set(
        "/corrupt.pdf",
        b"%PDF-1.7\n1 0 obj <</Type/Catalog>> garbage\n%%EOF",
        content_type="application/pdf",
    )
    entries += [
        source("mac-json", site.url("/mac.json"), format="json"),
        source("plan-pdf", site.url("/plan.pdf"), format="pdf"),
        source("corrupt-pdf", site.url("/corrupt.pdf"), format="pdf"),
    ]
    if crash:
        site.set("/crash.html", SAMPLE_HTML.replace("</body>", MARK.decode() + "</body>"))
        entries.append(source("crash-page", site.url("/crash.html")))
    if stuck:
        site.set("/stuck.html", SAMPLE_HTML.replace("</body>", STUCK.decode() + "</body>"))
        entries.append(source("stuck-page", site.url("/stuck.html")))
    return write_registry(tmp_path / "sources.toml", entries)


def _extractions(db_url: str) -> dict[str, tuple[str, str, Any]]:
    db = Database(db_url)
    try:
        with db.session() as s:
            rows = s.execute(
                select(Snapshot.source_id, ExtractionRecord).join(
                    ExtractionRecord, ExtractionRecord.snapshot_id == Snapshot.id
                )
            ).all()
            found = {}
            for sid, r in rows:
                ext = from_record(r.record)
                found[sid] = (r.outcome, ext.message, (r.record, r.summary, r.fingerprint))
            return found
    finally:
        db.dispose()


def test_the_pool_extracts_exactly_what_the_crawl_process_does(
    site: LocalSite, tmp_path: Path, fast_config: Config
) -> None:
    registry = _site(site, tmp_path)
    found = {}
    for workers in (2, 0):
        fast_config.database = f"sqlite:///{tmp_path / f'w{workers}.sqlite'}"
        summary = crawl(fast_config, registry, POLICYWATCH_EXTRACT_WORKERS=workers)
        assert (summary.new_versions, summary.failed) == (9, 0)
        found[workers] = _extractions(fast_config.database)
    assert found[2] == found[0]
    assert found[2]["plan-pdf"][0] == "ok"
    assert found[2]["page-0"][0] == "ok"
    assert found[2]["corrupt-pdf"][0] == "unparseable"


def test_a_dying_worker_costs_only_its_own_document(
    site: LocalSite, tmp_path: Path, fast_config: Config
) -> None:
    fast_config.database = f"sqlite:///{tmp_path / 'pw.sqlite'}"
    registry = _site(site, tmp_path, crash=True)
    summary = crawl(
        fast_config,
        registry,
        POLICYWATCH_EXTRACTOR=CRASHING,
        POLICYWATCH_EXTRACT_WORKERS=2,
        CONCURRENT_REQUESTS=16,
    )
    # Every fetch is stored; the run is not failed by a parser crash.
    assert (summary.new_versions, summary.failed, summary.status) == (10, 0, "finished")
    found = _extractions(fast_config.database)
    outcome, message, _ = found["crash-page"]
    assert outcome == "unparseable"
    assert "extractor process died" in message
    # Its neighbours, in flight when the pool broke, were extracted again, alone.
    assert {sid: o for sid, (o, _, _) in found.items() if sid.startswith("page-")} == {
        f"page-{i}": "ok" for i in range(6)
    }
    assert found["plan-pdf"][0] == "ok"
    db = Database(fast_config.database)
    with db.session() as s:
        crashed = s.get(Source, "crash-page")
        assert crashed is not None
        assert (crashed.consecutive_failures, crashed.last_error_kind) == (1, "unparseable")
        assert s.get(Source, "page-0").consecutive_failures == 0  # type: ignore[union-attr]
    db.dispose()


def test_an_extraction_that_never_ends_is_stopped_and_recorded(
    site: LocalSite, tmp_path: Path, fast_config: Config
) -> None:
    fast_config.database = f"sqlite:///{tmp_path / 'pw.sqlite'}"
    registry = _site(site, tmp_path, stuck=True)
    summary = crawl(
        fast_config,
        registry,
        POLICYWATCH_EXTRACTOR=CRASHING,
        POLICYWATCH_EXTRACT_WORKERS=2,
        POLICYWATCH_EXTRACT_TIMEOUT=1.5,
    )
    assert (summary.new_versions, summary.failed, summary.status) == (10, 0, "finished")
    found = _extractions(fast_config.database)
    outcome, message, _ = found["stuck-page"]
    assert outcome == "unparseable"
    assert message == "extraction took longer than 1.5 s and was stopped"
    assert all(o == "ok" for sid, (o, _, _) in found.items() if sid.startswith("page-"))


def test_downloads_go_on_while_a_page_is_parsed(
    site: LocalSite, tmp_path: Path, fast_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parse that lasts until every other page was requested: with the pool, it ends."""
    sentinel = tmp_path / "all-requested"
    monkeypatch.setenv(waiting_extractor.SENTINEL, str(sentinel))
    paths = [f"/p{i}.html" for i in range(8)]
    held = paths[2]
    for path in paths:
        extra = waiting_extractor.MARK.decode() if path == held else path
        site.set(path, SAMPLE_HTML.replace("</body>", f"<p>{extra}</p></body>"))
    entries = [source(f"page-{i}", site.url(p)) for i, p in enumerate(paths)]
    registry = write_registry(tmp_path / "sources.toml", entries)
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            if all(site.hits(p) for p in paths):
                sentinel.touch()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    fast_config.database = f"sqlite:///{tmp_path / 'pw.sqlite'}"
    try:
        summary = crawl(
            fast_config,
            registry,
            POLICYWATCH_EXTRACTOR="tests.crawl.waiting_extractor.extract",
            POLICYWATCH_EXTRACT_WORKERS=2,
        )
    finally:
        done.set()
    order = [p for p, _ in site.requests if p in paths]
    assert order.index(held) < len(order) - 1  # other pages were still to fetch after it
    assert sentinel.with_suffix(".verdict").read_text() == "downloads went on"
    assert (summary.new_versions, summary.failed) == (8, 0)


def test_crawl_extract_workers_in_the_config_sizes_the_pool(tmp_path: Path) -> None:
    from crawler.config import ConfigError, load_config
    from crawler.runner import scrapy_settings

    assert scrapy_settings(Config(), [])["POLICYWATCH_EXTRACT_WORKERS"] == -1  # one per core
    path = tmp_path / "policywatch.toml"
    path.write_text("[crawl]\nextract_workers = 0\n")
    assert scrapy_settings(load_config(path, env={}), [])["POLICYWATCH_EXTRACT_WORKERS"] == 0
    path.write_text('[crawl]\nextract_workers = "all"\n')
    with pytest.raises(ConfigError, match="extract_workers"):
        load_config(path, env={})
