"""A cycle over hundreds of local sources on 3 real worker processes, the real Redis and
PostgreSQL: each source fetched once, one request at a time per site, events and notices once,
and nothing lost when a worker is killed with SIGKILL half-way."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from crawler.queue.keys import Keys
from monitor.cycle import run_cycle
from storage.db import Database
from storage.models import ChangeEventRecord, FetchAttempt, Snapshot
from tests.cluster.harness import REDIS_URL, ROOT, Cluster, page
from tests.support.databases import REQUIRE_SERVICES, reset_pg
from tests.support.webhook import Webhook

pytestmark = pytest.mark.e2e
SOURCES = 200
HOSTS = 4


@pytest.fixture
def pg_url(pg_server: str) -> str:
    reset_pg(pg_server)
    return pg_server


@pytest.fixture(autouse=True)
def need_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis required (POLICYWATCH_REQUIRE_SERVICES=1) but: {exc}")
        pytest.skip(f"Redis not available: {exc}")


def _per_source(url: str, model: type) -> Counter[str]:
    db = Database(url)
    with db.session() as s:
        rows = s.execute(select(model.source_id, func.count()).group_by(model.source_id)).all()
    db.dispose()
    return Counter({sid: n for sid, n in rows})


def _change(cl: Cluster) -> list[str]:
    """Make every fourth policy stricter (4 failed trials instead of 3); their source ids."""
    changed = []
    for i in range(0, SOURCES, 4):
        cl.site_of(i).set(cl.path_of(i), page(i, "four (4)"), delay=cl.page_delay)
        changed.append(f"src-{i:04d}")
    return changed


def _status(cl: Cluster) -> dict[str, object]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "cluster",
            "status",
            "--json",
            "--config",
            str(cl.config_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(json.loads(out.stdout))


def test_three_workers_fetch_each_source_once_and_events_are_created_once(
    tmp_path: Path, pg_url: str
) -> None:
    with (
        Cluster(
            tmp_path, pg_url, sources=SOURCES, hosts=HOSTS, batch_size=20, page_delay=0.01
        ) as cl,
        Webhook() as analysts,
    ):
        for _ in range(3):
            cl.start_worker()
        cfg = cl.config()
        cfg.notify.analysts = [analysts.url]

        first = run_cycle(cfg, cl.sources())
        assert (first.crawl.new_versions, first.crawl.failed) == (SOURCES, 0)
        hits = cl.hits()
        assert len(hits) == SOURCES and set(hits.values()) == {1}
        # One request at a time per site across all workers.
        assert [s.max_active for s in cl.sites] == [1] * HOSTS
        client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        keys = Keys(cl.namespace)
        cycle = client.get(keys.current_cycle)
        assert cycle is not None
        by = Counter(json.loads(v)["worker"] for v in client.hvals(keys.done(cycle)))
        assert len(by) >= 2, f"the work was not shared: {by}"

        status = _status(cl)
        assert status["workers_alive"] == 3 and status["queue_depth"] == 0
        assert status["cycle"] == {"id": cycle, "sources": SOURCES, "done": SOURCES, "closed": True}
        workers = status["workers"]
        assert isinstance(workers, list)
        assert sum(w["sources_done"] for w in workers) == SOURCES

        changed = _change(cl)
        cl.reset_hits()
        second = run_cycle(cfg, cl.sources())
        assert (second.crawl.new_versions, second.crawl.failed) == (len(changed), 0)
        assert set(cl.hits().values()) == {1} and len(cl.hits()) == SOURCES
        kinds = Counter((e["source_id"], e["kind"]) for e in second.events)
        assert kinds == Counter({(sid, "criteria_change"): 1 for sid in changed})
        assert _per_source(pg_url, ChangeEventRecord) == Counter(dict.fromkeys(changed, 1))
        assert _per_source(pg_url, FetchAttempt) == Counter(
            {f"src-{i:04d}": 2 for i in range(SOURCES)}
        )
        assert len(analysts.received) == 1  # one notice for the cycle's changes


def test_a_worker_killed_half_way_loses_nothing(tmp_path: Path, pg_url: str) -> None:
    with Cluster(
        tmp_path,
        pg_url,
        sources=SOURCES,
        hosts=HOSTS,
        batch_size=20,
        heartbeat_timeout=3,
        page_delay=0.02,
    ) as cl:
        workers = [cl.start_worker() for _ in range(3)]
        victim = workers[0]
        client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        keys = Keys(cl.namespace)
        killed = threading.Event()

        def kill_half_way() -> None:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and not killed.is_set():
                cycle = client.get(keys.current_cycle)
                done = client.hlen(keys.done(cycle)) if cycle else 0
                mine = [
                    client.hget(k, "inflight")
                    for k in client.scan_iter(match=keys.workers_pattern)
                    if client.hget(k, "pid") == str(victim.pid)
                ]
                if done >= SOURCES // 3 and mine and mine[0] not in (None, "0"):
                    victim.send_signal(signal.SIGKILL)
                    killed.set()
                    return
                time.sleep(0.05)

        watcher = threading.Thread(target=kill_half_way, daemon=True)
        watcher.start()
        result = run_cycle(cl.config(), cl.sources())
        watcher.join(timeout=5)
        assert killed.is_set(), "the victim never held a batch"
        assert victim.wait(timeout=10) == -signal.SIGKILL

        # Nothing lost: every source stored once, in this cycle.
        assert (result.crawl.new_versions, result.crawl.failed) == (SOURCES, 0)
        assert _per_source(pg_url, Snapshot) == Counter({f"src-{i:04d}": 1 for i in range(SOURCES)})
        # Fetched once, except pages the victim had fetched but not yet stored at the kill:
        # downloading, or waiting for the extraction pool. That is at most the batch it held.
        hits = cl.hits()
        assert len(hits) == SOURCES
        assert sum(n - 1 for n in hits.values()) <= 20  # batch_size
        assert [s.max_active for s in cl.sites] == [1] * HOSTS

        changed = _change(cl)
        second = run_cycle(cl.config(), cl.sources())
        assert second.crawl.failed == 0
        assert _per_source(pg_url, ChangeEventRecord) == Counter(dict.fromkeys(changed, 1))


def test_two_workers_keep_the_download_delay_between_them_on_one_site(
    tmp_path: Path, pg_url: str
) -> None:
    delay = 0.4
    with Cluster(tmp_path, pg_url, sources=24, hosts=1, batch_size=4, download_delay=delay) as cl:
        for _ in range(2):
            cl.start_worker()
        result = run_cycle(cl.config(), cl.sources())
        assert result.crawl.new_versions == 24
        client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        keys = Keys(cl.namespace)
        cycle = client.get(keys.current_cycle)
        assert cycle is not None
        by = Counter(json.loads(v)["worker"] for v in client.hvals(keys.done(cycle)))
        assert len(by) == 2, f"both workers should have crawled: {by}"
        arrivals = cl.sites[0].arrivals  # robots.txt included: it is a request to the site
        gaps = [b - a for a, b in itertools.pairwise(arrivals)]
        # Each worker alone spaces its requests by a random 0.5-1.5 x delay (Scrapy); the
        # lease makes every gap, whichever worker sent the next request, at least the delay.
        assert min(gaps) >= delay * 0.95, sorted(gaps)[:5]
