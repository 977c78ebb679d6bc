"""Peak memory and CPU of the diff job as the registry grows.

For each size N, a fresh SQLite database gets N synthetic sources written directly (no crawl):
each has a diffed first version (a policy page padded with PAD evidence paragraphs) and one new
version to diff: a third a stricter policy (a criteria change), a third noise only, a third a
maintenance page (an outage). The diff job then runs in a fresh interpreter, the way
`policywatch run` runs it, and that interpreter's peak RSS and CPU seconds are printed.

    python bench/stream.py [--sizes 1000 5000] [--pad 40] [--unchanged] [--code DIR]

``--unchanged``: no new versions at all (the diff job after an all-304 crawl).

``--code DIR`` runs the diff job with another checkout's code (e.g. an export of main, to
compare before and after): ``git archive main | tar -x -C /tmp/main-src``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import Database  # noqa: E402
from tests.monitor.scale_data import add_sources, add_versions, mark_all_diffed  # noqa: E402
from tests.support.samples import SAMPLE_HTML  # noqa: E402

MAINTENANCE = (
    "<html><head><title>Maintenance</title></head><body><h1>We'll be back soon</h1>"
    "<p>This site is down for scheduled maintenance. Please try again later.</p></body></html>"
)

# Runs in the child: the diff job as the cycle runs it, then the child's own resource usage.
CHILD = """
import json, resource, sys, time
from datetime import UTC, datetime
from storage.db import Database
import monitor.changes as changes

db = Database(sys.argv[1])
now = datetime(2026, 7, 1, tzinfo=UTC)
wall = time.monotonic()
if hasattr(changes, "run_diff"):  # committed per batch of sources
    stats = changes.run_diff(db, now=now)
else:  # before: one session for the whole job
    with db.session() as session:
        stats = changes.detect_changes(session, now=now)
wall = time.monotonic() - wall
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "events": len(stats.events), "versions": stats.versions, "errors": len(stats.errors),
    "rss_mib": use.ru_maxrss / 1024, "cpu_s": use.ru_utime + use.ru_stime, "wall_s": wall,
}))
"""


def padded(pad: int) -> str:
    evidence = "".join(
        f"<p>Study {i}: outcomes of ketamine infusion in treatment-resistant depression.</p>"
        for i in range(pad)
    )
    return SAMPLE_HTML.replace("</main>", f"<h2>Clinical evidence</h2>{evidence}</main>")


def build(url: str, sources: int, pad: int, unchanged: bool) -> None:
    base = padded(pad)
    stricter = base.replace("at least three (3) different", "at least four (4) different")
    noise = base.replace("February 10, 2026", "August 3, 2026")
    db = Database(url)
    with db.session() as s:
        ids = add_sources(s, sources)
        add_versions(s, ids, [base])
        mark_all_diffed(s)
        if unchanged:
            db.dispose()
            return
        third = sources // 3
        add_versions(s, ids[:third], [stricter], first_day=1)
        add_versions(s, ids[third : 2 * third], [noise], first_day=1)
        add_versions(s, ids[2 * third :], [MAINTENANCE], first_day=1)
    db.dispose()


def run_child(url: str, code: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, url], env=env, capture_output=True, text=True, cwd=code
    )
    if proc.returncode != 0:
        raise SystemExit(f"the diff job failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--pad", type=int, default=40, help="evidence paragraphs per page")
    parser.add_argument("--unchanged", action="store_true", help="no new versions to diff")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose diff job runs")
    args = parser.parse_args()
    what = "no new versions" if args.unchanged else f"pages padded with {args.pad} paragraphs"
    print(f"diff job of {args.code}, {what}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/stream.sqlite"
            started = time.monotonic()
            build(url, size, args.pad, args.unchanged)
            built = time.monotonic() - started
            r = run_child(url, args.code.resolve())
        print(
            f"{size:>6} sources: peak RSS {r['rss_mib']:.0f} MiB, CPU {r['cpu_s']:.1f} s "
            f"({1000 * r['cpu_s'] / size:.1f} ms/source), wall {r['wall_s']:.1f} s; "
            f"{r['versions']:.0f} versions, {r['events']:.0f} events, {r['errors']:.0f} errors "
            f"(data written in {built:.1f} s)"
        )


if __name__ == "__main__":
    main()
