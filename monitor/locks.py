"""A cross-process lock for the cycle, so two schedulers never crawl the same registry at once.

APScheduler's ``max_instances=1`` only holds within one process. Operators who run a scheduler
on more than one host (for availability, against one PostgreSQL) set ``[schedule] lock_url`` to
a Redis URL; the cycle then runs only where the lock was won. The lock expires by itself
(``ttl``) if its holder dies, and is released only by the holder that took it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

CYCLE_LOCK = "policywatch:cycle"


@contextmanager
def cycle_lock(url: str, *, ttl: float, name: str = CYCLE_LOCK) -> Iterator[bool]:
    """Yield True when this process holds the lock (or no lock is configured), else False."""
    if not url:
        yield True
        return
    import redis

    client = redis.Redis.from_url(url)
    lock = client.lock(name, timeout=ttl, blocking=False)
    acquired = bool(lock.acquire())
    try:
        yield acquired
    finally:
        if acquired:
            # It may have expired while the cycle ran; another holder may exist now: leave it.
            with suppress(redis.exceptions.LockError):
                lock.release()
        client.close()
