"""An unchanged cycle (304, or the same bytes again) costs a fetch record and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from crawler.config import Config
from monitor.changes import run_diff
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import Base, FetchAttempt, Source
from tests.support.crawling import crawl, source, write_registry
from tests.support.samples import SAMPLE_HTML, SAMPLE_JSON, sample_pdf


def _rows(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {
            t.name: int(s.execute(select(func.count()).select_from(t)).scalar_one())
            for t in Base.metadata.sorted_tables
        }


def _health(db: Database) -> list[tuple[object, ...]]:
    with db.session() as s:
        return [
            (r.id, r.consecutive_failures, r.health, r.last_error_kind, r.last_diffed_snapshot_id)
            for r in s.scalars(select(Source).order_by(Source.id))
        ]


def test_unchanged_cycle_writes_only_fetch_records(
    site: LocalSite, tmp_path: Path, fast_config: Config, db_url: str
) -> None:
    fast_config.database = db_url
    site.set("/policy.html", SAMPLE_HTML)  # answers 304 to a conditional request
    site.set("/policy.pdf", sample_pdf(), content_type="application/pdf")
    site.set("/plain.html", SAMPLE_HTML.replace("Evergreen", "Plain"), validators=False)
    site.set("/api/article.json", SAMPLE_JSON, content_type="application/json", validators=False)
    registry = write_registry(
        tmp_path / "s.toml",
        [
            source("html-304", site.url("/policy.html")),
            source("pdf-304", site.url("/policy.pdf")),
            source("html-same-bytes", site.url("/plain.html")),
            source("json-same-bytes", site.url("/api/article.json"), plan_type="medicare"),
        ],
    )
    first = crawl(fast_config, registry)
    assert first.new_versions == 4
    db = Database(db_url)
    run_diff(db, now=datetime.now(UTC))
    before, health = _rows(db), _health(db)

    again = crawl(fast_config, registry)
    assert (again.new_versions, again.unchanged, again.failed) == (0, 4, 0)
    stats = run_diff(db, now=datetime.now(UTC))
    after = _rows(db)

    assert (stats.sources, stats.versions, stats.events) == (0, 0, [])
    grown = {name: after[name] - before[name] for name in before if after[name] != before[name]}
    # One fetch record per source and the run they belong to; no snapshot, blob, extraction,
    # event, quarantine or notification.
    assert grown == {"fetch_attempts": 4, "crawl_runs": 1}
    assert _health(db) == health
    with db.session() as s:
        results = sorted(
            s.scalars(select(FetchAttempt.result).where(FetchAttempt.snapshot_id.is_(None)))
        )
    assert results == ["not_modified", "not_modified", "unchanged", "unchanged"]
    db.dispose()
