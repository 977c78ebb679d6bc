"""The cluster's edges, quick: configuration, unreachable Redis, nobody to do the work."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import tomli_w

from crawler.config import ConfigError, load_config
from monitor.cluster.dispatch import NOT_FETCHED, ClusterError, crawl_on_cluster
from tests.cluster.harness import REDIS_URL, ROOT, Cluster
from tests.support.databases import REQUIRE_SERVICES
from tests.support.waiting import LineReader


def _write(path: Path, data: dict[str, object]) -> Path:
    path.write_bytes(tomli_w.dumps(data).encode())
    return path


def test_cluster_config_is_checked(tmp_path: Path) -> None:
    bad_key = _write(tmp_path / "a.toml", {"cluster": {"queue": "redis://x"}})
    with pytest.raises(ConfigError, match="unknown key 'queue'; allowed: queue_url"):
        load_config(bad_key, env={})
    not_redis = _write(tmp_path / "b.toml", {"cluster": {"queue_url": "amqp://x"}})
    with pytest.raises(ConfigError, match="must be a Redis URL"):
        load_config(not_redis, env={})
    cfg = load_config(None, env={"POLICYWATCH_QUEUE_URL": "redis://q:6379/0"})
    assert cfg.cluster.queue_url == "redis://q:6379/0" and cfg.cluster.batch_size == 25


def test_cluster_needs_a_shared_database(tmp_path: Path) -> None:
    cfg = load_config(None, env={"POLICYWATCH_QUEUE_URL": REDIS_URL})
    cfg.database = f"sqlite:///{tmp_path / 'x.sqlite'}"
    with pytest.raises(ClusterError, match="PostgreSQL URL"):
        crawl_on_cluster(cfg, ["a"])


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.e2e
def test_commands_without_a_queue_say_what_to_set(tmp_path: Path) -> None:
    config = _write(tmp_path / "c.toml", {"database": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    for args in (["worker"], ["cluster", "status"]):
        out = _cli(*args, "--config", str(config))
        assert out.returncode == 1
        assert "no crawl queue configured: set [cluster] queue_url" in out.stderr
        assert "Traceback" not in out.stderr


@pytest.mark.e2e
def test_worker_without_redis_says_so_and_retries_until_stopped(
    tmp_path: Path, pg_server: str
) -> None:
    config = _write(
        tmp_path / "c.toml",
        {"database": pg_server, "cluster": {"queue_url": "redis://127.0.0.1:1/0"}},
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "worker", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = LineReader(proc.stdout)
    output.wait_for("cannot reach Redis at", count=2)  # a first attempt, and one retry
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    out = output.rest()
    attempts = [line for line in out.splitlines() if "cannot reach Redis at" in line]
    assert len(attempts) >= 2 and "retrying in" in attempts[0]
    assert "Traceback" not in out
    status = _cli("cluster", "status", "--config", str(config))
    assert status.returncode == 1 and "cannot reach the crawl queue" in status.stderr


@pytest.fixture
def live_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis required but: {exc}")
        pytest.skip(f"Redis not available: {exc}")


@pytest.mark.e2e
def test_sources_no_worker_took_are_reported_not_fetched(
    tmp_path: Path, pg_server: str, live_redis: None
) -> None:
    with Cluster(tmp_path, pg_server, sources=5, hosts=1) as cl:
        cfg = cl.config()
        summary = crawl_on_cluster(cfg, [f"src-{i:04d}" for i in range(5)], deadline=1, poll=0.1)
        assert summary.failed == 5 and not summary.ok
        assert {f["kind"] for f in summary.failures} == {NOT_FETCHED}
        assert "no worker finished it before the cycle's deadline" in summary.failures[0]["error"]
        # The cycle is closed: a worker arriving late drops its batches without fetching.
        from crawler.runner import prepare
        from monitor.cluster.status import cluster_status

        prepare(cfg, cl.sources())
        cl.start_worker()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = cluster_status(cfg)
            if status["workers_alive"] and not status["queue_depth"]:
                break
            time.sleep(0.5)
        cl.stop_workers()
        assert status["queue_depth"] == 0 and status["cycle"]["closed"]
        assert status["cycle"]["done"] == 0 and cl.hits() == {}
