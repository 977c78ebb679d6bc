"""What a worker does with one message: crawl the batch's sources not yet done this cycle."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from crawler.config import Config
from crawler.queue.keys import Keys
from crawler.runner import crawl_here, in_child

log = logging.getLogger("policywatch.worker")


def cluster_overrides(cfg: Config, cycle_id: str, worker_id: str) -> dict[str, Any]:
    """Scrapy settings of a worker's crawl: the cross-worker site lease and the done marks."""
    from crawler import settings as defaults

    return {
        "POLICYWATCH_QUEUE_URL": cfg.cluster.queue_url,
        "POLICYWATCH_QUEUE_NAMESPACE": cfg.cluster.namespace,
        "POLICYWATCH_CYCLE_ID": cycle_id,
        "POLICYWATCH_WORKER_ID": worker_id,
        "POLICYWATCH_BATCH_SIZE": 1,  # stored before marked done: see crawler/queue/done.py
        "DOWNLOADER_MIDDLEWARES": {
            **defaults.DOWNLOADER_MIDDLEWARES,
            "crawler.queue.lease.HostLeaseMiddleware": 950,
        },
        "ITEM_PIPELINES": {
            **defaults.ITEM_PIPELINES,
            "crawler.queue.done.CycleDonePipeline": 400,
        },
    }


def _crawl_orphan_proof(parent_pid: int, cfg: Config, ids: list[str], **overrides: Any) -> Any:
    """crawl_here in the child, killed by the kernel if the worker dies (Linux), so a batch
    handed to another worker is never crawled by two processes at once."""
    import os
    import signal
    import sys

    if sys.platform.startswith("linux"):
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the worker died before the signal was armed
        os._exit(1)
    return crawl_here(cfg, ids, **overrides)


def crawl_batch(
    cfg: Config,
    client: Any,
    worker_id: str,
    cycle_id: str,
    source_ids: Sequence[str],
    **overrides: Any,
) -> int:
    """Crawl what is left of a batch in a child process; the number of sources crawled."""
    import json

    keys = Keys(cfg.cluster.namespace)
    if client.exists(keys.closed(cycle_id)):
        log.info("cycle %s is over; dropping a batch of %d", cycle_id, len(source_ids))
        return 0
    done = {k.decode() for k in client.hkeys(keys.done(cycle_id))}
    todo = [s for s in source_ids if s not in done]
    if not todo:
        return 0
    client.hset(keys.worker(worker_id), mapping={"inflight": len(todo), "cycle": cycle_id})
    try:
        import os

        settings = {**cluster_overrides(cfg, cycle_id, worker_id), **overrides}
        in_child(_crawl_orphan_proof, os.getpid(), cfg, todo, **settings)
    finally:
        client.hset(keys.worker(worker_id), "inflight", 0)
    # The crawl finished: a source with no stored result will not get one by crawling again.
    for sid in todo:
        client.hsetnx(
            keys.done(cycle_id),
            sid,
            json.dumps(
                {
                    "result": "failed",
                    "kind": "no_result",
                    "error": "the crawl recorded nothing",
                    "url": "",
                    "worker": worker_id,
                }
            ),
        )
    client.hincrby(keys.worker(worker_id), "sources_done", len(todo))
    client.hincrby(keys.worker(worker_id), "batches_done", 1)
    return len(todo)
