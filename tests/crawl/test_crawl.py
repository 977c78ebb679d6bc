"""The crawler end to end: real Scrapy against a real HTTP server on 127.0.0.1, real databases."""

from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy import func, select

from crawler.config import Config
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import Blob, FetchAttempt, Snapshot, Source
from tests.support.crawling import crawl, source, write_registry
from tests.support.samples import SAMPLE_HTML, SAMPLE_JSON, sample_pdf


def _count(db: Database, model: type, **where: object) -> int:
    with db.session() as s:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int(s.execute(stmt).scalar_one())


def _config(fast_config: Config, db_url: str) -> Config:
    fast_config.database = db_url
    return fast_config


def _three_sources(site: LocalSite, tmp_path: Path) -> Path:
    site.set("/policy.html", SAMPLE_HTML)
    site.set("/policy.pdf", sample_pdf(), content_type="application/pdf")
    site.set("/api/article.json", SAMPLE_JSON, content_type="application/json")
    return write_registry(
        tmp_path / "sources.toml",
        [
            source("html-policy", site.url("/policy.html")),
            source("pdf-policy", site.url("/policy.pdf")),
            source("cms-article", site.url("/api/article.json"), plan_type="medicare"),
        ],
    )


def test_first_crawl_stores_one_version_per_source_then_recrawl_stores_none(
    site: LocalSite, tmp_path: Path, fast_config: Config, db_url: str
) -> None:
    cfg = _config(fast_config, db_url)
    registry = _three_sources(site, tmp_path)

    first = crawl(cfg, registry)
    assert (first.new_versions, first.unchanged, first.failed) == (3, 0, 0)
    db = Database(db_url)
    assert _count(db, Snapshot) == 3
    with db.session() as s:
        pdf = s.scalars(select(Snapshot).where(Snapshot.source_id == "pdf-policy")).one()
        assert pdf.content_type == "application/pdf"
        assert pdf.etag and pdf.last_modified

    second = crawl(cfg, registry)
    assert (second.new_versions, second.unchanged, second.failed) == (0, 3, 0)
    assert _count(db, Snapshot) == 3
    # The recrawl was conditional and the server answered 304.
    assert all("If-None-Match" in h for h in site.hits("/policy.html")[1:])
    assert _count(db, FetchAttempt, result="not_modified") == 3
    db.dispose()


