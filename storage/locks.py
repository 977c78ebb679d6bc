"""One writer of the crawl history at a time, with the database's own means.

PostgreSQL: a session-level advisory lock on a connection held for the whole cycle (released by
the server when the holder's connection ends, even after ``kill -9``). SQLite: an exclusive
``flock`` on a file next to the database (released by the kernel when the holder dies).
"""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Engine, text

LOCK_NAME = "policywatch:cycle"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    return zlib.crc32(name.encode()) - 2**31


def sqlite_lock_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(database).with_name(Path(database).name + ".lock")


@contextmanager
def database_lock(engine: Engine, name: str = LOCK_NAME) -> Iterator[bool]:
    """Yield True when this process now holds ``name`` in ``engine``'s database, else False."""
    if engine.dialect.name == "postgresql":
        key = advisory_key(name)
        with engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    # If the server went away, the lock went with the connection.
                    with suppress(Exception):
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
        return
    path = sqlite_lock_path(engine) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield True  # an in-memory database has one user by construction
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
