"""Defect 5: kill -9 of `run` or of its crawl child leaves no orphan and loses nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import CrawlRun, Snapshot
from tests.faults.helpers import count, duplicate_runs, fast_config, pw, pw_cmd
from tests.support.crawling import source, write_registry
from tests.support.samples import SAMPLE_HTML

N = 12


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _slow_site(site: LocalSite, tmp_path: Path) -> Path:
    for i in range(N):
        site.set(f"/p{i}.html", SAMPLE_HTML.replace("</body>", f"<p>{i}</p></body>"), delay=0.4)
    return write_registry(
        tmp_path / "s.toml", [source(f"slow-{i:02d}", site.url(f"/p{i}.html")) for i in range(N)]
    )


def _start_run(cfg: Path, db_url: str, registry: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        pw_cmd("run", "--config", str(cfg), "--db", db_url, "--sources", str(registry)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _wait_for_child(proc: subprocess.Popen[str], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        if kids:
            return kids[0]
        time.sleep(0.05)
    raise AssertionError("the crawl child never started")


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _finish_and_check(cfg: Path, db_url: str, registry: Path) -> None:
    proc = pw("run", "--config", str(cfg), "--db", db_url, "--sources", str(registry))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    db = Database(db_url)
    assert count(db, Snapshot) == N  # every version, once
    assert duplicate_runs(db) == 0
    with db.session() as s:
        statuses = [r.status for r in s.query(CrawlRun)]
    assert "running" not in statuses
    assert statuses[-1] == "finished"
    db.dispose()


@pytest.mark.e2e
@pytest.mark.parametrize("victim", ["parent", "child"])
def test_kill_9_at_random_points_then_a_restart_completes(
    victim: str, site: LocalSite, tmp_path: Path, sqlite_url: str
) -> None:
    registry = _slow_site(site, tmp_path)
    cfg = fast_config(tmp_path / "policywatch.toml")
    rng = random.Random(victim)
    for _ in range(3):
        proc = _start_run(cfg, sqlite_url, registry)
        child = _wait_for_child(proc)
        time.sleep(rng.uniform(0.0, 2.5))
        os.kill(proc.pid if victim == "parent" else child, signal.SIGKILL)
        if victim == "parent":
            proc.wait(timeout=10)
            assert _gone(child), "the crawl child outlived its killed parent"
        else:
            # The parent notices, says so and exits non-zero; it does not hang.
            assert proc.wait(timeout=60) != 0
    _finish_and_check(cfg, sqlite_url, registry)
