"""A small façade over APScheduler 3: fixed job ids, a persistent job store, cron from config.

The job store lives in the policywatch database (table ``apscheduler_jobs``), so a restart picks
the schedule up again; ``replace_existing`` keeps one job per id however often it restarts.
Crawls run in child processes (see crawler/runner.py) because Twisted's reactor cannot restart.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_SHUTDOWN,
    EVENT_SCHEDULER_STARTED,
    JobEvent,
    SchedulerEvent,
)
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from crawler.config import Config
from storage.db import Database

CYCLE_JOB = "policywatch-cycle"
DIGEST_JOB = "policywatch-digest"
DISCOVER_JOB = "policywatch-discover"

log = logging.getLogger("policywatch.schedule")


class ScheduleError(ValueError):
    """A schedule setting is invalid."""


def cron(expression: str, what: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ScheduleError(
            f"[schedule] {what} = {expression!r} is not a cron expression "
            f"(minute hour day month weekday, e.g. '0 6 * * *'): {exc}"
        ) from None


def _job_store(url: str) -> SQLAlchemyJobStore:
    options: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # Share the file politely with the cycle's own writes (see storage.db).
        options["connect_args"] = {"timeout": 30}
    return SQLAlchemyJobStore(url=url, tablename="apscheduler_jobs", engine_options=options)


def build_scheduler(
    cfg: Config,
    options: dict[str, Any],
    *,
    scheduler_cls: type[BaseScheduler] = BlockingScheduler,
    cycle_trigger: BaseTrigger | None = None,
    digest_trigger: BaseTrigger | None = None,
) -> BaseScheduler:
    """A scheduler with the cycle, digest and discovery jobs registered under fixed ids."""
    # Migrate (and put SQLite in WAL mode) before the job store opens the same database.
    Database(cfg.db_url).dispose()
    scheduler = scheduler_cls(
        jobstores={"default": _job_store(cfg.db_url)},
        job_defaults={
            "coalesce": True,  # after downtime, run a missed cycle once, not once per miss
            "max_instances": 1,  # never two crawls of the same registry at once
            "misfire_grace_time": cfg.schedule.misfire_grace_seconds,
        },
        timezone="UTC",
    )
    jobs = (
        (
            CYCLE_JOB,
            "monitor.jobs:cycle_job",
            "crawl → extract → diff → report → notify",
            cycle_trigger or cron(cfg.schedule.cycle, "cycle"),
        ),
        (
            DIGEST_JOB,
            "monitor.jobs:digest_job",
            "weekly digest",
            digest_trigger or cron(cfg.schedule.digest, "digest"),
        ),
        (
            DISCOVER_JOB,
            "monitor.jobs:discover_job",
            "discover new documents on index pages",
            cron(cfg.schedule.discover, "discover"),
        ),
    )
    for job_id, func, name, trigger in jobs:
        # Textual references and fixed ids: the persistent store can rebuild them after a
        # restart, and replace_existing keeps one job per id however often it restarts.
        scheduler.add_job(
            func,
            trigger=trigger,
            id=job_id,
            name=name,
            kwargs={"options": options},
            replace_existing=True,
        )
    scheduler.add_listener(
        lambda event: _log_event(scheduler, event),
        EVENT_SCHEDULER_STARTED
        | EVENT_SCHEDULER_SHUTDOWN
        | EVENT_JOB_MISSED
        | EVENT_JOB_MAX_INSTANCES,
    )
    return scheduler


def _log_event(scheduler: BaseScheduler, event: SchedulerEvent) -> None:
    """The scheduler's own news: started (with next runs), stopped, a run missed or skipped.

    Job start, end and error lines come from the jobs themselves (monitor.jobs)."""
    if event.code == EVENT_SCHEDULER_STARTED:
        for job in scheduler.get_jobs():
            when = job.next_run_time.isoformat() if job.next_run_time else "paused"
            log.info(
                "scheduled: %s next at %s",
                job.id,
                when,
                extra={"job_id": job.id, "trigger": str(job.trigger), "next_run": when},
            )
    elif event.code == EVENT_SCHEDULER_SHUTDOWN:
        log.info("scheduler stopped")
    elif isinstance(event, JobEvent) and event.code == EVENT_JOB_MISSED:
        log.warning(
            "run of %s due %s missed (the scheduler was down longer than misfire_grace_seconds)",
            event.job_id,
            event.scheduled_run_time,
            extra={"job_id": event.job_id},
        )
    elif isinstance(event, JobEvent) and event.code == EVENT_JOB_MAX_INSTANCES:
        log.warning(
            "run of %s skipped: the previous run is still going",
            event.job_id,
            extra={"job_id": event.job_id},
        )


def stop_on_signals(scheduler: BaseScheduler) -> None:
    """SIGTERM and Ctrl-C finish the running job, then stop (no half-written cycle)."""

    def stop(signum: int, _frame: Any) -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)
            return
        # A signal before the scheduler runs (it is still starting): nothing to finish.
        print("Scheduler stopped.", flush=True)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
