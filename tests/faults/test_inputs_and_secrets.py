"""Defects 7 and 9: secrets never printed; bad inputs end in one line; limits hold."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from crawler.config import Config
from crawler.registry import load_sources
from monitor.notify import Message, deliver
from storage.redact import install_log_redaction, redact
from tests.discovery.fake_cms import FakeCmsApi
from tests.faults.helpers import pw
from tests.support.crawling import source, write_registry
from tests.support.webhook import Webhook

SECRET = "hunter2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql+psycopg://pw:hunter2@db/x", "postgresql+psycopg://pw:***@db/x"),
        ("redis://:hunter2@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("mailto://user:hunter2@example.org", "mailto://***"),
        ("slack://T1/B2/hunter2", "slack://***"),
        ("https://api.x/v1?token=hunter2&page=2", "https://api.x/v1?token=***&page=2"),
        (
            "at http://a.example/p?api_key=hunter2 failed",
            "at http://a.example/p?api_key=*** failed",
        ),
        ("Authorization: Bearer hunter2hunter2", "Authorization: Bearer ***"),
        ("sqlite:////var/lib/pw.sqlite", "sqlite:////var/lib/pw.sqlite"),
        ("https://www.aetna.com/cpb/0938.html", "https://www.aetna.com/cpb/0938.html"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.e2e
@pytest.mark.parametrize("command", [("history", "x"), ("crawl",), ("db", "check"), ("run",)])
def test_a_bad_db_url_is_one_line_without_its_password(command: tuple[str, ...]) -> None:
    url = f"postgresql+psycopg://policy:{SECRET}@127.0.0.1:1/pw"
    proc = pw(*command, "--db", url)
    assert proc.returncode == 1
    assert SECRET not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_a_bad_notification_url_is_one_line_and_the_others_are_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_redaction()  # as every command and the scheduler do
    caplog.set_level(logging.ERROR)
    with Webhook() as hook:
        ok = deliver(Message("analysts", "t", ["line"]), [f"mailto://user:{SECRET}@", hook.url])
        assert ok
        assert len(hook.received) == 1
    ours = [r for r in caplog.records if r.name == "policywatch.notify"]
    assert len(ours) == 1 and "not a valid Apprise URL" in ours[0].getMessage()
    assert SECRET not in caplog.text


def test_the_scheduler_never_logs_lock_url_secrets(
    redis_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from monitor.jobs import cycle_job
    from monitor.locks import cycle_lock

    cfg = tmp_path / "p.toml"
    # The same Redis, with a password in the URL (this Redis accepts any).
    secret_url = redis_url.replace("redis://", f"redis://:{SECRET}@", 1)
    cfg.write_text(f'[schedule]\nlock_url = "{secret_url}"\n')
    registry = write_registry(tmp_path / "s.toml", [source("one", "http://127.0.0.1:9/x")])
    caplog.set_level(logging.INFO)
    install_log_redaction()
    with cycle_lock(redis_url, ttl=60) as held:  # another host is running a cycle
        assert held
        out = cycle_job(
            {
                "config": str(cfg),
                "database": f"sqlite:///{tmp_path / 'pw.sqlite'}",
                "sources": [str(registry)],
            }
        )
    assert out == {"skipped": True}
    assert "cycle skipped" in caplog.text
    assert SECRET not in caplog.text


def test_crawl_logs_and_stored_errors_carry_no_url_secrets(
    tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    from storage.db import Database
    from storage.models import FetchAttempt
    from tests.support.crawling import crawl

    fast_config.database = sqlite_url
    fast_config.crawl.log_file = str(tmp_path / "crawl.log")
    url = f"http://127.0.0.1:9/policy?api_key={SECRET}"
    registry = write_registry(tmp_path / "s.toml", [source("secret-query", url)])
    crawl(fast_config, registry)
    assert SECRET not in (tmp_path / "crawl.log").read_text()
    db = Database(sqlite_url)
    with db.session() as s:
        attempt = s.query(FetchAttempt).one()
        assert attempt.result == "failed" and SECRET not in (attempt.error or "")
    db.dispose()


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["directory", "latin-1"])
@pytest.mark.parametrize("option", ["--config", "--sources"])
def test_unreadable_config_and_registry_files_are_one_line(
    tmp_path: Path, kind: str, option: str
) -> None:
    if kind == "directory":
        target = tmp_path / "a-dir"
        target.mkdir()
    else:
        target = tmp_path / "latin1.toml"
        target.write_bytes('title = "Médicaid"\n'.encode("latin-1"))
    proc = pw("sources", "validate", option, str(target))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert str(target) in proc.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("out", ["/proc/no-such-dir/changes.html", "{file}/changes.html"])
def test_a_bad_report_out_is_one_line(tmp_path: Path, out: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    target = out.format(file=blocker)
    db = f"sqlite:///{tmp_path}/r.db"
    assert pw("db", "upgrade", "--db", db).returncode == 0  # report reads an existing database
    proc = pw("report", "--format", "html", "--out", target, "--db", db)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "cannot write the report" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_cms_api_paging_stops_at_the_page_limit(
    tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    from monitor.discovery import run_discovery
    from tests.support.crawling import FAST

    fast_config.database = sqlite_url
    with FakeCmsApi(page_size=1) as api:
        registry = write_registry(
            tmp_path / "cms.toml",
            [
                source(
                    "cms-api-report-local-articles",
                    api.url("/v1/reports/local-coverage-articles/"),
                    payer="CMS Coverage API",
                    plan_type="medicare",
                    document_type="api",
                    format="json",
                )
            ],
        )
        run = run_discovery(
            fast_config,
            load_sources([registry]),
            **FAST,
            CMS_API_HOSTS=[api.netloc],
            POLICYWATCH_CMS_MAX_PAGES=2,
        )
        pages = api.hits("/v1/reports/local-coverage-articles/")
    assert len(pages) == 2  # seven one-row pages exist; two were read
    assert any("page limit" in f["error"] for f in run.failures)
