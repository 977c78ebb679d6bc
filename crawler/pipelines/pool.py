"""Extraction in worker processes, so the reactor keeps downloading while pages are parsed.

Parsing is CPU work under the GIL: on the reactor thread it stalls every download (and can time
them out) and a crawl uses one core. Here each new version is parsed in a process pool (one
worker per core) and the pipeline awaits the result as an asyncio future.

A worker that dies (a crash in a C parser, the OOM killer) breaks the whole pool and fails every
extraction in flight, the culprit's and its innocent neighbours'. The pool is replaced and each
of those is tried again alone in a one-process lane: what dies there is the culprit, recorded
as ``unparseable`` against its source, and the crawl goes on. An extraction that runs past
``POLICYWATCH_EXTRACT_TIMEOUT`` (a parser in an endless loop would otherwise hold the crawl
open for ever) is treated the same way: its pool's workers are killed, as a running task
cannot be cancelled.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import importlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from crawler.extract.model import Extraction
from crawler.extract.record import record_columns

log = logging.getLogger(__name__)

DEFAULT_EXTRACTOR = "crawler.extract.extract"
_loaded: dict[str, Callable[..., Extraction]] = {}


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def load_extractor(path: str) -> Callable[..., Extraction]:
    """The extract function named ``module.function`` (cached: looked up once per process)."""
    if path not in _loaded:
        module, _, name = path.rpartition(".")
        if not module:
            raise ValueError(f"POLICYWATCH_EXTRACTOR must be module.function, not {path!r}")
        _loaded[path] = getattr(importlib.import_module(module), name)
    return _loaded[path]


def extract_or_outcome(path: str, body: bytes, content_type: str | None) -> Any:
    """Extract ``body``; an exception becomes an ``unparseable`` outcome instead of a lost item."""
    try:
        return load_extractor(path)(body, content_type)
    except Exception as exc:
        # A bug or a hostile body must not drop the item: its fetch record and bytes are still
        # stored, and the outcome says the extractor failed on it.
        return failed(f"extractor failed: {type(exc).__name__}: {exc}")


def failed(message: str) -> Extraction:
    return Extraction(outcome="unparseable", format="unknown", message=message)


def prepare(path: str, body: bytes, content_type: str | None) -> tuple[Any, dict[str, Any]]:
    """The columns the store will write for ``body``'s extraction, and the extraction without
    its blocks: they are not stored (recomputed from the raw snapshot when asked for) and are
    nearly all of its size, so they stay in the worker instead of crossing back in a pickle."""
    extraction = extract_or_outcome(path, body, content_type)
    columns = record_columns(extraction)
    return dataclasses.replace(extraction, blocks=[]), columns


class ExtractionTimedOut(BrokenProcessPool):
    """An extraction ran too long; its pool's workers were killed to stop it."""


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
        return
    # Before 3.14 the executor offers no way to stop a running task: kill its processes, which
    # the executor then reports as a broken pool to every extraction in flight.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


def _worker_init(parent_pid: int) -> None:
    # A crawl killed with SIGKILL must not leave its parsers running (see die_with_parent).
    from crawler.runner import die_with_parent

    die_with_parent(parent_pid)
    # Everything inherited from the crawl process lives as long as the worker: keep the cycle
    # collector off it. Its full passes otherwise walk that whole heap in every worker (and
    # write to each object, copying the shared pages): about a tenth of a worker's CPU.
    gc.freeze()


class ExtractorPool:
    """Worker processes that run ``prepare``; start once per crawl, then ``close``."""

    def __init__(
        self, workers: int, extractor: str = DEFAULT_EXTRACTOR, timeout: float | None = None
    ) -> None:
        if workers < 1:
            raise ValueError("an extractor pool needs at least one worker")
        self.workers = workers
        self.extractor = extractor
        self.timeout = timeout or None  # seconds per document; None: no limit
        self.crashes = 0  # pools lost to a dying or stuck worker, for the crawl's stats
        self._pool: ProcessPoolExecutor | None = None
        self._lane: ProcessPoolExecutor | None = None  # one process: retries after a crash
        self._lane_lock = asyncio.Lock()

    def _new(self, workers: int) -> ProcessPoolExecutor:
        # fork: the workers inherit the imported parsers and start in milliseconds, where
        # spawn/forkserver would import lxml, pypdfium2 and the rule tables again in each.
        # The pool is started before the first download (``start``), before the download and
        # store threads exist; only a replacement after a crash forks a threaded process, and
        # its workers touch nothing but the parsers (no locks another thread may have held).
        ctx = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
        )
        # With fork, every worker starts at the first submit: do it now, not mid-crawl.
        pool.submit(os.getpid).result()
        return pool

    def start(self) -> ExtractorPool:
        self._pool = self._new(self.workers)
        return self

    async def extract(
        self, body: bytes, content_type: str | None, url: str | None
    ) -> tuple[Any, dict[str, Any]]:
        """``prepare`` run in a worker: the extraction and its stored form; never raises."""
        pool = self._pool or self.start()._pool
        assert pool is not None
        try:
            return await self._run(pool, body, content_type, url)
        except BrokenProcessPool:
            if self._pool is pool:  # the first extraction to notice replaces the pool
                self.crashes += 1
                log.warning("an extraction worker died; restarting %d worker(s)", self.workers)
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new(self.workers)
        return await self._alone(body, content_type, url)

    async def _alone(
        self, body: bytes, content_type: str | None, url: str | None
    ) -> tuple[Any, dict[str, Any]]:
        """Retry one extraction with no other in flight: if its worker dies, it was the cause."""
        async with self._lane_lock:
            if self._lane is None:
                self._lane = self._new(1)
            try:
                return await self._run(self._lane, body, content_type, url)
            except BrokenProcessPool as exc:
                self._lane.shutdown(wait=False, cancel_futures=True)
                self._lane = None
                if isinstance(exc, ExtractionTimedOut):
                    why = f"extraction took longer than {self.timeout:g} s and was stopped"
                else:
                    why = "the extractor process died on this document (crash or out of memory)"
                log.error("%s: %s; recorded as unparseable", url, why)
                dead = failed(why)
                return dead, record_columns(dead)

    async def _run(
        self, pool: ProcessPoolExecutor, body: bytes, content_type: str | None, url: str | None
    ) -> tuple[Any, dict[str, Any]]:
        future: Future[tuple[Any, dict[str, Any]]] = pool.submit(
            prepare, self.extractor, body, content_type
        )
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            _kill_workers(pool)
            raise ExtractionTimedOut(f"extraction of {url} ran past {self.timeout:g} s") from None

    def close(self) -> None:
        """Stop the workers (waits for running extractions; nothing is queued at close)."""
        for pool in (self._pool, self._lane):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._lane = None
