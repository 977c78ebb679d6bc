"""Whole-cycle cost per source: policywatch against a naive monitor and a bare Scrapy spider.

    python bench/cycle.py [--sizes 60,300] [--hosts 8] [--delay 0.25] [--repeat 2] [--keep DIR]

A server process serves synthetic ketamine / esketamine policies (HTML of 50-300 KB, every
10th document a 4-20 page PDF) on 127.0.0.2, 127.0.0.3, ... (one "site" per address, with
ETag / Last-Modified and 304 answers). For each size N the same pages are then fetched by:

- ``policywatch run`` (the real cycle: crawl, extract, diff, report, notify) in a subprocess with
  its own SQLite database and config: a first cycle, then an unchanged cycle (every page 304);
- a naive monitor (aiohttp + lxml + difflib, one request at a time per site and the same delay,
  conditional requests, previous text in SQLite): first and unchanged cycle;
- a bare Scrapy spider with policywatch's politeness settings (robots.txt, per-site concurrency,
  delay, AutoThrottle) that fetches the full pages and does nothing with them.

Each is measured as a child process: CPU seconds (user + system, its descendants included) and
peak memory (RSS of the largest process, and the sampled PSS sum over its process tree). Fixed
costs (interpreter start, imports, migrations) cancel out in the marginal CPU per source, the
slope between the two sizes. Each run is repeated (``--repeat``, on fresh databases) and the
least CPU is kept, the one least disturbed by the rest of a busy machine. Figures only; the
targets of issue 10 are printed beside them. ``--delay`` defaults to 0.25 s rather than
policywatch's 1 s so a run takes minutes; CPU, not wall time, is the figure. Needs the
``bench`` extra (aiohttp, reportlab).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import measure
import tomli_w
from policy_pages import document, payer_of

FIRST_HOST = 2  # 127.0.0.2 onwards: 127.0.0.1 is what everything else on a machine uses


# --- the page server ----------------------------------------------------------------------


def _serve(count: int, hosts: int, pdf_every: int, queue: Any) -> None:
    from monitor.sites.localsite import LocalSite

    sites = [LocalSite(host=f"127.0.0.{FIRST_HOST + h}").start() for h in range(hosts)]
    for site in sites:
        site.set("/robots.txt", b"User-agent: *\nAllow: /\n", content_type="text/plain")
    urls = []
    for i in range(count):
        body, ctype = document(i, pdf_every=pdf_every)
        site = sites[i % hosts]
        path = f"/policies/{i:05d}." + ("pdf" if ctype == "application/pdf" else "html")
        site.set(path, body, content_type=ctype)
        urls.append(site.url(path))
    queue.put(urls)
    while True:
        time.sleep(3600)
        for site in sites:  # the request log is for tests; a long benchmark need not keep it
            with site.lock:
                site.requests.clear()
                site.arrivals.clear()


def start_server(count: int, hosts: int, pdf_every: int) -> tuple[Any, list[str]]:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(count, hosts, pdf_every, queue), daemon=True)
    proc.start()
    return proc, queue.get(timeout=600)


# --- the naive monitor (child process) ----------------------------------------------------


def naive_monitor(urls: list[str], state: str, concurrency: int, delay: float) -> dict[str, int]:
    """Fetch every URL (conditional on the stored ETag), extract text, diff, store."""
    import asyncio
    import difflib
    from urllib.parse import urlsplit

    import aiohttp
    import lxml.html

    db = sqlite3.connect(state)
    db.execute("CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, etag TEXT, text TEXT)")
    counts = {"new": 0, "changed": 0, "unchanged": 0, "failed": 0, "diff_lines": 0}

    def text_of(body: bytes, ctype: str) -> str:
        if "pdf" in ctype:
            import pypdfium2

            pdf = pypdfium2.PdfDocument(body)
            try:
                return "\n".join(page.get_textpage().get_text_range() for page in pdf)
            finally:
                pdf.close()
        doc = lxml.html.document_fromstring(body)
        for el in doc.xpath("//script|//style"):
            el.drop_tree()
        return "\n".join(t.strip() for t in doc.itertext() if t.strip())

    def record(url: str, etag: str | None, body: bytes, ctype: str, old: str | None) -> None:
        text = text_of(body, ctype)
        lines = list(difflib.unified_diff((old or "").splitlines(), text.splitlines(), lineterm=""))
        counts["diff_lines"] += len(lines)
        counts["new" if old is None else ("changed" if lines else "unchanged")] += 1
        db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?)", (url, etag, text))

    async def site(
        session: aiohttp.ClientSession, gate: asyncio.Semaphore, todo: list[str]
    ) -> None:
        loop = asyncio.get_running_loop()
        last = 0.0
        for url in todo:
            async with gate:  # one request at a time per site, `concurrency` sites at once
                wait = last + delay - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                row = db.execute("SELECT etag, text FROM pages WHERE url = ?", (url,)).fetchone()
                headers = {"If-None-Match": row[0]} if row and row[0] else {}
                try:
                    async with session.get(url, headers=headers) as resp:
                        body = await resp.read()
                        status, etag = resp.status, resp.headers.get("ETag")
                        ctype = resp.headers.get("Content-Type", "")
                except aiohttp.ClientError:
                    counts["failed"] += 1
                    continue
                finally:
                    last = loop.time()
            if status == 304:
                counts["unchanged"] += 1
            elif status == 200:
                record(url, etag, body, ctype, row[1] if row else None)
            else:
                counts["failed"] += 1
        db.commit()

    async def main() -> None:
        by_host: dict[str, list[str]] = {}
        for url in urls:
            by_host.setdefault(urlsplit(url).netloc, []).append(url)
        gate = asyncio.Semaphore(concurrency)
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=1)
        async with aiohttp.ClientSession(connector=connector) as session:
            for netloc in by_host:  # robots.txt once per site, as a polite monitor does
                async with session.get(f"http://{netloc}/robots.txt") as resp:
                    await resp.read()
            await asyncio.gather(*(site(session, gate, todo) for todo in by_host.values()))

    asyncio.run(main())
    db.commit()
    db.close()
    return counts


# --- the bare Scrapy spider (child process) -----------------------------------------------

# policywatch's politeness, as its runner sets it from the config; everything else stock Scrapy.
POLITENESS = (
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_DELAY",
    "RANDOMIZE_DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_MAX_DELAY",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_MAXSIZE",
    "RETRY_TIMES",
    "RETRY_HTTP_CODES",
    "COOKIES_ENABLED",
)


def bare_scrapy(urls: list[str], config: str) -> dict[str, int]:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawler.config import load_config
    from crawler.runner import scrapy_settings

    full = scrapy_settings(load_config(config), [])
    settings = {k: full[k] for k in POLITENESS if k in full}
    settings.update(LOG_LEVEL="ERROR", TELNETCONSOLE_ENABLED=False)
    counts = {"fetched": 0, "bytes": 0}

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self) -> Any:
            for url in urls:
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response: Any) -> None:
            counts["fetched"] += 1
            counts["bytes"] += len(response.body)

    process = CrawlerProcess(settings)
    process.crawl(Bare)
    process.start()
    return counts


# --- the harness --------------------------------------------------------------------------


def write_setup(tmp: Path, urls: list[str], args: argparse.Namespace) -> Path:
    """Registry and config for one size; returns the config path."""
    n = len(urls)
    registry = tmp / f"sources-{n}.toml"
    registry.write_text(
        tomli_w.dumps(
            {
                "source": [
                    {
                        "id": f"bench-{i:05d}",
                        "payer": payer_of(i),
                        "plan_type": "commercial",
                        "state": "US",
                        "document_type": "medical_policy",
                        "title": f"Ketamine and Esketamine {i}",
                        "url": url,
                    }
                    for i, url in enumerate(urls)
                ]
            }
        )
    )
    config = tmp / f"policywatch-{n}.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "database": f"sqlite:///{tmp}/policywatch-{n}.sqlite",
                "sources": [registry.name],
                "crawl": {
                    "concurrency": args.concurrency,
                    "download_delay": args.delay,
                    "log_file": str(tmp / f"crawl-{n}.log"),
                },
                "report": {"out_dir": str(tmp / f"reports-{n}")},
            }
        )
    )
    return config


def fetch_results(db_path: Path) -> str:
    """What the last crawl run recorded, e.g. '300 new_version' (a sanity check)."""
    try:
        with sqlite3.connect(db_path) as db:
            rows = db.execute(
                "SELECT result, count(*) FROM fetch_attempts WHERE run_id = "
                "(SELECT max(id) FROM crawl_runs) GROUP BY result"
            ).fetchall()
    except sqlite3.Error as exc:
        return f"? ({exc})"
    return ", ".join(f"{c} {r}" for r, c in rows)


def measure_size(tmp: Path, urls: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Each run ``--repeat`` times on fresh databases; the least CPU and the largest RSS."""
    n = len(urls)
    me = [sys.executable, str(Path(__file__).resolve())]
    seen: dict[str, list[measure.Usage]] = {}
    notes: dict[str, str] = {}
    for r in range(args.repeat):
        work = tmp / f"n{n}-r{r}"
        work.mkdir(parents=True, exist_ok=True)
        config = write_setup(work, urls, args)
        url_file = work / "urls.json"
        url_file.write_text(json.dumps(urls))
        pw = [*measure.policywatch(), "run", "--config", str(config)]
        naive = [
            *me,
            "_naive",
            str(url_file),
            str(work / "naive.sqlite"),
            str(args.concurrency),
            str(args.delay),
        ]
        runs = {
            "policywatch first": pw,
            "policywatch unchanged": pw,
            "naive first": naive,
            "naive unchanged": naive,
            "bare scrapy": [*me, "_bare", str(url_file), str(config)],
        }
        for label, cmd in runs.items():
            usage = measure.run(cmd, cwd=work)
            if label.startswith("policywatch"):
                note = fetch_results(work / f"policywatch-{n}.sqlite")
            else:
                note = usage.stdout.strip().splitlines()[-1] if usage.stdout.strip() else ""
            if usage.returncode != 0:
                tail = (usage.stderr.strip().splitlines() or [""])[-1][:100]
                note = f"exit {usage.returncode}: {tail} | {note}"
            seen.setdefault(label, []).append(usage)
            notes.setdefault(label, note)
            print(
                f"{n:6d}  {label:22} {usage.cpu:8.2f} {usage.wall:8.1f} {usage.max_rss_mib:8.0f} "
                f"{usage.tree_rss_mib:8.0f}  {note}",
                flush=True,
            )
    # The least CPU of the repeats is the one least disturbed by the rest of the machine.
    return {
        label: (
            min(usages, key=lambda u: u.cpu),
            max(u.max_rss_mib for u in usages),
            max(u.tree_rss_mib for u in usages),
        )
        for label, usages in seen.items()
    }


