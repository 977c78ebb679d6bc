"""A crawl cluster on this machine: sites on several 127.0.0.x hosts, real `policywatch worker`
processes, the real Redis and PostgreSQL. Shared by the tests and bench/cluster.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import tomli_w

from crawler.config import load_config
from crawler.registry import PolicySource, load_sources
from monitor.sites.localsite import LocalSite

REDIS_URL = os.environ.get("POLICYWATCH_TEST_REDIS", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]


def page(i: int, trials: str = "three (3)") -> str:
    return f"""<html><head><title>Esketamine (Spravato) policy {i}</title></head><body>
<h1>Esketamine (Spravato) nasal spray, policy {i}</h1>
<h2>Coverage criteria</h2>
<p>Esketamine (Spravato) is considered medically necessary when all of the following criteria
are met:</p>
<ol><li>The member is 18 years of age or older; and</li>
<li>Diagnosis of treatment-resistant major depressive disorder; and</li>
<li>Inadequate response to at least {trials} different antidepressants, each for at least
6 weeks at an adequate dose, in the current episode; and</li>
<li>Esketamine is given with an oral antidepressant.</li></ol>
<h2>Approval duration</h2><p>Initial approval: 4 weeks. Renewal: 6 months.</p>
</body></html>"""


class Cluster:
    """Sites, a config file and worker processes; use as a context manager."""

    def __init__(
        self,
        tmp: Path,
        db_url: str,
        *,
        sources: int,
        hosts: int = 4,
        batch_size: int = 10,
        heartbeat_timeout: int = 3,
        page_delay: float = 0.0,
        download_delay: float = 0.0,
    ) -> None:
        self.download_delay = download_delay
        self.tmp = tmp
        self.namespace = f"pwtest-{uuid.uuid4().hex[:10]}"  # a key prefix of its own
        self.sites = [LocalSite(host=f"127.0.0.{2 + h}") for h in range(hosts)]
        self.page_delay = page_delay
        self.n = sources
        self.workers: list[subprocess.Popen[bytes]] = []
        self.config_path = tmp / "policywatch.toml"
        self.db_url = db_url
        self.batch_size = batch_size
        self.heartbeat_timeout = heartbeat_timeout

    def site_of(self, i: int) -> LocalSite:
        return self.sites[i % len(self.sites)]

    def path_of(self, i: int) -> str:
        return f"/policy-{i}.html"

    def __enter__(self) -> Cluster:
        for site in self.sites:
            site.start()
        entries = []
        for i in range(self.n):
            self.site_of(i).set(self.path_of(i), page(i), delay=self.page_delay)
            entries.append(
                {
                    "id": f"src-{i:04d}",
                    "payer": f"Payer {i % 7}",
                    "plan_type": "commercial",
                    "state": "US",
                    "document_type": "drug_policy",
                    "title": f"Esketamine (Spravato) policy {i}",
                    "url": self.site_of(i).url(self.path_of(i)),
                }
            )
        registry = self.tmp / "sources.toml"
        registry.write_bytes(tomli_w.dumps({"source": entries}).encode())
        config = {
            "database": self.db_url,
            "sources": [str(registry)],
            "crawl": {
                "download_delay": self.download_delay,
                "timeout": 10.0,
                "retries": 1,
                "log_file": str(self.tmp / "crawl.log"),
            },
            "report": {"out_dir": str(self.tmp / "reports")},
            "cluster": {
                "queue_url": REDIS_URL,
                "namespace": self.namespace,
                "batch_size": self.batch_size,
                "heartbeat_timeout_seconds": self.heartbeat_timeout,
                "deadline_seconds": 600,
            },
        }
        self.config_path.write_bytes(tomli_w.dumps(config).encode())
        return self

    def config(self) -> Any:
        return load_config(self.config_path, env={})

    def sources(self) -> list[PolicySource]:
        return load_sources([self.tmp / "sources.toml"])

    def start_worker(self) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "wb")  # noqa: SIM115
        env = {**os.environ, "POLICYWATCH_HOME": str(self.tmp / "home")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "worker", "--config", str(self.config_path)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(proc)
        return proc

    def hits(self) -> Counter[str]:
        """Requests per source page (robots.txt not counted)."""
        counts: Counter[str] = Counter()
        for site in self.sites:
            with site.lock:
                for path, _ in site.requests:
                    if path.startswith("/policy-"):
                        counts[f"{site.host}{path}"] += 1
        return counts

    def reset_hits(self) -> None:
        for site in self.sites:
            with site.lock:
                site.requests.clear()
                site.arrivals.clear()
                site.max_active = 0

    def stop_workers(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 60
        for proc in self.workers:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def cleanup_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{self.namespace}:*", count=1000):
            client.delete(key)
        client.close()

    def __exit__(self, *exc: object) -> None:
        self.stop_workers()
        for site in self.sites:
            site.stop()
        self.cleanup_redis()
