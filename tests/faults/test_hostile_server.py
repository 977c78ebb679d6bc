"""The crawler against a hostile server: every misbehaviour ends in a recorded outcome.

Nothing is lost (one fetch record per source, the run closed), nothing duplicated, no
traceback, and the metadata service behind the public host is never reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.config import Config
from crawler.registry import load_sources
from crawler.runner import CrawlSummary, crawl_in_child, prepare
from storage.db import Database
from storage.models import CrawlRun, ExtractionRecord, FetchAttempt, Snapshot
from tests.faults.helpers import duplicate_runs
from tests.faults.hostile import BEHAVIOURS, Hostile
from tests.support.crawling import FAST, source, write_registry

# What each misbehaviour must end as: the fetch's error kind, or for a stored version its
# extraction outcome. Never lost, never a traceback; a good outcome only for readable policies.
EXPECTED: dict[str, str] = {
    "/ok": "new_version (ok)",
    "/slowloris": "timeout",
    "/stall-headers": "timeout",
    "/truncated": "connection",
    "/short-length": "new_version (empty_shell)",  # cut at its Content-Length: quarantined
    "/no-length": "new_version (ok)",
    "/close-at-once": "connection",
    "/reset": "connection",
    "/garbage-status": "connection",
    "/not-http": "connection",
    "/bad-chunking": "connection",
    "/chunk-truncated": "connection",
    "/huge-headers": "new_version (ok)",
    "/huge-length": "too_large",
    "/gzip-bomb": "too_large",
    "/bad-gzip": "other",
    "/storm-503": "http_5xx",
    "/retry-after-huge": "http_5xx",
    "/429": "http_4xx",
    "/401": "http_4xx",
    "/redirect-loop-a": "redirects",
    "/chain/0": "redirects",
    "/redirect-internal": "blocked",
    "/redirect-internal-mapped": "blocked",
    "/refresh-internal": "blocked",
    "/redirect-ftp": "http_4xx",
    "/redirect-bad-port": "other",
    "/binary-as-html": "new_version (unparseable)",
    "/nul-html": "new_version (unparseable)",
    "/bogus-charset": "new_version (ok)",
    "/pdf-that-is-html": "new_version (ok)",
    "/broken-pdf": "new_version (unparseable)",
    "/json-bomb": "new_version (unparseable)",
    "/deep-nesting": "new_version (empty_shell)",  # recorded and quarantined, never "no drug"
    "/empty-200": "new_version (unparseable)",
    "/304-first": "not_modified",
    "/latin1-header": "new_version (ok)",
}


@pytest.fixture(scope="module")
def hostile() -> Iterator[Hostile]:
    with Hostile("127.0.0.2") as internal, Hostile("127.0.0.1") as public:
        public.internal = internal
        yield public


def _crawl(hostile: Hostile, tmp_path: Path, db_url: str) -> CrawlSummary:
    paths = [p for p in BEHAVIOURS if p != "/redirect-loop-b"]
    registry = write_registry(
        tmp_path / "hostile.toml",
        [
            source(f"h{i:02d}-{p.strip('/').replace('/', '-')}", hostile.url(p))
            for i, p in enumerate(paths)
        ],
    )
    cfg = Config(database=db_url)
    cfg.crawl.download_delay = 0.0
    cfg.crawl.timeout = 2.0
    cfg.crawl.retries = 1
    cfg.crawl.max_bytes = 5 * 1024 * 1024
    cfg.crawl.log_file = str(tmp_path / "crawl.log")
    ids = prepare(cfg, load_sources([registry]))
    return crawl_in_child(
        cfg,
        ids,
        **FAST,
        POLICYWATCH_RETRY_BACKOFF_MAX=0.5,
        # 127.0.0.1 plays the public internet here; 127.0.0.2 the internal network.
        POLICYWATCH_INTERNAL_NETWORKS=["127.0.0.2/32"],
        CONCURRENT_REQUESTS_PER_DOMAIN=8,
    )


def test_every_misbehaviour_ends_in_a_recorded_outcome(
    hostile: Hostile, tmp_path: Path, sqlite_url: str
) -> None:
    summary = _crawl(hostile, tmp_path, sqlite_url)
    db = Database(sqlite_url)
    with db.session() as s:
        attempts = {a.url: a for a in s.scalars(select(FetchAttempt))}
        run = s.scalars(select(CrawlRun)).one()
        outcomes = {
            snap.requested_url: ext.outcome
            for snap, ext in s.execute(
                select(Snapshot, ExtractionRecord).join(
                    ExtractionRecord, ExtractionRecord.snapshot_id == Snapshot.id
                )
            )
        }
    got = {}
    for path in BEHAVIOURS:
        if path == "/redirect-loop-b":
            continue
        a = attempts.get(hostile.url(path))
        assert a is not None, f"{path}: no fetch record (lost)"
        got[path] = a.error_kind or a.result
        if a.result == "new_version":
            assert hostile.url(path) in outcomes, f"{path}: stored without an extraction outcome"
            got[path] += f" ({outcomes[hostile.url(path)]})"
    assert run.status == "finished"
    assert not summary.missing
    assert got == EXPECTED
    assert hostile.internal is not None and hostile.internal.hits == []  # never reached
    assert duplicate_runs(db) == 0
    db.dispose()


def test_the_crawl_takes_bounded_time_despite_stalls_and_retry_after(
    hostile: Hostile, tmp_path: Path, sqlite_url: str
) -> None:
    """Slowloris, stalled headers and Retry-After: 999999999 do not hold the crawl hostage."""
    import time

    started = time.monotonic()
    _crawl(hostile, tmp_path, sqlite_url)
    assert time.monotonic() - started < 120
