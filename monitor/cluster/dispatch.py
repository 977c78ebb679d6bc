"""Enqueue one cycle's sources in batches and wait until every one has a stored result."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime

from crawler.config import Config
from crawler.queue.broker import declare_actor, make_broker
from crawler.queue.keys import CYCLE_TTL, Keys
from crawler.runner import CrawlSummary

NOT_FETCHED = "not_fetched"


class ClusterError(RuntimeError):
    """The queue cannot be used (Redis unreachable); the message says what to do."""


def _never_called(cycle_id: str, source_ids: list[str]) -> None:  # pragma: no cover
    raise RuntimeError("the scheduler only sends crawl batches; workers run them")


def crawl_on_cluster(
    cfg: Config,
    source_ids: Sequence[str],
    *,
    deadline: float | None = None,
    poll: float = 0.5,
    on_progress: Callable[[int, int], None] | None = None,
) -> CrawlSummary:
    """Put the sources on the queue in batches, wait for the workers (until ``deadline``
    seconds), and summarise: sources without a result are failures of kind ``not_fetched``."""
    import redis

    if cfg.db_url.startswith("sqlite"):
        raise ClusterError(
            "[cluster] needs a database every worker can reach: set database (or --db) to a "
            "PostgreSQL URL such as postgresql+psycopg://user@host/policywatch"
        )
    keys = Keys(cfg.cluster.namespace)
    client = redis.Redis.from_url(cfg.cluster.queue_url, socket_timeout=10, decode_responses=True)
    started = datetime.now(UTC)
    cycle_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    ids = list(dict.fromkeys(source_ids))
    try:
        with client.pipeline() as pipe:
            pipe.set(keys.total(cycle_id), len(ids), ex=CYCLE_TTL)
            pipe.set(keys.current_cycle, cycle_id, ex=CYCLE_TTL)
            pipe.execute()
        broker = make_broker(cfg.cluster)
        actor = declare_actor(broker, cfg.cluster, _never_called)
        size = cfg.cluster.batch_size
        for start in range(0, len(ids), size):
            actor.send(cycle_id, ids[start : start + size])
        broker.close()
    except redis.RedisError as exc:
        raise ClusterError(
            f"cannot reach the crawl queue at {cfg.cluster.queue_url}: {exc}; start Redis or "
            "fix [cluster] queue_url"
        ) from None
    limit = time.monotonic() + (cfg.cluster.deadline_seconds if deadline is None else deadline)
    results: dict[str, dict[str, str | None]] = {}
    while True:
        try:
            raw = client.hgetall(keys.done(cycle_id))
        except redis.RedisError:
            raw = None  # Redis is down for a moment: keep waiting until the deadline
        if raw is not None:
            results = {str(k): json.loads(v) for k, v in raw.items()}
            if on_progress is not None:
                on_progress(len(results), len(ids))
        if all(i in results for i in ids) or time.monotonic() >= limit:
            break
        time.sleep(poll)
    with suppress(redis.RedisError):
        # Batches still queued or retried after this are dropped by the workers.
        client.set(keys.closed(cycle_id), 1, ex=CYCLE_TTL)
    client.close()
    return _summary(ids, results, _stored_since(cfg.db_url, results, started))


def _stored_since(
    db_url: str, results: dict[str, dict[str, str | None]], start: datetime
) -> set[str]:
    """Sources reported unchanged that have a version stored in this cycle.

    A worker killed between storing a page and reporting it leaves its batch to another worker,
    which finds the same bytes already stored: for the cycle, that version is still new.
    """
    from sqlalchemy import select

    from storage.chunks import one_of
    from storage.db import Database
    from storage.models import Snapshot

    unchanged = [sid for sid, r in results.items() if r["result"] == "unchanged"]
    if not unchanged:
        return set()
    with Database(db_url, migrate=False) as db, db.session() as session:
        query = select(Snapshot.source_id).where(
            one_of(Snapshot.source_id, unchanged), Snapshot.fetched_at >= start
        )
        return set(session.scalars(query.distinct()))


def _summary(
    ids: list[str], results: dict[str, dict[str, str | None]], stored_now: set[str]
) -> CrawlSummary:
    summary = CrawlSummary(run_id=None)
    for sid in ids:
        summary.sources += 1
        record = results.get(sid)
        if record is None:
            summary.failed += 1
            summary.failures.append(
                {
                    "source_id": sid,
                    "kind": NOT_FETCHED,
                    "error": "not fetched: no worker finished it before the cycle's deadline",
                    "url": None,
                }
            )
        elif record["result"] == "failed":
            summary.failed += 1
            summary.failures.append(
                {
                    "source_id": sid,
                    "kind": record.get("kind"),
                    "error": record.get("error"),
                    "url": record.get("url"),
                }
            )
        elif record["result"] == "new_version" or sid in stored_now:
            summary.new_versions += 1
        else:
            summary.unchanged += 1
    return summary
