"""Peak memory of storing big pages, and of `policywatch extract URL` on an oversized body.

The crawl child's peak RSS (extraction off) while it crawls N pages of SIZE MiB each into a
SQLite file (the store step writes small batches bounded by POLICYWATCH_BATCH_BYTES instead of
holding up to 200 bodies), and the peak RSS of `policywatch extract URL` on a body of EXTRACT MiB
with [crawl] max_bytes at its default 50 MiB (it stops reading at the limit instead of reading all).

    python bench/memory.py [--pages 12] [--size 20] [--extract 300]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tomli_w

from crawler.config import Config
from crawler.registry import load_sources
from crawler.runner import crawl_here, prepare


def serve(pages: int, size_mib: int, extract_mib: int, queue: Any) -> None:
    from monitor.sites.localsite import LocalSite

    site = LocalSite().start()
    for i in range(pages):
        filler = (f"<p>page {i} ketamine policy text. </p>" * 200).encode()
        body = b"<html><body>" + filler * (size_mib * 1024 * 1024 // len(filler)) + b"</body>"
        site.set(f"/big{i}.html", body, validators=False)
    site.set("/huge.html", b"<html>" + b"x" * (extract_mib * 1024 * 1024), validators=False)
    queue.put(site.port)
    time.sleep(3600)


def crawl_peak(cfg: Config, ids: list[str]) -> tuple[float, float]:
    """Crawl in a fresh child; its peak RSS in MiB and the seconds taken."""

    def child() -> None:
        # Extraction off: this measures fetching and storing, not the HTML parser.
        crawl_here(
            cfg,
            ids,
            AUTOTHROTTLE_ENABLED=False,
            CONCURRENT_REQUESTS_PER_DOMAIN=8,
            POLICYWATCH_EXTRACT=False,
        )

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    proc = multiprocessing.get_context("fork").Process(target=child)
    proc.start()
    proc.join()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(peak, before) / 1024, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--size", type=int, default=20, help="MiB per page")
    parser.add_argument("--extract", type=int, default=300, help="MiB for extract URL")
    args = parser.parse_args()
    queue: Any = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=serve, args=(args.pages, args.size, args.extract, queue), daemon=True
    )
    server.start()
    port = queue.get()
    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "s.toml"
        entries = [
            {
                "id": f"big-{i:03d}",
                "payer": "Bench",
                "plan_type": "commercial",
                "state": "US",
                "document_type": "drug_policy",
                "title": f"Big {i}",
                "url": f"http://127.0.0.1:{port}/big{i}.html",
            }
            for i in range(args.pages)
        ]
        registry.write_bytes(tomli_w.dumps({"source": entries}).encode())
        cfg = Config(database=f"sqlite:///{tmp}/bench.sqlite")
        cfg.crawl.download_delay = 0.0
        cfg.crawl.log_file = f"{tmp}/crawl.log"
        ids = prepare(cfg, load_sources([registry]))
        peak, seconds = crawl_peak(cfg, ids)
        total = args.pages * args.size
        print(
            f"crawl+store {args.pages} x {args.size} MiB ({total} MiB): "
            f"peak RSS {peak:.0f} MiB, {seconds:.1f} s"
        )
        # The command in its own interpreter, reporting its own peak RSS.
        probe = (
            "import resource, runpy, sys\n"
            f"sys.argv = ['policywatch', 'extract', 'http://127.0.0.1:{port}/huge.html']\n"
            "try:\n    runpy.run_module('monitor.cli', run_name='__main__')\n"
            "except SystemExit as exc:\n    code = exc.code\n"
            "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code)\n"
        )
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("PEAK"))
        _, rss, code = line.split()
        print(
            f"extract URL on {args.extract} MiB: exit {code} in {time.monotonic() - start:.1f} s, "
            f"peak RSS {int(rss) / 1024:.0f} MiB; {proc.stderr.strip().splitlines()[0][:90]}"
        )
    server.terminate()


if __name__ == "__main__":
    main()
