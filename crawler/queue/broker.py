"""The Dramatiq broker and the crawl actor, built from ``[cluster]``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crawler.config import ClusterSettings
from crawler.queue.keys import ACTOR, QUEUE

# Dramatiq runs queue maintenance (requeueing dead workers' messages) on a random share of its
# commands, 1 in 1,000 by default; a few idle workers poll rarely, so a dead worker's batch
# would wait minutes. 1 in 20 brings it back within seconds of its heartbeat timeout.
MAINTENANCE_CHANCE = 50_000


def make_broker(cluster: ClusterSettings) -> Any:
    from dramatiq.brokers.redis import RedisBroker

    return RedisBroker(
        url=cluster.queue_url,
        namespace=cluster.namespace,
        heartbeat_timeout=cluster.heartbeat_timeout_seconds * 1000,
        maintenance_chance=MAINTENANCE_CHANCE,
    )


def declare_actor(broker: Any, cluster: ClusterSettings, fn: Callable[..., None]) -> Any:
    """Bind the crawl actor to ``broker`` (the sender passes a stub: only the name matters)."""
    import dramatiq

    decorate = dramatiq.actor(
        broker=broker,
        actor_name=ACTOR,
        queue_name=QUEUE,
        # A batch that fails (database or Redis unreachable) is retried with backoff until the
        # cycle's deadline; the scheduler then reports what was not fetched.
        max_retries=1_000,
        min_backoff=1_000,
        max_backoff=60_000,
        time_limit=cluster.deadline_seconds * 1000,
    )
    return decorate(fn)
