"""`policywatch worker`: take crawl batches from the queue until stopped.

The worker runs Dramatiq's own worker threads; each message is one Scrapy crawl in a child
process (Twisted's reactor cannot restart). Alongside, a heartbeat thread publishes what the
worker is doing for ``policywatch cluster status`` and keeps Dramatiq's broker heartbeat alive
while a long batch runs: Dramatiq's Redis consumer only beats when it fetches, and with
``prefetch`` reached it stops fetching, so a batch longer than the heartbeat timeout would be
handed to a second worker (Bogdanp/dramatiq#692).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from crawler.config import Config
from crawler.queue.broker import declare_actor, make_broker
from crawler.queue.keys import QUEUE, Keys
from crawler.queue.task import crawl_batch
from storage.db import Database


def redacted(url: str) -> str:
    """A URL without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def reach_database(cfg: Config) -> str:
    """'' when the database answers, else the reason in one line."""
    try:
        with Database(cfg.db_url, migrate=False) as db, db.session() as session:
            session.connection()
    except Exception as exc:  # any driver error: reported, then retried
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return ""


def reach_redis(client: Any) -> str:
    import redis

    try:
        client.ping()
    except redis.RedisError as exc:
        return str(exc) or type(exc).__name__
    return ""


def wait_for_services(
    cfg: Config, client: Any, stop: threading.Event, say: Callable[[str], None]
) -> bool:
    """Block until Redis and the database answer (saying what is wrong meanwhile); False if
    stopped first."""
    pause = 1.0
    while not stop.is_set():
        problems = []
        if problem := reach_redis(client):
            problems.append(f"cannot reach Redis at {redacted(cfg.cluster.queue_url)}: {problem}")
        if problem := reach_database(cfg):
            problems.append(f"cannot reach the database {redacted(cfg.db_url)}: {problem}")
        if not problems:
            return True
        say("; ".join(problems) + f"; retrying in {pause:.0f}s")
        stop.wait(pause)
        pause = min(pause * 2, 30.0)
    return False


def warm_imports() -> None:
    """Import Scrapy, the spider, pipelines and extractor once, before any fork: each batch's
    child then starts in a fraction of a second instead of re-importing them (seconds)."""
    import importlib

    for name in (
        "scrapy.crawler",
        "crawler.spiders.policies",
        "crawler.pipelines.dedupe",
        "crawler.pipelines.extract",
        "crawler.pipelines.store",
        "crawler.middlewares",
        "crawler.cms_auth",
        "crawler.queue.lease",
        "crawler.queue.done",
        "crawler.extract.engine",
    ):
        importlib.import_module(name)


def run_worker(
    cfg: Config,
    stop: threading.Event,
    *,
    threads: int = 1,
    say: Callable[[str], None] = print,
    **crawl_overrides: Any,
) -> None:
    """Serve the crawl queue until ``stop`` is set; the running batches finish first."""
    import dramatiq
    import redis

    client = redis.Redis.from_url(cfg.cluster.queue_url, socket_timeout=10)
    if not wait_for_services(cfg, client, stop, say):
        return
    warm_imports()
    keys = Keys(cfg.cluster.namespace)
    worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"

    def crawl(cycle_id: str, source_ids: list[str]) -> None:
        if problem := reach_database(cfg):
            # Raising makes Dramatiq retry the batch with backoff; the sources stay queued.
            say(f"cannot reach the database {redacted(cfg.db_url)}: {problem}; batch retried")
            raise RuntimeError("database unreachable")
        began = time.monotonic()
        n = crawl_batch(cfg, client, worker_id, cycle_id, source_ids, **crawl_overrides)
        if n:
            say(f"cycle {cycle_id}: {n} source(s) in {time.monotonic() - began:.1f}s")

    broker = make_broker(cfg.cluster)
    declare_actor(broker, cfg.cluster, crawl)
    worker = dramatiq.Worker(broker, worker_threads=threads)
    # Take one batch per thread at a time, so idle workers get the rest.
    worker.queue_prefetch = threads
    worker.delay_prefetch = threads
    started = time.time()
    beat = max(0.5, cfg.cluster.heartbeat_timeout_seconds / 4)
    ttl = max(2, int(cfg.cluster.heartbeat_timeout_seconds))
    reachable = True

    def heartbeat() -> None:
        nonlocal reachable
        try:
            with client.pipeline() as pipe:
                pipe.hset(
                    keys.worker(worker_id),
                    mapping={
                        "host": socket.gethostname(),
                        "pid": os.getpid(),
                        "started": started,
                        "last_seen": time.time(),
                        "threads": threads,
                    },
                )
                pipe.hsetnx(keys.worker(worker_id), "sources_done", 0)
                pipe.expire(keys.worker(worker_id), ttl)
                pipe.execute()
            broker.do_qsize(QUEUE)  # any broker command renews its heartbeat
            if not reachable:
                say("Redis is reachable again")
            reachable = True
        except redis.RedisError as exc:
            if reachable:
                say(f"cannot reach Redis at {redacted(cfg.cluster.queue_url)}: {exc}; retrying")
            reachable = False

    heartbeat()
    worker.start()
    say(f"worker {worker_id} serving queue {keys.queue} ({threads} thread(s))")
    try:
        while not stop.wait(beat):
            heartbeat()
    finally:
        worker.stop()
        broker.close()
        with contextlib.suppress(redis.RedisError):
            client.delete(keys.worker(worker_id))
        say(f"worker {worker_id} stopped")
