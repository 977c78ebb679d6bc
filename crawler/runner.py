"""Run the spider from Python: in this process once, or in a child process as often as needed.

Twisted's reactor cannot be restarted inside one process, so anything that crawls more than once
(the scheduler, the demo, evaluation, tests) uses ``crawl_in_child``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any, TypeVar, cast

from crawler.checks import CheckResult
from crawler.config import Config
from crawler.crawl_log import crawl_log
from crawler.proposals import Proposal
from crawler.registry import PolicySource
from storage.db import Database
from storage.redact import install_log_redaction
from storage.repo import sync_sources

T = TypeVar("T")


@dataclass
class CrawlSummary:
    run_id: int | None
    sources: int = 0
    new_versions: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    # Sources asked for but with no recorded fetch (the crawl stopped early): never "fine".
    missing: list[str] = field(default_factory=list)
    status: str = "finished"  # the run row's status: finished | failed | interrupted

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.missing and self.status == "finished"


class CrawlError(RuntimeError):
    """The crawl itself could not run (not a source failure, which is recorded instead)."""


def scrapy_settings(cfg: Config, source_ids: Sequence[str], **overrides: Any) -> dict[str, Any]:
    from crawler import settings as defaults

    crawl = cfg.crawl
    settings: dict[str, Any] = {k: getattr(defaults, k) for k in dir(defaults) if k.isupper()}
    settings.update(
        USER_AGENT=f"policywatch/{defaults.VERSION} (+{crawl.contact})",
        CONCURRENT_REQUESTS=crawl.concurrency,
        DOWNLOAD_DELAY=crawl.download_delay,
        AUTOTHROTTLE_START_DELAY=max(crawl.download_delay, 0.1),
        DOWNLOAD_TIMEOUT=crawl.timeout,
        DOWNLOAD_MAXSIZE=crawl.max_bytes,
        RETRY_TIMES=crawl.retries,
        ROBOTSTXT_OBEY=crawl.obey_robots,
        POLICYWATCH_DB_URL=cfg.db_url,
        POLICYWATCH_SOURCE_IDS=list(source_ids),
        POLICYWATCH_ALLOW_PRIVATE=list(crawl.allow_private),
        POLICYWATCH_EXTRACT_WORKERS=crawl.extract_workers,
        # Scrapy's own log (tracebacks of every failed fetch) goes to a file; the console gets
        # the summary, where each failure is already named with what to do about it.
        LOG_FILE=str(cfg.log_file),
        LOG_FILE_APPEND=True,
        LOG_LEVEL="INFO",
        # crawl_log installs a rotating handler instead of Scrapy's ever-growing file.
        LOG_INSTALL_ROOT_HANDLER=False,
        POLICYWATCH_LOG_MAX_BYTES=crawl.log_max_bytes,
        POLICYWATCH_LOG_BACKUPS=crawl.log_backups,
    )
    settings.update(overrides)
    if settings.get("LOG_FILE"):
        # Every spider run (crawl, discover, check) may be the first thing a fresh install does.
        Path(settings["LOG_FILE"]).parent.mkdir(parents=True, exist_ok=True)
    return settings


def prepare(cfg: Config, sources: Sequence[PolicySource]) -> list[str]:
    """Register the chosen sources in the database; return the ids of the enabled ones."""
    with Database(cfg.db_url) as db, db.session() as session:
        sync_sources(session, sources)
    return [s.id for s in sources if s.enabled]


def summarize_run(cfg: Config, run_id: int | None, expected: Sequence[str] = ()) -> CrawlSummary:
    """What the run row and its fetch records say; ``expected`` ids without a record are missing."""
    from storage.models import CrawlRun
    from storage.repo import run_outcomes

    summary = CrawlSummary(run_id=run_id)
    if run_id is None:
        return summary
    with Database(cfg.db_url) as db, db.session() as session:
        run = session.get(CrawlRun, run_id)
        summary.status = run.status if run is not None else "failed"
        seen: set[str] = set()
        for f in run_outcomes(session, run_id):
            seen.add(f.source_id)
            summary.sources += 1
            if f.result == "failed":
                summary.failed += 1
                summary.failures.append(
                    {
                        "source_id": f.source_id,
                        "kind": f.error_kind,
                        "error": f.error,
                        "url": f.url,
                    }
                )
            elif f.result == "new_version":
                summary.new_versions += 1
            else:
                summary.unchanged += 1
        summary.missing = [i for i in expected if i not in seen]
    return summary


def quiet_below_log_level(settings: Any) -> None:
    """Scrapy leaves the root logger at NOTSET and sets its own ``scrapy`` logger to DEBUG, so
    every DEBUG line (two per page: "Crawled", "Scraped") is built and redacted before the
    handler drops it; below LOG_LEVEL, build nothing."""
    import logging

    level = settings.get("LOG_LEVEL", "INFO")
    logging.getLogger().setLevel(level)
    logging.getLogger("scrapy").setLevel(level)


def crawl_here(
    cfg: Config, source_ids: Sequence[str], *, progress: bool = False, **overrides: Any
) -> CrawlSummary:
    """Crawl in this process (starts the reactor: call at most once per process)."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.policies import PoliciesSpider

    install_log_redaction()  # Scrapy logs every URL it fetches, tokens included
    settings = scrapy_settings(cfg, source_ids, **overrides)
    bar = _ProgressBar(len(source_ids)) if progress else None
    errors: list[str] = []

    def on_error(failure: Any, response: Any = None, spider: Any = None) -> None:
        errors.append(failure.getTraceback())

    with crawl_log(settings):
        process = CrawlerProcess(settings)
        quiet_below_log_level(settings)
        crawler = process.create_crawler(PoliciesSpider)
        if bar is not None:
            crawler.signals.connect(bar.advance, signal=signals.item_scraped)
            crawler.signals.connect(bar.advance, signal=signals.item_dropped)
        crawler.signals.connect(on_error, signal=signals.spider_error)
        process.crawl(crawler)
        try:
            if bar is not None:
                bar.start()
            process.start()
        finally:
            if bar is not None:
                bar.stop()
    run_id = crawler.stats.get_value("policywatch/run_id") if crawler.stats else None
    if run_id is None:
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        raise CrawlError(
            f"the crawl did not start (finish reason: {reason}); see {cfg.log_file}; "
            + "; ".join(errors)
        )
    summary = summarize_run(cfg, run_id, source_ids)
    if errors and summary.status == "finished":
        summary.status = "failed"
    return summary


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux ``PR_SET_PDEATHSIG``).

    A crawl child left behind by a killed ``run`` would go on writing with no diff, report or
    notification after it, and overlap the restarted cycle. SIGKILL rather than SIGTERM: a
    graceful stop would close the run as "finished" though its sources were not all fetched;
    killed, the run row stays "running" and the next cycle closes it as "interrupted".
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)