def test_identical_body_without_validators_is_unchanged(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    cfg = _config(fast_config, sqlite_url)
    site.set("/p.html", SAMPLE_HTML, validators=False)
    registry = write_registry(tmp_path / "s.toml", [source("doc-p", site.url("/p.html"))])
    crawl(cfg, registry)
    again = crawl(cfg, registry)
    assert (again.new_versions, again.unchanged) == (0, 1)
    db = Database(sqlite_url)
    assert _count(db, Snapshot) == 1
    assert _count(db, FetchAttempt, result="unchanged") == 1


def test_changed_document_yields_exactly_one_new_version(
    site: LocalSite, tmp_path: Path, fast_config: Config, db_url: str
) -> None:
    cfg = _config(fast_config, db_url)
    registry = _three_sources(site, tmp_path)
    crawl(cfg, registry)
    site.set("/policy.html", SAMPLE_HTML.replace("two (2)", "three (3)"))
    result = crawl(cfg, registry)
    assert (result.new_versions, result.unchanged) == (1, 2)
    db = Database(db_url)
    assert _count(db, Snapshot, source_id="html-policy") == 2
    assert _count(db, Snapshot, source_id="pdf-policy") == 1
    db.dispose()


def test_identical_bodies_are_stored_once(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    cfg = _config(fast_config, sqlite_url)
    site.set("/a.html", SAMPLE_HTML)
    site.set("/b.html", SAMPLE_HTML)
    registry = write_registry(
        tmp_path / "s.toml",
        [source("doc-a", site.url("/a.html")), source("doc-b", site.url("/b.html"))],
    )
    crawl(cfg, registry)
    db = Database(sqlite_url)
    assert _count(db, Snapshot) == 2
    assert _count(db, Blob) == 1


def test_redirect_keeps_the_source_history_and_final_url(
    site: LocalSite, tmp_path: Path, fast_config: Config, db_url: str
) -> None:
    cfg = _config(fast_config, db_url)
    site.set("/old/policy.html", SAMPLE_HTML)
    registry = write_registry(tmp_path / "s.toml", [source("moving", site.url("/old/policy.html"))])
    crawl(cfg, registry)
    site.redirect("/old/policy.html", site.url("/new/policy.html"))
    site.set("/new/policy.html", SAMPLE_HTML.replace("<footer>", "<footer>New site. "))
    result = crawl(cfg, registry)
    assert result.new_versions == 1
    db = Database(db_url)
    with db.session() as s:
        snaps = s.scalars(
            select(Snapshot).where(Snapshot.source_id == "moving").order_by(Snapshot.id)
        ).all()
        assert [sn.final_url for sn in snaps] == [
            site.url("/old/policy.html"),
            site.url("/new/policy.html"),
        ]
        assert snaps[1].requested_url == site.url("/old/policy.html")
        assert snaps[1].redirects == [
            {
                "status": 301,
                "from": site.url("/old/policy.html"),
                "to": site.url("/new/policy.html"),
            }
        ]
    db.dispose()


def test_edited_registry_url_keeps_history(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    cfg = _config(fast_config, sqlite_url)
    site.set("/v1.html", SAMPLE_HTML)
    site.set("/v2.html", SAMPLE_HTML + "<!-- moved -->")
    crawl(cfg, write_registry(tmp_path / "a.toml", [source("doc", site.url("/v1.html"))]))
    crawl(cfg, write_registry(tmp_path / "b.toml", [source("doc", site.url("/v2.html"))]))
    db = Database(sqlite_url)
    assert _count(db, Snapshot, source_id="doc") == 2
    # No validators from the old URL were sent to the new one.
    assert "If-None-Match" not in site.hits("/v2.html")[0]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_failures_are_recorded_per_source_and_the_rest_is_stored(
    site: LocalSite, tmp_path: Path, fast_config: Config, db_url: str
) -> None:
    cfg = _config(fast_config, db_url)
    cfg.crawl.timeout = 1.0
    cfg.crawl.retries = 0
    cfg.crawl.max_bytes = 100_000
    site.set("/ok.html", SAMPLE_HTML)
    site.set("/broken.html", "boom", status=500)
    site.set("/gone.html", "gone", status=404)
    site.set("/slow.html", SAMPLE_HTML, delay=3.0)
    site.set("/huge.pdf", b"%PDF-1.4 " + b"0" * 200_000, content_type="application/pdf")
    site.set("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.set("/private/policy.html", SAMPLE_HTML)
    registry = write_registry(
        tmp_path / "s.toml",
        [
            source("ok-page", site.url("/ok.html")),
            source("server-error", site.url("/broken.html")),
            source("not-found", site.url("/gone.html")),
            source("slow", site.url("/slow.html")),
            source("huge", site.url("/huge.pdf")),
            source("robots", site.url("/private/policy.html")),
            source("refused", f"http://127.0.0.1:{_closed_port()}/x.html"),
            source("no-dns", "http://policy.nonexistent.invalid/x.html"),
        ],
    )
    result = crawl(cfg, registry)
    assert (result.new_versions, result.failed) == (1, 7)
    kinds = {f["source_id"]: f["kind"] for f in result.failures}
    assert kinds == {
        "server-error": "http_5xx",
        "not-found": "http_4xx",
        "slow": "timeout",
        "huge": "too_large",
        "robots": "robots",
        "refused": "refused",
        "no-dns": "dns",
    }
    db = Database(db_url)
    with db.session() as s:
        assert s.get(Source, "refused").consecutive_failures == 1  # type: ignore[union-attr]
        assert s.get(Source, "ok-page").consecutive_failures == 0  # type: ignore[union-attr]
    assert _count(db, Snapshot) == 1

    again = crawl(cfg, registry)
    assert again.failed == 7
    with db.session() as s:
        assert s.get(Source, "refused").consecutive_failures == 2  # type: ignore[union-attr]
        assert s.get(Source, "ok-page").last_error_kind is None  # type: ignore[union-attr]
    assert _count(db, Snapshot) == 1  # failures never add versions nor touch history
    db.dispose()


def test_retries_back_off_and_honour_retry_after(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    cfg = _config(fast_config, sqlite_url)
    cfg.crawl.retries = 2
    site.set("/busy.html", SAMPLE_HTML, fail_status=429, fail_times=1, headers={"Retry-After": "1"})
    site.set("/flaky.html", SAMPLE_HTML, fail_status=503, fail_times=2)
    registry = write_registry(
        tmp_path / "s.toml",
        [source("busy", site.url("/busy.html")), source("flaky", site.url("/flaky.html"))],
    )
    result = crawl(cfg, registry)
    assert (result.new_versions, result.failed) == (2, 0)
    assert len(site.hits("/busy.html")) == 2
    assert len(site.hits("/flaky.html")) == 3


def _die() -> None:
    import os

    os._exit(9)  # as an OOM kill or a crash in a C library would: no result, no exception


def test_a_child_that_dies_is_an_error_not_a_hang() -> None:
    import pytest

    from crawler.runner import CrawlError, in_child

    with pytest.raises(CrawlError, match="exit code 9"):
        in_child(_die)


def test_a_changed_document_is_stored_as_a_delta_against_its_previous_version(
    site: LocalSite, tmp_path: Path, fast_config: Config, db_url: str
) -> None:
    from storage.blobs import read_blob

    cfg = _config(fast_config, db_url)
    registry = _three_sources(site, tmp_path)
    crawl(cfg, registry)
    changed = SAMPLE_HTML.replace("two (2)", "three (3)")
    site.set("/policy.html", changed)
    crawl(cfg, registry)
    db = Database(db_url)
    with db.session() as s:
        old, new = s.scalars(
            select(Snapshot.sha256).where(Snapshot.source_id == "html-policy").order_by(Snapshot.id)
        ).all()
        blob = s.get(Blob, new)
        assert blob is not None
        assert (blob.compression, blob.base_sha256) == ("zstd-delta", old)
        assert read_blob(s, new) == changed.encode()
    db.dispose()
