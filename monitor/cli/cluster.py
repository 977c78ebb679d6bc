"""`policywatch worker` (crawl what the queue hands out) and `policywatch cluster status`."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from typing import Any

import click

from monitor.cli.common import (
    common_options,
    console,
    err_console,
    make_context,
    print_json,
    show_table,
)
from monitor.schema import SCHEMA_VERSION


def _needs_queue(queue_url: str) -> None:
    if not queue_url:
        raise click.ClickException(
            'no crawl queue configured: set [cluster] queue_url = "redis://host:6379/0" in '
            "policywatch.toml (or $POLICYWATCH_QUEUE_URL)"
        )


@click.command()
@common_options
@click.option("--threads", default=1, show_default=True, help="Batches crawled at once.")
def worker(
    config_path: str | None, db_url: str | None, sources_files: tuple[str, ...], threads: int
) -> None:
    """Join the crawl queue: fetch, store and extract the batches `policywatch run` enqueues.

    Needs [cluster] queue_url and the same PostgreSQL database as the scheduler. Runs in the
    foreground until Ctrl-C or SIGTERM, which let the running batch finish; a worker killed
    outright has its batch taken by another worker after [cluster] heartbeat_timeout_seconds.
    """
    ctx = make_context(config_path, db_url, sources_files)
    _needs_queue(ctx.config.cluster.queue_url)
    from crawler.queue.worker import run_worker

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        err_console.print("stopping after the running batch…")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def say(text: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        err_console.print(f"{stamp} {text}", highlight=False, markup=False, soft_wrap=True)

    run_worker(ctx.config, stop, threads=threads, say=say)


@click.group()
def cluster() -> None:
    """The crawl cluster: workers, queue, progress of the current cycle."""


@cluster.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(
    config_path: str | None, db_url: str | None, sources_files: tuple[str, ...], as_json: bool
) -> None:
    """Workers alive, queue depth, sources in flight and each worker's rate."""
    import redis

    from monitor.cluster.status import cluster_status

    ctx = make_context(config_path, db_url, sources_files)
    _needs_queue(ctx.config.cluster.queue_url)
    try:
        data = cluster_status(ctx.config)
    except redis.RedisError as exc:
        raise click.ClickException(
            f"cannot reach the crawl queue at {ctx.config.cluster.queue_url}: {exc}; is Redis up?"
        ) from None
    if as_json:
        print_json({"schema_version": SCHEMA_VERSION, **data})
        return
    console.print(
        f"workers alive: {data['workers_alive']}   batches queued: {data['queue_depth']}   "
        f"retries waiting: {data['retries_waiting']}   "
        f"sources in flight: {data['sources_in_flight']}"
    )
    cycle = data["cycle"]
    if cycle:
        state = "over" if cycle["closed"] else "running"
        console.print(f"cycle {cycle['id']} ({state}): {cycle['done']}/{cycle['sources']} done")
    rows = [
        (
            w["id"],
            w["host"],
            w["pid"],
            w["sources_in_flight"],
            w["sources_done"],
            w["sources_per_minute"],
            f"{w['seconds_since_heartbeat']}s",
        )
        for w in data["workers"]
    ]
    if rows:
        show_table(
            "workers",
            ["id", "host", "pid", "in flight", "done", "per minute", "last heartbeat"],
            rows,
        )
