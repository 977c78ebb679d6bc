"""Logs: JSON lines a shipper can parse, one line per scheduled job start and end, each
notification logged without its secrets, and a crawl log that rotates at its size cap."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from crawler.config import Config
from monitor.logs import JsonFormatter, TextFormatter
from monitor.schedule import CYCLE_JOB, build_scheduler
from monitor.sites.localsite import LocalSite
from tests.support.crawling import FAST, crawl, source, write_registry
from tests.support.samples import SAMPLE_HTML
from tests.support.webhook import Webhook

ROOT = Path(__file__).resolve().parents[2]


def test_json_log_lines_of_a_run_parse_and_name_each_notification(
    site: LocalSite, tmp_path: Path, sqlite_url: str
) -> None:
    site.set("/k.html", SAMPLE_HTML)
    site.set("/gone.html", "gone", status=404)
    registry = write_registry(
        tmp_path / "s.toml",
        [source("fine", site.url("/k.html")), source("gone", site.url("/gone.html"))],
    )
    with Webhook() as hook:
        config = tmp_path / "policywatch.toml"
        config.write_text(
            f'[crawl]\ndownload_delay = 0.0\nretries = 0\nlog_file = "{tmp_path / "crawl.log"}"\n'
            f'[report]\nout_dir = "{tmp_path / "reports"}"\n'
            f'[notify]\noperators = ["{hook.url}"]\nfailure_threshold = 1\n'
        )
        result = subprocess.run(
            [
                *(sys.executable, "-m", "monitor.cli", "--log-format", "json", "run"),
                *("--config", str(config), "--db", sqlite_url, "--sources", str(registry)),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "POLICYWATCH_LOG_LEVEL": "info"},
            timeout=300,
        )
        assert len(hook.received) == 1  # the failing source, to operators
    assert result.returncode == 1, result.stderr  # one source failed
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert lines, result.stderr
    for line in lines:
        assert {"ts", "level", "logger", "msg"} <= line.keys()
        assert line["level"] in ("debug", "info", "warning", "error")
        assert datetime.fromisoformat(line["ts"]).utcoffset() == UTC.utcoffset(None)
    by_msg = {line["msg"].split(":")[0]: line for line in lines}
    crawled = by_msg["crawl"]
    assert (crawled["new_versions"], crawled["failed"]) == (1, 1)
    assert by_msg["fetch failed"]["level"] == "warning"
    assert by_msg["fetch failed"]["source_id"] == "gone"
    sent = by_msg["notification sent to json"]
    assert sent["audience"] == "operators" and sent["level"] == "info"
    # Apprise URLs carry tokens: only the scheme is logged.
    assert sent["url"] == "json://***" and str(hook.server.server_address[1]) not in sent["msg"]
    # Scrapy's narration went to the crawl log, not to the command's log.
    assert not [line for line in lines if line["logger"].startswith(("scrapy", "twisted"))]
    assert "Spider closed (finished)" in (tmp_path / "crawl.log").read_text()


def test_a_scheduled_cycle_logs_one_line_at_start_and_one_at_end(
    site: LocalSite,
    tmp_path: Path,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site.set("/policy.html", SAMPLE_HTML)
    registry = write_registry(tmp_path / "s.toml", [source("sched", site.url("/policy.html"))])
    config = tmp_path / "policywatch.toml"
    config.write_text(
        f'database = "{sqlite_url}"\nsources = ["{registry}"]\n'
        f'[crawl]\ndownload_delay = 0.0\n[report]\nout_dir = "{tmp_path / "reports"}"\n'
    )
    options = {"config": str(config), "database": None, "sources": [], "crawl_overrides": FAST}
    done = threading.Event()
    runs: list[JobExecutionEvent] = []

    def listener(event: JobExecutionEvent) -> None:
        if event.job_id == CYCLE_JOB:
            runs.append(event)
            done.set()

    caplog.set_level(logging.INFO, logger="policywatch")
    scheduler = build_scheduler(
        Config(database=sqlite_url),
        options,
        scheduler_cls=BackgroundScheduler,
        cycle_trigger=DateTrigger(datetime.now(UTC)),
    )
    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        assert done.wait(180), "the cycle did not run"
    finally:
        scheduler.shutdown(wait=True)
    assert runs[0].exception is None, runs[0].traceback
    job_lines = [r for r in caplog.records if getattr(r, "job", None) == "cycle"]
    assert [(r.levelname, r.event) for r in job_lines] == [("INFO", "start"), ("INFO", "end")]
    end = job_lines[1]
    assert (end.sources, end.new_versions, end.failed, end.events) == (1, 1, 0, 0)
    assert end.duration_s >= 0
    scheduled = [r for r in caplog.records if r.name == "policywatch.schedule"]
    assert any("scheduled: policywatch-digest next at" in r.getMessage() for r in scheduled)


def test_a_failing_job_logs_its_error_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from monitor.jobs import digest_job

    caplog.set_level(logging.INFO, logger="policywatch")
    secret_db = "postgresql+psycopg://pw:hunter2@127.0.0.1:1/nowhere"
    with pytest.raises(Exception):  # noqa: B017 (whatever the driver raises)
        digest_job({"config": None, "database": secret_db, "sources": []})
    (start, error) = [r for r in caplog.records if getattr(r, "job", None) == "digest"]
    assert (start.event, error.event, error.levelname) == ("start", "error", "ERROR")
    assert "hunter2" not in error.getMessage() and "hunter2" not in error.error


def test_formatters_put_extra_fields_on_the_line_and_redact_them() -> None:
    record = logging.LogRecord(
        "policywatch.x", logging.WARNING, __file__, 1, "hello %s", ("w",), None
    )
    record.url = "json://host:9/hook?token=s3cret"
    record.count = 3
    data = json.loads(JsonFormatter().format(record))
    assert (data["level"], data["logger"], data["msg"], data["count"]) == (
        "warning",
        "policywatch.x",
        "hello w",
        3,
    )
    assert data["url"] == "json://***" and data["ts"].endswith("+00:00")
    text = TextFormatter().format(record)
    assert text.endswith("warning policywatch.x: hello w url=json://*** count=3")


def test_the_crawl_log_rotates_at_its_size_cap(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    for i in range(6):
        site.set(f"/p{i}.html", SAMPLE_HTML)
    registry = write_registry(
        tmp_path / "s.toml", [source(f"page-{i}", site.url(f"/p{i}.html")) for i in range(6)]
    )
    cfg = fast_config
    cfg.database = sqlite_url
    log = tmp_path / "logs" / "crawl.log"
    cfg.crawl.log_file = str(log)
    cfg.crawl.log_max_bytes = 2048
    cfg.crawl.log_backups = 2
    for _ in range(2):
        assert crawl(cfg, registry).ok
    files = sorted(p.name for p in log.parent.iterdir())
    assert files == ["crawl.log", "crawl.log.1", "crawl.log.2"]  # the oldest were dropped
    for path in log.parent.iterdir():
        text = path.read_text()
        # Rolled over before a record would pass the cap: a file exceeds it only when it
        # holds one record bigger than the cap (Scrapy's stats dump).
        assert len(text.encode()) <= 2048 or text.count("\n20") == 0, path.name
    assert "Spider closed (finished)" in log.read_text() + (log.parent / "crawl.log.1").read_text()
