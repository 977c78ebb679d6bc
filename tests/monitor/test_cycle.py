"""Cycles, notifications and the scheduler, against a local site and a local webhook."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from crawler.config import Config
from crawler.registry import load_sources
from monitor.cycle import digest, run_cycle
from monitor.schedule import CYCLE_JOB, DIGEST_JOB, DISCOVER_JOB, build_scheduler
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import ChangeEventRecord
from storage.reviews import record_review
from tests.monitor.test_changes import MAINTENANCE, STRICTER
from tests.support.crawling import FAST, source, write_registry
from tests.support.samples import SAMPLE_HTML
from tests.support.webhook import Webhook


def _events(url: str) -> int:
    db = Database(url)
    with db.session() as s:
        n = int(s.execute(select(func.count()).select_from(ChangeEventRecord)).scalar_one())
    db.dispose()
    return n


def test_cycle_notifies_analysts_and_operators_once_per_problem(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    cfg = fast_config
    cfg.database = sqlite_url
    cfg.report.out_dir = str(tmp_path / "reports")
    cfg.notify.failure_threshold = 2
    site.set("/a.html", SAMPLE_HTML)
    site.set("/b.html", SAMPLE_HTML)
    site.set("/dead.html", "gone", status=404)
    sources = load_sources(
        [
            write_registry(
                tmp_path / "s.toml",
                [
                    source("policy-a", site.url("/a.html")),
                    source("policy-b", site.url("/b.html")),
                    source("dead-link", site.url("/dead.html")),
                ],
            )
        ]
    )
    with Webhook() as analysts, Webhook() as operators:
        cfg.notify.analysts = [analysts.url]
        cfg.notify.operators = [operators.url]
        first = run_cycle(cfg, sources, **FAST)
        assert first.crawl.failed == 1
        assert analysts.received == [] and operators.received == []  # below the threshold

        site.set("/a.html", STRICTER)
        site.set("/b.html", MAINTENANCE)
        second = run_cycle(cfg, sources, **FAST)
        assert {e["kind"] for e in second.events} == {"criteria_change", "unavailable"}
        assert len(analysts.received) == 1
        note = analysts.received[0]
        assert "1 coverage change" in note["title"]
        assert "failed trials 3 → 4" in note["message"] and "policy-a" not in note["title"]
        assert len(operators.received) == 1
        ops = operators.received[0]["message"]
        assert "dead-link: 2 consecutive failures" in ops and "policy-b" in ops

        third = run_cycle(cfg, sources, **FAST)  # nothing new: nobody hears twice
        assert third.events == []
        assert len(analysts.received) == 1 and len(operators.received) == 1

        # The weekly digest goes to analysts once per week, with the change and its evidence.
        # The digest carries confirmed changes only ([publish] require_review, the default).
        db = Database(cfg.db_url)
        with db.session() as s:
            change = next(e["id"] for e in second.events if e["significant"])
            record_review(
                s, s.get(ChangeEventRecord, change), reviewer="ana", verdict="confirmed",
                now=datetime.now(UTC),
            )  # fmt: skip
        db.dispose()
        for _ in range(2):
            outputs = digest(cfg, now=datetime.now(UTC))
        assert Path(outputs["digest.md"]).is_file()
        assert len(analysts.received) == 2
        assert "weekly digest" in analysts.received[1]["title"]
        assert "failed trials 3 → 4" in analysts.received[1]["message"]


def test_scheduler_runs_two_cycles_and_one_change_results(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    site.set("/policy.html", SAMPLE_HTML)
    registry = write_registry(tmp_path / "s.toml", [source("sched", site.url("/policy.html"))])
    config = tmp_path / "policywatch.toml"
    config.write_text(
        f'database = "{sqlite_url}"\nsources = ["{registry}"]\n'
        f'[crawl]\ndownload_delay = 0.0\n[report]\nout_dir = "{tmp_path / "reports"}"\n'
    )
    options = {"config": str(config), "database": None, "sources": [], "crawl_overrides": FAST}
    cfg = Config(database=sqlite_url)
    runs: list[JobExecutionEvent] = []
    done = threading.Event()

    def listener(event: JobExecutionEvent) -> None:
        if event.job_id != CYCLE_JOB:
            return
        runs.append(event)
        if len(runs) == 1:
            site.set("/policy.html", STRICTER)  # the document changes between the two cycles
        if len(runs) == 2:
            done.set()

    scheduler = build_scheduler(
        cfg, options, scheduler_cls=BackgroundScheduler, cycle_trigger=IntervalTrigger(seconds=1)
    )
    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        assert done.wait(120), "two cycles did not run"
    finally:
        scheduler.shutdown(wait=True)
    assert [r.exception for r in runs[:2]] == [None, None], [r.traceback for r in runs[:2]]
    assert _events(sqlite_url) == 1

    # A restart re-registers the same fixed ids: no duplicate jobs in the persistent store.
    again = build_scheduler(cfg, options, scheduler_cls=BackgroundScheduler)
    again.start(paused=True)
    ids = sorted(j.id for j in again.get_jobs())
    again.shutdown(wait=False)
    assert ids == sorted([CYCLE_JOB, DIGEST_JOB, DISCOVER_JOB])
