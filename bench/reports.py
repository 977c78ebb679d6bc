"""Benchmark writing every report with many change events, before vs after a change.

    python bench/reports.py [--events 5000] [--sources 500] [--bodies 4] [--body-size 20000]
                            [--before main] [--after .] [--feed-size 100]

Builds one SQLite database with ``--events`` change events inserted directly (over 30 days,
``--sources`` sources whose versions rotate through ``--bodies`` distinct bodies each, so many
snapshot ids share their bytes), then, for the ``--before`` git revision (exported to a
temporary folder) and the ``--after`` tree, each in its own child process:

- a first write of all reports into an empty folder: wall and CPU seconds, peak RSS, output
  size (the change report's main page, the feed, the archive, everything), file count;
- a second write into the same folder with nothing changed: wall and CPU seconds, peak RSS and
  how many files it rewrote.

Peak RSS is the child's own maximum (``ru_maxrss``), imports included.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
END = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


def _build(db_url: str, args: argparse.Namespace) -> None:
    """Fill the database with the current tree's models (same schema before and after)."""
    sys.path.insert(0, str(REPO))
    spec = importlib.util.spec_from_file_location("synthetic", REPO / "tests/reports/synthetic.py")
    assert spec and spec.loader
    synthetic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic)
    from storage.db import Database

    db = Database(db_url)
    synthetic.fill(
        db,
        events=args.events,
        sources=args.sources,
        end=END,
        days=WINDOW.days,
        bodies_per_source=args.bodies,
        body_size=args.body_size,
        payers=max(1, args.sources // 5),
    )
    db.dispose()


def _child(db_url: str, out: str, feed_size: int) -> None:
    """One write of all reports, in this process; prints its figures as JSON."""
    import inspect

    from monitor.reports import write_all_reports
    from storage.db import Database

    before = {p: p.stat().st_mtime_ns for p in Path(out).rglob("*") if p.is_file()}
    db = Database(db_url)
    kwargs: dict[str, object] = {"since": END - WINDOW, "now": END, "require_review": False}
    if "feed_size" in inspect.signature(write_all_reports).parameters:
        kwargs["feed_size"] = feed_size
    wall, cpu = time.perf_counter(), time.process_time()
    with db.session() as session:
        write_all_reports(session, Path(out), **kwargs)  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    db.dispose()
    files = [p for p in Path(out).rglob("*") if p.is_file()]
    rewritten = sum(1 for p in files if before.get(p) != p.stat().st_mtime_ns)
    archive = [p for p in files if p.parent.name == "archive" and not p.name.startswith(".")]
    print(
        json.dumps(
            {
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "files": len(files),
                "rewritten": rewritten,
                "total_mb": sum(p.stat().st_size for p in files) / 1e6,
                "changes_html_kb": (Path(out) / "changes.html").stat().st_size / 1e3,
                "feed_kb": (Path(out) / "feed.atom").stat().st_size / 1e3,
                "archive_files": len(archive),
                "archive_mb": sum(p.stat().st_size for p in archive) / 1e6,
            }
        )
    )


def _run(tree: Path, db_url: str, out: Path, feed_size: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", db_url, str(out)]
    cmd += ["--feed-size", str(feed_size)]
    done = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"report write failed in {tree}:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _export(rev: str, into: Path) -> Path:
    """The tree of git revision ``rev``, exported (no checkout, no worktree)."""
    archive = into / "tree.tar"
    with open(archive, "wb") as fh:
        subprocess.run(["git", "-C", str(REPO), "archive", rev], stdout=fh, check=True)
    target = into / "tree"
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--bodies", type=int, default=4, help="distinct bodies per source")
    parser.add_argument("--body-size", type=int, default=20_000, help="bytes per page")
    parser.add_argument("--feed-size", type=int, default=100)
    parser.add_argument("--before", default="main", help="git revision to compare against")
    parser.add_argument("--after", type=Path, default=REPO, help="tree to measure")
    parser.add_argument("--child", nargs=2, metavar=("DB_URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.feed_size)
        return
    with tempfile.TemporaryDirectory(prefix="pw-bench-reports-") as tmp:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'events.sqlite'}"
        t0 = time.perf_counter()
        _build(db_url, args)
        print(
            f"{args.events} events, {args.sources} sources x {args.bodies} bodies of "
            f"{args.body_size} B, built in {time.perf_counter() - t0:.1f} s"
        )
        trees = {f"before ({args.before})": _export(args.before, work), "after": args.after}
        header = (
            f"{'':<16} {'write':>5} {'wall s':>7} {'cpu s':>7} {'RSS MB':>7} {'files':>6} "
            f"{'rewrit':>6} {'out MB':>7} {'chg KB':>8} {'feed KB':>8} {'arch n':>6} "
            f"{'arch MB':>8}"
        )
        print(header)
        for label, tree in trees.items():
            out = work / f"out-{len(label)}-{label[:5]}"
            for write in ("first", "again"):
                r = _run(tree, db_url, out, args.feed_size)
                print(
                    f"{label:<16} {write:>5} {r['wall_s']:>7.2f} {r['cpu_s']:>7.2f} "
                    f"{r['peak_rss_mb']:>7.0f} {r['files']:>6.0f} {r['rewritten']:>6.0f} "
                    f"{r['total_mb']:>7.1f} {r['changes_html_kb']:>8.1f} {r['feed_kb']:>8.1f} "
                    f"{r['archive_files']:>6.0f} {r['archive_mb']:>8.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
