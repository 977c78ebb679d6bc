"""One cycle at a time: every command that writes crawl history or derived data holds this lock.

APScheduler's ``max_instances=1`` only holds within one process. ``run``, ``crawl``, ``diff``,
``reextract`` and the scheduler's cycle all take the same lock: a Redis lock when ``[schedule]
lock_url`` is set (operators running schedulers on several hosts against one PostgreSQL), else
the database's own (a PostgreSQL advisory lock, or a lock file next to a SQLite database). The
Redis lock expires by itself (``ttl``) if its holder dies; the database locks are released by
the server or the kernel when the holder's connection or process ends.

Whoever wins the lock also closes crawl runs left "running" by a killed process: while the lock
is held, no other run can be in progress.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

from crawler.config import Config
from storage.db import Database
from storage.locks import LOCK_NAME, database_lock
from storage.redact import redact
from storage.repo import close_stale_runs

CYCLE_LOCK = LOCK_NAME


class CycleBusy(RuntimeError):
    """Another policywatch process holds the cycle lock."""


@contextmanager
def cycle_lock(url: str, *, ttl: float, name: str = CYCLE_LOCK) -> Iterator[bool]:
    """Yield True when this process holds the Redis lock (or no lock is configured), else False."""
    if not url:
        yield True
        return
    import redis

    client = redis.Redis.from_url(url)
    lock = client.lock(name, timeout=ttl, blocking=False)
    try:
        acquired = bool(lock.acquire())
    except redis.exceptions.RedisError as exc:
        client.close()
        raise CycleBusy(f"cannot reach the lock server {redact(url)}: {redact(str(exc))}") from None
    try:
        yield acquired
    finally:
        if acquired:
            # It may have expired while the cycle ran; another holder may exist now: leave it.
            with suppress(redis.exceptions.LockError):
                lock.release()
        client.close()


@contextmanager
def exclusive(cfg: Config, *, now: datetime | None = None) -> Iterator[list[int]]:
    """Hold the cycle lock for the block; raise CycleBusy when another process holds it.

    Yields the ids of stale crawl runs it closed as "interrupted".
    """
    with Database(cfg.db_url) as db:
        if cfg.schedule.lock_url:
            with cycle_lock(cfg.schedule.lock_url, ttl=cfg.schedule.lock_ttl_seconds) as mine:
                if not mine:
                    raise CycleBusy(
                        f"another policywatch cycle holds the lock at "
                        f"{redact(cfg.schedule.lock_url)}; try again when it has finished"
                    )
                yield _close_stale(db, now)
            return
        with database_lock(db.engine) as mine:
            if not mine:
                raise CycleBusy(
                    f"another policywatch cycle is running on {db.display_url}; "
                    "try again when it has finished"
                )
            yield _close_stale(db, now)


def _close_stale(db: Database, now: datetime | None) -> list[int]:
    with db.session() as session:
        return close_stale_runs(session, now or datetime.now(UTC))
