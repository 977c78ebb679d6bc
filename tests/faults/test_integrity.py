"""Defect 8: integrity checked on every read, `db check`, and backups that round-trip exactly."""

from __future__ import annotations

import sqlite3
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from crawler.config import Config
from monitor.sites.localsite import LocalSite
from storage.backup import tables
from storage.blobs import sha256_hex
from storage.db import Database
from storage.models import Blob, CrawlRun, ExtractionRecord, Snapshot
from tests.faults.helpers import fast_config, pw
from tests.support.crawling import crawl, source, write_registry
from tests.support.samples import SAMPLE_HTML, SAMPLE_JSON, sample_pdf


def _history(site: LocalSite, tmp_path: Path, db_url: str) -> Path:
    """A real crawled history: three sources, one of them changed once."""
    cfg = Config(database=db_url)
    cfg.crawl.download_delay = 0.0
    cfg.crawl.log_file = str(tmp_path / "crawl.log")
    site.set("/a.html", SAMPLE_HTML)
    site.set("/b.pdf", sample_pdf(), content_type="application/pdf")
    site.set("/c.json", SAMPLE_JSON, content_type="application/json")
    registry = write_registry(
        tmp_path / "s.toml",
        [
            source("html-one", site.url("/a.html")),
            source("pdf-one", site.url("/b.pdf")),
            source("json-one", site.url("/c.json"), plan_type="medicare"),
        ],
    )
    crawl(cfg, registry)
    site.set("/a.html", SAMPLE_HTML.replace("</body>", "<p>Revised.</p></body>"))
    crawl(cfg, registry)
    return registry


def _tamper(db_url: str, source_id: str) -> int:
    db = Database(db_url)
    with db.session() as s:
        snap = s.scalars(select(Snapshot).where(Snapshot.source_id == source_id)).first()
        assert snap is not None
        s.execute(
            update(Blob)
            .where(Blob.sha256 == snap.sha256)
            .values(data=zlib.compress(b"<html>forged coverage</html>"))
        )
        sid = snap.id
    db.dispose()
    return sid


@pytest.mark.e2e
def test_tampered_blob_is_an_error_for_that_snapshot_only(
    site: LocalSite, tmp_path: Path, sqlite_url: str
) -> None:
    _history(site, tmp_path, sqlite_url)
    # A source with one version: html-one's first body is the base of its second (a delta),
    # so damaging it damages both (see tests/faults/test_blob_deltas.py).
    bad = _tamper(sqlite_url, "pdf-one")
    common = ("--db", sqlite_url, "--config", str(fast_config(tmp_path / "p.toml")))

    raw = pw("show", str(bad), "--raw", *common)
    assert raw.returncode == 1
    assert "do not match sha256" in raw.stderr
    assert len(raw.stderr.strip().splitlines()) == 1
    assert "forged" not in raw.stdout

    # Another (text) snapshot: ids follow the order extractions finish, not the registry's.
    db = Database(sqlite_url)
    with db.session() as s:
        other = s.scalars(select(Snapshot.id).where(Snapshot.source_id == "json-one")).first()
    db.dispose()
    good = pw("show", str(other), "--raw", *common)
    assert good.returncode == 0 and good.stdout

    # Force re-extraction of everything: the damaged snapshot is skipped and reported.
    db = Database(sqlite_url)
    with db.session() as s:
        s.execute(update(ExtractionRecord).values(extractor_version="old"))
    db.dispose()
    again = pw("reextract", *common)
    assert again.returncode == 1
    assert f"skipped snapshot {bad}" in again.stdout
    assert "3 re-extracted" in again.stdout  # the other three snapshots

    check = pw("db", "check", *common)
    assert check.returncode == 1
    assert "damaged_blob" in check.stdout

    out = tmp_path / "reports"
    rep = pw("report", "--all", "--out", str(out), *common)
    assert rep.returncode == 0, rep.stderr
    notes = [p for p in (out / "archive").iterdir() if p.read_bytes().startswith(b"DAMAGED")]
    assert len(notes) <= 1  # only if the damaged snapshot is cited; the reports went on


@pytest.mark.e2e
def test_db_check_finds_orphans_dangling_references_and_stuck_runs(
    site: LocalSite, tmp_path: Path, sqlite_url: str
) -> None:
    _history(site, tmp_path, sqlite_url)
    common = ("--db", sqlite_url)
    assert pw("db", "check", *common).returncode == 0
    db = Database(sqlite_url)
    with db.session() as s:
        orphan = b"bytes no snapshot refers to"
        s.add(Blob(sha256=sha256_hex(orphan), size=1, data=zlib.compress(orphan)))
        s.add(CrawlRun(started_at=datetime.now(UTC), status="running"))
    db.dispose()
    # As a bad restore or a manual DELETE would leave it (SQLite checks no keys by default).
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE extractions SET snapshot_id = 9999 WHERE id = 1")
    conn.close()
    check = pw("db", "check", "--json", *common)
    assert check.returncode == 1
    kinds = {p["kind"] for p in __import__("json").loads(check.stdout)["problems"]}
    assert kinds == {"orphan_blob", "stuck_run", "dangling"}


def _dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    db = Database(url)
    out = {}
    with db.engine.connect() as conn:
        for table in tables():
            key = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*key))]
    db.dispose()
    return out


@pytest.mark.e2e
def test_backup_then_restore_into_a_fresh_database_is_exact(
    site: LocalSite, tmp_path: Path, db_url: str, fresh_url: str
) -> None:
    _history(site, tmp_path, db_url)
    pw("diff", "--db", db_url)  # change events too
    path = tmp_path / "backup.pw"
    made = pw("db", "backup", str(path), "--db", db_url)
    assert made.returncode == 0, made.stderr
    restored = pw("db", "restore", str(path), "--db", fresh_url)
    assert restored.returncode == 0, restored.stderr
    before, after = _dump(db_url), _dump(fresh_url)
    assert sum(len(rows) for rows in before.values()) > 10
    assert before == after
    # The restored database is whole and keeps working: new ids do not collide.
    assert pw("db", "check", "--db", fresh_url).returncode == 0
    db = Database(fresh_url)
    with db.session() as s:
        s.add(CrawlRun(started_at=datetime.now(UTC), status="finished"))
    db.dispose()
    # Restoring over data is refused in one line, touching nothing.
    again = pw("db", "restore", str(path), "--db", fresh_url)
    assert again.returncode == 1 and "already holds data" in again.stderr


@pytest.mark.e2e
def test_restore_of_a_damaged_or_foreign_file_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\xff\xfe not a backup")
    proc = pw("db", "restore", str(junk), "--db", f"sqlite:///{tmp_path / 'r.sqlite'}")
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
