"""Engine creation, the default database location, and migrations applied on first use."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Tables other libraries own in the same database (APScheduler's job store): not ours to migrate.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})
_MIGRATION_LOCK = 0x706F6C6D  # "polm": the advisory lock key that serialises migrations


def default_data_dir() -> Path:
    """Where policywatch keeps its database unless told otherwise (XDG data home)."""
    home = os.environ.get("POLICYWATCH_HOME")
    if home:
        return Path(home)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "policywatch"


def default_db_url() -> str:
    return f"sqlite:///{default_data_dir() / 'policywatch.sqlite'}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLAlchemy, not pysqlite, starts transactions (see _sqlite_begin): pysqlite's implicit
    # BEGIN breaks SAVEPOINT, which the diff job uses to isolate one source's failure.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # Wait for other writers (crawl child, scheduler job store) instead of failing at once.
    cur.execute("PRAGMA busy_timeout=30000")
    # WAL lets report readers run while a crawl writes. Switching needs a lock other open
    # connections may hold, and the mode is persistent, so only switch when not yet in WAL.
    if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        # Another connection may have the file open; the next connection sets WAL then.
        with contextlib.suppress(sqlite3.OperationalError):
            cur.execute("PRAGMA journal_mode=WAL")

    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front, waiting (busy_timeout) for other writers. A
    # deferred transaction that reads first fails at once with "database is locked" when
    # another process (a crawl child, the scheduler's job store) committed in between.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) not in ("", ":memory:"):
            path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)

    return engine


def alembic_config(engine: Engine) -> AlembicConfig:
    # Alembic is imported only to migrate: importing it costs more CPU than a whole
    # read-only command on a current database (see bench/cli_startup.py).
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the newest migration; returns True when something was applied."""
    if _known_current(engine):
        return False
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    head = head_revision(engine)
    if current_revision(engine) == head:
        return False
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        # Two processes opening a new database at once must not both create the tables:
        # the second waits here (PostgreSQL advisory lock; SQLite's BEGIN IMMEDIATE), then
        # finds the schema current.
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        if MigrationContext.configure(conn).get_current_revision() == head:
            return False
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return True


_REVISION = re.compile(r"""^(down_)?revision\s*(?::[^=]*)?=\s*(?:["']([^"']*)["']|None)""", re.M)


def _file_head() -> str | None:
    """The newest migration read straight from the files, when the history is one line."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = {bool(m.group(1)): m.group(2) for m in _REVISION.finditer(path.read_text())}
        if not found.get(False):
            return None  # a file this reading does not understand: let Alembic decide
        revisions.add(found[False])
        if found.get(True):
            parents.add(found[True])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _known_current(engine: Engine) -> bool:
    """True when the stored revision is the migrations' head, found without Alembic.

    False means "ask Alembic": a missing version table, another revision, or a history
    this quick reading cannot follow (branches).
    """
    head = _file_head()
    if head is None:
        return False
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return stored == [head]


class Database:
    """An engine plus a session factory, migrated on first use.

    Use it as a context manager so the engine's connections are closed however the block ends
    (a SQLite file stays locked, a PostgreSQL server keeps the sessions, until they are)::

        with Database(url) as db, db.session() as session:
            ...
    """

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = url or os.environ.get("POLICYWATCH_DB") or default_db_url()
        self.engine = make_engine(self.url)
        if migrate:
            upgrade(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_: object) -> None:
        self.dispose()

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)
