"""Defect 2: two cycles at once lose or duplicate nothing; runs and exit codes tell the truth."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from crawler.items import FetchResult
from crawler.pipelines.store import StorePipeline
from crawler.registry import load_sources
from crawler.runner import prepare
from monitor.locks import CycleBusy, exclusive
from monitor.sites.localsite import LocalSite
from storage.blobs import put_blob, sha256_hex
from storage.db import Database
from storage.locks import database_lock
from storage.models import Blob, CrawlRun, FetchAttempt, Snapshot
from tests.faults.helpers import count, duplicate_runs, fast_config, pw, pw_cmd
from tests.support.crawling import source, write_registry
from tests.support.samples import SAMPLE_HTML

N_SOURCES = 40


def _many(site: LocalSite, tmp_path: Path) -> Path:
    entries = []
    for i in range(N_SOURCES):
        # Half share one body: identical bytes for different sources, stored once.
        body = SAMPLE_HTML if i % 2 else SAMPLE_HTML.replace("</body>", f"<p>n{i}</p></body>")
        site.set(f"/p{i}.html", body)
        entries.append(source(f"policy-{i:03d}", site.url(f"/p{i}.html")))
    return write_registry(tmp_path / "sources.toml", entries)


def test_put_blob_twice_is_one_row(db_url: str) -> None:
    db = Database(db_url)
    body = b"same bytes"
    with db.session() as s:
        put_blob(s, body)
        put_blob(s, body)
    with db.session() as s:  # a second transaction, as a second writer would
        put_blob(s, body)
    assert count(db, Blob) == 1
    db.dispose()


@pytest.mark.e2e
def test_two_crawls_at_once_store_each_version_once(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    """Two `policywatch crawl` processes started together: one runs, the other is refused in
    one line; the versions are stored exactly once; the refused one exits non-zero."""
    registry = _many(site, tmp_path)
    cfg = fast_config(tmp_path / "policywatch.toml")
    args = ("crawl", "--config", str(cfg), "--db", db_url, "--sources", str(registry))
    procs = [
        subprocess.Popen(pw_cmd(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    db = Database(db_url)
    assert count(db, Snapshot) == N_SOURCES
    assert duplicate_runs(db) == 0
    assert count(db, Blob) == N_SOURCES // 2 + 1
    if codes == [0, 1]:  # they overlapped: the loser says so in one line
        loser = next(o for p, o in zip(procs, outs, strict=True) if p.returncode == 1)
        assert "another policywatch cycle" in loser[1]
        assert "Traceback" not in loser[1]
    else:  # the first finished before the second started: it found nothing new
        assert codes == [0, 0]
    db.dispose()


@pytest.mark.e2e
def test_overlapping_writers_without_the_lock_still_store_once(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    """Even past the lock (two hosts, a misconfiguration), the writes themselves are idempotent:
    on PostgreSQL the old check-then-insert lost whole batches to UniqueViolation."""
    from crawler.config import Config
    from crawler.runner import crawl_here

    registry = _many(site, tmp_path)
    cfg = Config(database=db_url)
    cfg.crawl.download_delay = 0.0
    ids = prepare(cfg, load_sources([registry]))
    script = (
        "import sys; from crawler.config import Config; from crawler.runner import crawl_here\n"
        f"cfg = Config(database={db_url!r}); cfg.crawl.download_delay = 0.0\n"
        f"cfg.crawl.log_file = {str(tmp_path / 'c.log')!r}\n"
        f"s = crawl_here(cfg, {ids!r}, AUTOTHROTTLE_ENABLED=False)\n"
        "print(s.new_versions, s.unchanged, s.failed, len(s.missing), s.status)\n"
    )
    assert crawl_here  # the function the children run
    procs = [
        subprocess.Popen(
            [__import__("sys").executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    new = sum(int(o[0]) for o in outs)
    unchanged = sum(int(o[1]) for o in outs)
    assert new == N_SOURCES  # each version counted once, by whichever stored it
    assert new + unchanged == 2 * N_SOURCES
    assert all(o[2] == "0" and o[3] == "0" and o[4] == "finished" for o in outs)
    db = Database(db_url)
    assert count(db, Snapshot) == N_SOURCES
    assert duplicate_runs(db) == 0
    assert count(db, FetchAttempt) == 2 * N_SOURCES
    db.dispose()


def test_the_lock_refuses_a_second_holder_and_closes_stale_runs(db_url: str) -> None:
    from crawler.config import Config

    cfg = Config(database=db_url)
    db = Database(db_url)
    with db.session() as s:
        s.add(CrawlRun(started_at=datetime.now(UTC), status="running"))
    with exclusive(cfg) as closed:
        assert len(closed) == 1
        with pytest.raises(CycleBusy, match="another policywatch cycle"), exclusive(cfg):
            pass
    with exclusive(cfg) as closed_again:
        assert closed_again == []
    with db.session() as s:
        run = s.query(CrawlRun).one()
        assert (run.status, run.finished_at is not None) == ("interrupted", True)
    db.dispose()


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["run", "crawl", "diff", "reextract"])
def test_every_writing_command_takes_the_lock(
    command: str, site: LocalSite, tmp_path: Path, sqlite_url: str
) -> None:
    site.set("/a.html", SAMPLE_HTML)
    registry = write_registry(tmp_path / "s.toml", [source("one-source", site.url("/a.html"))])
    cfg = fast_config(tmp_path / "policywatch.toml")
    db = Database(sqlite_url)
    with database_lock(db.engine) as held:
        assert held
        proc = pw(command, "--config", str(cfg), "--db", sqlite_url, "--sources", str(registry))
    assert proc.returncode == 1
    assert "another policywatch cycle is running" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert count(db, Snapshot) == 0
    db.dispose()


@pytest.mark.e2e
def test_run_honours_the_redis_lock_url(
    redis_url: str,
    site: LocalSite,
    tmp_path: Path,
    sqlite_url: str,
) -> None:
    from monitor.locks import cycle_lock

    site.set("/a.html", SAMPLE_HTML)
    registry = write_registry(tmp_path / "s.toml", [source("one-source", site.url("/a.html"))])
    secret_url = redis_url.replace("redis://", "redis://:hunter2@", 1)
    cfg = fast_config(tmp_path / "policywatch.toml", schedule__lock_url=f'"{redis_url}"')
    with cycle_lock(redis_url, ttl=60) as held:
        assert held
        proc = pw("run", "--config", str(cfg), "--db", sqlite_url, "--sources", str(registry))
    assert proc.returncode == 1
    assert "holds the lock" in proc.stderr
    # A password in lock_url is never printed.
    cfg2 = fast_config(tmp_path / "policywatch2.toml", schedule__lock_url=f'"{secret_url}"')
    proc = pw("crawl", "--config", str(cfg2), "--db", sqlite_url, "--sources", str(registry))
    assert "hunter2" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_failed_batch_is_retried_per_item_and_never_counted_as_stored(db_url: str) -> None:
    db = Database(db_url)
    from crawler.config import Config

    registry_src = source("good-source", "http://127.0.0.1:9/x")
    cfg = Config(database=db_url)
    prepare(cfg, [load_sources_from(registry_src)])
    crawler = get_crawler(settings_dict={"POLICYWATCH_DB_URL": db_url})
    crawler.stats.open_spider()
    pipe = StorePipeline(crawler)
    pipe.open_spider()
    now = datetime.now(UTC)
    good = FetchResult(source_id="good-source", url="http://127.0.0.1:9/x", started_at=now)
    good.body, good.sha256, good.is_new = b"<html>v1</html>", sha256_hex(b"<html>v1</html>"), True
    # A source id the database does not know: its row violates a foreign key.
    bad = FetchResult(source_id=f"ghost-{uuid.uuid4().hex[:6]}", url="http://x/", started_at=now)
    bad.body, bad.sha256, bad.is_new = b"ghost", sha256_hex(b"ghost"), True
    asyncio.run(pipe.process_item(good))
    asyncio.run(pipe.process_item(bad))
    pipe.close_spider()
    assert pipe.counts == {"new_versions": 1, "unchanged": 0, "failed": 0}
    assert pipe.unstored == [bad.source_id]
    db = Database(db_url)
    with db.session() as s:
        run = s.get(CrawlRun, pipe.run_id)
        assert run is not None
        assert (run.status, run.new_versions, run.failed) == ("failed", 1, 1)
    assert count(db, Snapshot) == 1
    db.dispose()


def load_sources_from(entry: dict[str, str]) -> object:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return load_sources([write_registry(Path(tmp) / "s.toml", [entry])])[0]


def test_the_store_step_holds_a_bounded_number_of_bytes(db_url: str) -> None:
    """Defect 4: bodies were kept until 200 items accumulated (757 MB for 24 pages of 20 MiB)."""
    from crawler.config import Config

    cfg = Config(database=db_url)
    entries = [source(f"big-{i:02d}", f"http://127.0.0.1:9/{i}") for i in range(6)]
    prepare(cfg, [load_sources_from(e) for e in entries])  # type: ignore[misc]
    limit = 3 * 1024 * 1024
    crawler = get_crawler(
        settings_dict={"POLICYWATCH_DB_URL": db_url, "POLICYWATCH_BATCH_BYTES": limit}
    )
    crawler.stats.open_spider()
    pipe = StorePipeline(crawler)
    pipe.open_spider()
    items = []
    for i in range(6):
        body = bytes([65 + i]) * (2 * 1024 * 1024)
        item = FetchResult(source_id=f"big-{i:02d}", url="http://x/", started_at=datetime.now(UTC))
        item.body, item.sha256, item.is_new = body, sha256_hex(body), True
        asyncio.run(pipe.process_item(item))
        items.append(item)
        assert pipe.buffered_bytes <= limit
        assert len(pipe.pending) <= 2  # batches handed to the writer thread, not yet written
    pipe.close_spider()
    assert all(i.body == b"" for i in items)  # released once written
    assert pipe.counts["new_versions"] == 6
    db = Database(db_url)
    assert count(db, Snapshot) == 6
    db.dispose()
