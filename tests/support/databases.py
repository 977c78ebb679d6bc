"""Test databases: the machine's PostgreSQL, and SQLite files crawled through the real cycle.

Tests never share a database they write to: PostgreSQL tests get a throwaway database created
from ``POLICYWATCH_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``,
used only to create and drop them); a crawled SQLite file is built once per session and each
test works on its own copy.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from crawler.config import Config
from crawler.registry import load_sources
from monitor.cycle import run_cycle
from monitor.sites.demo import ROUNDS, serve_round, write_registry
from monitor.sites.localsite import LocalSite
from storage.db import Database

PG_ADMIN_URL = os.environ.get(
    "POLICYWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = os.environ.get("POLICYWATCH_REQUIRE_SERVICES") == "1"

# Serves more documents beside the demo's; returns the registry files listing them.
ExtraSite = Callable[[LocalSite, Path], list[Path]]


def pg_problem() -> str | None:
    """Why the test PostgreSQL cannot be used, or None when it answers."""
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return str(exc)


@contextmanager
def throwaway_pg_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database next to ``PG_ADMIN_URL``: its URL; dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reset_pg(url: str) -> None:
    """Empty a throwaway PostgreSQL database (the next Database() migrates it afresh)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def crawl_demo(workdir: Path, extra: ExtraSite | None = None) -> Path:
    """The demo's rounds (baseline; changes, noise, an outage) crawled through the real cycle
    from 127.0.0.1 into ``workdir/pw.sqlite``, with ``extra``'s documents beside them."""
    db_file = workdir / "pw.sqlite"
    cfg = Config()
    cfg.database = f"sqlite:///{db_file}"
    cfg.crawl.download_delay = 0.0
    with LocalSite() as site:
        files = [write_registry(site, workdir / "sources.toml")]
        if extra is not None:
            files += extra(site, workdir)
        sources = load_sources(files)
        for name in ROUNDS:
            serve_round(site, name)
            run_cycle(cfg, sources, AUTOTHROTTLE_ENABLED=False)
    return db_file


def copy_db(source: Path, target: Path) -> str:
    """A private copy (SQLite's backup API: consistent even with a WAL) and its URL."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return f"sqlite:///{target}"


@contextmanager
def private_copy(source: Path, target: Path) -> Iterator[Database]:
    """A test's own copy of a session-wide crawled database, opened."""
    with Database(copy_db(source, target)) as db:
        yield db
