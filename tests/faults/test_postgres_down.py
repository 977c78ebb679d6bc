"""PostgreSQL stopped mid-run: one line, a recorded run, nothing lost or duplicated afterwards.

A throwaway cluster started by the test with initdb/pg_ctl on a free port (as the postgres
user when the test runs as root), never the system one.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import CrawlRun, Snapshot
from tests.faults.helpers import count, duplicate_runs, fast_config, pw, pw_cmd
from tests.support.crawling import source, write_registry
from tests.support.samples import SAMPLE_HTML

N = 10


class Cluster:
    def __init__(self, root: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        self.data = root / "pgdata"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(root, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / tool), *args], check=True, capture_output=True
        )

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.data / "log"), "-w", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    # Not under pytest's tmp_path: it is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="policywatch-pg-"))
    os.chmod(root, 0o755)
    try:
        c = Cluster(root)
        c.start()
        yield c
        subprocess.run(
            [*c.as_user, str(c.bin / "pg_ctl"), "-D", str(c.data), "-m", "immediate", "stop"],
            capture_output=True,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.e2e
def test_postgres_stopped_mid_run(cluster: Cluster, site: LocalSite, tmp_path: Path) -> None:
    for i in range(N):
        site.set(f"/p{i}.html", SAMPLE_HTML.replace("</body>", f"<p>{i}</p></body>"), delay=0.5)
    registry = write_registry(
        tmp_path / "s.toml", [source(f"pg-{i:02d}", site.url(f"/p{i}.html")) for i in range(N)]
    )
    cfg = fast_config(tmp_path / "policywatch.toml")
    args = ("run", "--config", str(cfg), "--db", cluster.url, "--sources", str(registry))
    proc = subprocess.Popen(
        pw_cmd(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    db = Database(cluster.url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the crawl child has opened its run
        with db.session() as s:
            if s.scalars(select(CrawlRun)).first() is not None:
                break
        time.sleep(0.1)
    db.dispose()
    time.sleep(1.0)
    cluster.stop()
    _out, err = proc.communicate(timeout=180)
    assert proc.returncode == 1
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "database" in lines[0].lower(), err

    cluster.start()
    again = pw(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "closed 1 crawl run(s) left running" in again.stderr
    db = Database(cluster.url)
    with db.session() as s:
        statuses = [r.status for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))]
    assert statuses == ["interrupted", "finished"]
    assert count(db, Snapshot) == N
    assert duplicate_runs(db) == 0
    db.dispose()
