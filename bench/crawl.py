"""Crawl throughput: policywatch's spider and pipelines against a bare Scrapy spider.

N sources (default 2,000) are served on 127.0.0.1 by a server in its own process. policywatch
crawls them twice (first crawl, then an unchanged recrawl answered with 304s), and a bare Scrapy
spider with no pipelines fetches the same URLs, with the same concurrency settings (politeness
limits raised for the benchmark only). Prints pages per second and the ratios.

    python bench/crawl.py [--sources 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tomli_w

from crawler.config import Config
from crawler.registry import load_sources
from crawler.runner import crawl_in_child, prepare

PAGE = """<html><head><title>Policy {i}</title></head><body><h1>Esketamine policy {i}</h1>
<p>Esketamine (Spravato) is considered medically necessary when all of the following are met:</p>
<ol><li>Diagnosis of treatment-resistant depression; and</li>
<li>Failure of two antidepressants of adequate dose and duration.</li></ol>
{filler}</body></html>"""


def serve(n: int, queue: Any) -> None:
    from monitor.sites.localsite import LocalSite

    site = LocalSite().start()
    filler = "<p>" + "Background text about depression treatment. " * 40 + "</p>"
    for i in range(n):
        site.set(f"/policy/{i}.html", PAGE.format(i=i, filler=filler))
    queue.put(site.port)
    while True:
        time.sleep(3600)


def bench_settings(concurrency: int) -> dict[str, Any]:
    return {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "ROBOTSTXT_OBEY": True,
    }


def _bare(urls: list[str], concurrency: int, queue: Any) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self) -> Any:
            for url in urls:
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response: Any) -> None:
            return None

    started = time.perf_counter()
    process = CrawlerProcess(bench_settings(concurrency))
    process.crawl(Bare)
    process.start()
    queue.put(time.perf_counter() - started)


def bare_crawl(urls: list[str], concurrency: int) -> float:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_bare, args=(urls, concurrency, queue))
    proc.start()
    elapsed = float(queue.get())
    proc.join()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    n = args.sources

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    server = ctx.Process(target=serve, args=(n, queue), daemon=True)
    server.start()
    port = queue.get()
    urls = [f"http://127.0.0.1:{port}/policy/{i}.html" for i in range(n)]

    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "sources.toml"
        registry.write_text(
            tomli_w.dumps(
                {
                    "source": [
                        {
                            "id": f"bench-{i:05d}",
                            "payer": "Bench",
                            "plan_type": "commercial",
                            "state": "US",
                            "document_type": "drug_policy",
                            "title": f"Policy {i}",
                            "url": url,
                        }
                        for i, url in enumerate(urls)
                    ]
                }
            )
        )
        cfg = Config()
        cfg.database = f"sqlite:///{tmp}/bench.sqlite"
        cfg.crawl.concurrency = args.concurrency
        cfg.crawl.download_delay = 0.0
        ids = prepare(cfg, load_sources([registry]))
        overrides = bench_settings(args.concurrency)

        results: dict[str, float] = {}
        results["bare scrapy (reference)"] = bare_crawl(urls, args.concurrency)
        for label in ("policywatch first crawl", "policywatch unchanged recrawl"):
            started = time.perf_counter()
            summary = crawl_in_child(cfg, ids, **overrides)
            results[label] = time.perf_counter() - started
            assert summary.failed == 0, summary.failures[:3]
        results["bare scrapy (again)"] = bare_crawl(urls, args.concurrency)
    server.terminate()

    bare = min(results["bare scrapy (reference)"], results["bare scrapy (again)"])
    print(
        f"{n} sources on 127.0.0.1, concurrency {args.concurrency}, "
        f"{multiprocessing.cpu_count()} CPU(s)"
    )
    print(f"{'run':34} {'seconds':>8} {'pages/s':>9} {'vs bare':>8}")
    for label, secs in results.items():
        print(f"{label:34} {secs:8.2f} {n / secs:9.0f} {bare / secs:8.2f}")
    ratio = bare / results["policywatch unchanged recrawl"]
    print(f"unchanged recrawl at {ratio:.0%} of the bare spider's rate (target ≥ 75%)")


if __name__ == "__main__":
    main()
