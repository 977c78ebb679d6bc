"""Crawl throughput of the cluster with 1, 2 and 3 `policywatch worker` processes.

N sources (default 300) on H local sites (127.0.0.2 …, default 12), each page answering after a
simulated network latency (default 50 ms), are put on the queue by the scheduler's code
(`crawl_on_cluster`) and crawled, stored and extracted by the workers into a fresh PostgreSQL
database per run. Prints sources per second for each worker count and the speed-up over one.
The real Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432, user postgres) must be up.

    python bench/cluster.py [--sources 300] [--hosts 12] [--latency 0.05] [--workers 1 2 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from crawler.runner import prepare
from monitor.cluster.dispatch import crawl_on_cluster
from monitor.cluster.status import cluster_status
from tests.cluster.harness import Cluster

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def one_run(workers: int, args: argparse.Namespace) -> tuple[float, int]:
    name = f"pw_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp, Cluster(
            Path(tmp),
            url,
            sources=args.sources,
            hosts=args.hosts,
            batch_size=args.batch,
            page_delay=args.latency,
        ) as cl:
            cfg = cl.config()
            ids = prepare(cfg, cl.sources())  # migrations and registry, before the clock
            for _ in range(workers):
                cl.start_worker()
            while cluster_status(cfg)["workers_alive"] < workers:  # started and connected
                time.sleep(0.2)
            began = time.perf_counter()
            summary = crawl_on_cluster(cfg, ids, poll=0.1)
            elapsed = time.perf_counter() - began
            return elapsed, summary.new_versions
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--hosts", type=int, default=12)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per page")
    parser.add_argument("--batch", type=int, default=25, help="sources per queue message")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    print(
        f"{args.sources} sources on {args.hosts} sites, {args.latency * 1000:.0f} ms per page, "
        f"batches of {args.batch}"
    )
    base = None
    for n in args.workers:
        elapsed, stored = one_run(n, args)
        rate = stored / elapsed
        base = base or rate
        print(
            f"{n} worker(s): {stored} sources in {elapsed:.1f} s = {rate:.1f} sources/s "
            f"(x{rate / base:.2f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