def _child(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    queue: Any,
    parent_pid: int,
) -> None:
    die_with_parent(parent_pid)
    try:
        queue.put(("ok", fn(*args, **kwargs)))
    except BaseException as exc:  # report everything to the parent, which decides
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError):  # the database went away: say so in words
            first = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
            queue.put(("error", f"the database failed during the crawl: {first}"))
        else:
            queue.put(("error", f"{exc}\n{traceback.format_exc()}"))


def _wait_for(proc: Any, queue: Any) -> tuple[str, Any]:
    """The child's result; if it dies without one (OOM kill, a crash in a C library), say so
    instead of waiting forever, which would also block every later scheduled cycle."""
    while True:
        try:
            return cast(tuple[str, Any], queue.get(timeout=1.0))
        except Empty:
            if proc.exitcode is not None:
                try:
                    return cast(tuple[str, Any], queue.get(timeout=1.0))
                except Empty:
                    return "error", f"the crawl process died (exit code {proc.exitcode})"


def in_child(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn`` in a forked child process and return its (picklable) result.

    Anything that starts Scrapy goes through here, so the caller can crawl again later.
    """
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, kwargs, queue, os.getpid()))
    proc.start()
    try:
        status, payload = _wait_for(proc, queue)
    finally:
        proc.join()
    if status != "ok":
        raise CrawlError(f"crawl failed: {payload}")
    return cast(T, payload)


def crawl_in_child(
    cfg: Config, source_ids: Sequence[str], *, progress: bool = False, **overrides: Any
) -> CrawlSummary:
    """Crawl in a forked child process, so the caller can crawl again later."""
    return in_child(crawl_here, cfg, list(source_ids), progress=progress, **overrides)


class _ProgressBar:
    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.progress = Progress(
            "[bold]crawling", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
        )
        self.task = self.progress.add_task("crawl", total=total)

    def start(self) -> None:
        self.progress.start()

    def advance(self, *args: Any, **kwargs: Any) -> None:
        self.progress.advance(self.task)

    def stop(self) -> None:
        self.progress.stop()


@dataclass
class SpiderRun:
    items: list[Any] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    empty_details: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def run_spider_here(
    cfg: Config, spider_cls: type, sources: Sequence[PolicySource], **overrides: Any
) -> SpiderRun:
    """Run one spider over ``sources`` in this process (starts the reactor: once per process)."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    install_log_redaction()
    settings = scrapy_settings(cfg, [], **overrides)
    run = SpiderRun()
    errors: list[str] = []

    def on_item(item: Any, **_: Any) -> None:
        run.items.append(item)

    def on_error(failure: Any, **_: Any) -> None:
        errors.append(failure.getTraceback())

    with crawl_log(settings):
        process = CrawlerProcess(settings)
        quiet_below_log_level(settings)
        crawler = process.create_crawler(spider_cls)
        crawler.signals.connect(on_item, signal=signals.item_scraped)
        crawler.signals.connect(on_error, signal=signals.spider_error)
        process.crawl(crawler, sources=list(sources))
        process.start()
    if errors:
        raise CrawlError("; ".join(errors))
    spider = crawler.spider
    run.failures = list(getattr(spider, "failures", []))
    run.empty_details = list(getattr(spider, "empty_details", []))
    run.stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return run


def discover_in_child(cfg: Config, indexes: Sequence[PolicySource], **overrides: Any) -> SpiderRun:
    from crawler.spiders.discover import DiscoverySpider

    run = in_child(run_spider_here, cfg, DiscoverySpider, list(indexes), **overrides)
    run.items = [i for i in run.items if isinstance(i, Proposal)]
    return run


def check_in_child(
    cfg: Config, sources: Sequence[PolicySource], **overrides: Any
) -> list[CheckResult]:
    from crawler.spiders.check import CheckSpider

    run = in_child(run_spider_here, cfg, CheckSpider, list(sources), **overrides)
    return [i for i in run.items if isinstance(i, CheckResult)]
