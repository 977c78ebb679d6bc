"""First-crawl speed with extraction in the crawl process against the worker pool.

Serves N policy pages on 127.0.0.1 from a server in its own process (HTML of 50-300 KB built
like bench/extract.py's, plus one PDF of 10-30 pages in every ten sources; each body unique),
then runs a first crawl (every page a new version: fetch, hash, extract, store) into a fresh
SQLite file, alternately with ``POLICYWATCH_EXTRACT_WORKERS = 0`` (parsing on the reactor thread)
and with the pool (one worker per core). Politeness limits are raised for the benchmark only,
as in bench/crawl.py, so the crawl is bound by CPU, not by delays.

Prints, per mode (best run by wall): wall seconds, pages per second, and CPU seconds of the
reactor thread (``time.thread_time``: the work every download waits behind), of the whole crawl
process (reactor, store writer thread: RUSAGE_SELF) and of its extraction workers
(RUSAGE_CHILDREN of the crawl process, whose workers it waits for). Wall times need a quiet
machine; the CPU seconds hold on a busy one.

    python bench/pool.py [--sources 200] [--repeat 2] [--workers -1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tomli_w

from bench.extract import build_html, build_pdf
from crawler.config import Config
from crawler.registry import load_sources
from crawler.runner import crawl_here, in_child, prepare


def pages(n: int) -> dict[str, tuple[bytes, str]]:
    """path -> (body, content type): unique bodies, HTML 50-300 KB, a PDF in every ten."""
    sizes = [50_000 + (250_000 * i) // max(1, n - 1) for i in range(n)]
    html = {size: build_html(size) for size in sorted(set(sizes))[:: max(1, n // 20)]}
    pdfs = [build_pdf(p) for p in (10, 20, 30)]
    out: dict[str, tuple[bytes, str]] = {}
    for i in range(n):
        if i % 10 == 9:
            # Bytes after %%EOF make each PDF unique without changing what it says.
            body = pdfs[i % 3] + f"\n% source {i}\n".encode()
            out[f"/policy/{i}.pdf"] = (body, "application/pdf")
        else:
            nearest = min(html, key=lambda s: abs(s - sizes[i]))
            body = html[nearest].replace(b"</main>", f"<p>Document {i}.</p></main>".encode())
            out[f"/policy/{i}.html"] = (body, "text/html; charset=utf-8")
    return out


def serve(n: int, queue: Any) -> None:
    from monitor.sites.localsite import LocalSite

    site = LocalSite().start()
    for path, (body, ctype) in pages(n).items():
        site.set(path, body, content_type=ctype)
    queue.put((site.port, sorted(site.pages)))
    while True:
        time.sleep(3600)


def bench_settings(workers: int) -> dict[str, Any]:
    return {
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "POLICYWATCH_EXTRACT_WORKERS": workers,
    }


def _crawl_and_measure(cfg: Config, ids: list[str], workers: int) -> dict[str, float]:
    """In the crawl process: crawl, then the CPU of its reactor thread, of the whole process and
    of its (waited) extraction workers."""
    began, reactor_began = time.perf_counter(), time.thread_time()
    summary = crawl_here(cfg, ids, **bench_settings(workers))  # the reactor runs on this thread
    wall, reactor = time.perf_counter() - began, time.thread_time() - reactor_began
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert summary.failed == 0 and summary.new_versions == len(ids), summary
    return {
        "wall": wall,
        "reactor_cpu": reactor,
        "crawl_cpu": me.ru_utime + me.ru_stime,
        "worker_cpu": kids.ru_utime + kids.ru_stime,
    }


def first_crawl(tmp: Path, registry: Path, workers: int, run: int) -> dict[str, float]:
    cfg = Config()
    cfg.database = f"sqlite:///{tmp}/bench-{workers}-{run}.sqlite"
    cfg.crawl.download_delay = 0.0
    ids = prepare(cfg, load_sources([registry]))
    return in_child(_crawl_and_measure, cfg, ids, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each mode, alternated")
    parser.add_argument("--workers", type=int, default=-1, help="pool size; -1: one per core")
    args = parser.parse_args()

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    server = ctx.Process(target=serve, args=(args.sources, queue), daemon=True)
    server.start()
    port, paths = queue.get()
    modes = {"in-process (workers=0)": 0, f"pool (workers={args.workers})": args.workers}
    results: dict[str, list[dict[str, float]]] = {label: [] for label in modes}
    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "sources.toml"
        entries = [
            {
                "id": f"bench-{i:05d}",
                "payer": "Bench",
                "plan_type": "commercial",
                "state": "US",
                "document_type": "drug_policy",
                "title": f"Policy {i}",
                "url": f"http://127.0.0.1:{port}{path}",
                "format": "pdf" if path.endswith(".pdf") else "html",
            }
            for i, path in enumerate(paths)
        ]
        registry.write_text(tomli_w.dumps({"source": entries}))
        for run in range(args.repeat):
            for label, workers in modes.items():
                results[label].append(first_crawl(Path(tmp), registry, workers, run))
    server.terminate()

    pdfs = sum(p.endswith(".pdf") for p in paths)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"first crawl of {args.sources} sources ({args.sources - pdfs} HTML 50-300 KB, {pdfs} PDF)"
        f" on 127.0.0.1, {len(os.sched_getaffinity(0))} core(s); best of {args.repeat} by wall;"
        f" load average {load}"
    )
    print(
        f"{'mode':26} {'wall s':>7} {'pages/s':>8} {'reactor thread CPU s':>21} "
        f"{'crawl process CPU s':>20} {'workers CPU s':>14}"
    )
    best = {label: min(runs, key=lambda r: r["wall"]) for label, runs in results.items()}
    for label, r in best.items():
        print(
            f"{label:26} {r['wall']:7.2f} {args.sources / r['wall']:8.1f} "
            f"{r['reactor_cpu']:21.2f} {r['crawl_cpu']:20.2f} {r['worker_cpu']:14.2f}"
        )
    off, on = best.values()
    total_off = off["crawl_cpu"] + off["worker_cpu"]
    total_on = on["crawl_cpu"] + on["worker_cpu"]
    print(
        f"speed-up (wall): {off['wall'] / on['wall']:.2f}x; reactor thread CPU "
        f"{off['reactor_cpu']:.2f}s -> {on['reactor_cpu']:.2f}s (what downloads wait behind); "
        f"total CPU {total_off:.2f}s -> {total_on:.2f}s"
    )


if __name__ == "__main__":
    main()