def report(results: dict[int, dict[str, Any]]) -> None:
    small, large = sorted(results)[0], sorted(results)[-1]
    span = large - small

    def slope(label: str) -> float:
        return (results[large][label][0].cpu - results[small][label][0].cpu) / span * 1000

    print(f"\nmarginal CPU per source (ms), slope between {small} and {large} sources")
    print(f"{'':22} {'first':>9} {'unchanged':>10}")
    for who in ("policywatch", "naive"):
        print(f"{who:22} {slope(who + ' first'):9.2f} {slope(who + ' unchanged'):10.2f}")
    print(f"{'bare scrapy (full)':22} {slope('bare scrapy'):9.2f}")

    def ratio(a: str, b: str) -> str:
        # Too few sources make a slope noise; say so rather than print a silly ratio.
        return f"{slope(a) / slope(b):6.2f}x" if slope(b) > 0.05 else "   n/a (sizes too close)"

    for what, a, b, target in (
        ("first cycle      policywatch / naive", "policywatch first", "naive first", "<= 5x"),
        ("unchanged cycle  policywatch / naive", "policywatch unchanged", "naive unchanged", ""),
        (
            "unchanged cycle  policywatch / bare scrapy",
            "policywatch unchanged",
            "bare scrapy",
            "<= 1x",
        ),
    ):
        print(f"{what:44} {ratio(a, b)}" + (f"  (target {target})" if target else ""))
    print("\npeak memory (MiB): RSS of the largest process / PSS of the whole process tree")
    for label in ("policywatch first", "policywatch unchanged", "naive first", "bare scrapy"):
        _, lo_max, lo_tree = results[small][label]
        _, hi_max, hi_tree = results[large][label]
        print(
            f"{label:22} {small:>5}: {lo_max:5.0f} / {lo_tree:5.0f}   "
            f"{large:>5}: {hi_max:5.0f} / {hi_tree:5.0f}   "
            f"ratio {hi_max / lo_max:4.2f} / {hi_tree / lo_tree:4.2f}"
            + ("  (target <= 1.3)" if label == "policywatch first" else "")
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_naive":
        urls = json.loads(Path(sys.argv[2]).read_text())
        print(naive_monitor(urls, sys.argv[3], int(sys.argv[4]), float(sys.argv[5])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_bare":
        print(bare_scrapy(json.loads(Path(sys.argv[2]).read_text()), sys.argv[3]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="60,300", help="two or more source counts")
    parser.add_argument("--hosts", type=int, default=8, help="sites (127.0.0.2, .3, ...)")
    parser.add_argument("--delay", type=float, default=0.25, help="seconds between requests")
    parser.add_argument("--concurrency", type=int, default=8, help="sites fetched at once")
    parser.add_argument("--pdf-every", type=int, default=10, help="every Nth document a PDF")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each; the least CPU counts (default 2)"
    )
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (databases, logs)")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if len(sizes) < 2:
        parser.error("--sizes needs two different sizes, e.g. 60,300")

    server, urls = start_server(sizes[-1], args.hosts, args.pdf_every)
    print(
        f"{len(urls)} documents on {args.hosts} sites, delay {args.delay} s, concurrency "
        f"{args.concurrency}, {multiprocessing.cpu_count()} CPU(s)"
    )
    print(
        f"{'size':>6}  {'run':22} {'CPU s':>8} {'wall s':>8} {'maxRSS':>8} {'treePSS':>8}  result"
    )
    try:
        with contextlib.ExitStack() as stack:
            if args.keep:
                tmp = Path(args.keep).resolve()
                tmp.mkdir(parents=True, exist_ok=True)
            else:
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            results = {n: measure_size(tmp, urls[:n], args) for n in sizes}
    finally:
        server.terminate()
    report(results)


if __name__ == "__main__":
    main()
