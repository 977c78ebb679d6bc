"""Benchmark the clause diff against a plain difflib line diff of the same texts.

    python bench/diff.py [--clauses 5000] [--changed 0.01] [--repeat 7] [--seed 1]

Generates two versions of one large policy (``--clauses`` clauses, a fraction ``--changed``
of them edited, added, removed or reordered), then times in the same run:

- ``difflib``: ``difflib.unified_diff`` over the clause texts as lines (what a generic page
  monitor does), and
- ``diff_versions``: alignment, criteria parsing, classification, redlines and summaries.

The criteria parser's cache is cleared before every timed run, so the figure is a cold diff.
Target: ``diff_versions`` within 5x of the line diff.

:func:`bench_sources` then times the diff job over 10,000 sources with one new version each,
database reads and writes included (target: under 60 s).
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.extract.criteria.values import _parse
from crawler.extract.model import Clause, ClauseType, Drug, Extraction
from monitor.diff import diff_versions

_SECTIONS = ("Coverage Rationale", "Initial Authorization", "Reauthorization", "Limitations")
_CONDITIONS = (
    "treatment-resistant depression",
    "major depressive disorder with acute suicidal ideation or behavior",
    "post-traumatic stress disorder",
    "generalized anxiety disorder",
    "chronic neuropathic pain",
    "obsessive-compulsive disorder",
)
_TEMPLATES = (
    "The individual has had an inadequate response to at least {n} antidepressants from "
    "different classes, each for at least {w} weeks, in group {g} item {i}",
    "Esketamine is administered in a REMS-certified setting and the member is observed for at "
    "least {h} hours after dose {i} of schedule {g}",
    "Initial approval for protocol {g}.{i} is for up to {m} months when documentation is provided",
    "Ketamine for {cond} is considered experimental and investigational (list {g}, row {i})",
    "The prescriber is a psychiatrist or consults with a psychiatrist for case type {g}-{i}",
    "A baseline score on the MADRS of at least {s} is documented for cohort {g} entry {i}",
)


def _clause(rng: random.Random, g: int, i: int) -> Clause:
    tpl = rng.choice(_TEMPLATES)
    text = tpl.format(
        n=rng.choice((2, 3, 4)),
        w=rng.choice((4, 6, 8)),
        h=2,
        m=rng.choice((3, 6, 12)),
        s=rng.choice((20, 28)),
        cond=rng.choice(_CONDITIONS),
        g=g,
        i=i,
    )
    drug: Drug = "ketamine" if text.startswith("Ketamine") else "esketamine"
    stance = "experimental" if drug == "ketamine" else "covered_with_criteria"
    ctype: ClauseType = "listing" if drug == "ketamine" else "criterion"
    section = _SECTIONS[g % len(_SECTIONS)]
    return Clause(text=text, drug=drug, stance=stance, type=ctype, section=section, path=[f"g{g}"])


def make_versions(n: int, changed: float, seed: int) -> tuple[Extraction, Extraction]:
    """Two versions of one large policy; about ``changed`` of the clauses differ."""
    rng = random.Random(seed)
    before = [_clause(rng, k // 25, k % 25) for k in range(n)]
    after = [Clause(**vars(c)) for c in before]
    k = max(4, int(n * changed))
    idx = rng.sample(range(n), k)
    quarter = max(1, k // 4)
    for j in idx[:quarter]:  # edits: the first number changes (every template has one)
        c = after[j]
        after[j] = Clause(**{**vars(c), "text": re.sub(r"\d+", "1\\g<0>", c.text, count=1)})
    for j in idx[quarter : 2 * quarter]:  # rewording: a word inserted after the first one
        c = after[j]
        first, rest = c.text.split(" ", 1)
        after[j] = Clause(**{**vars(c), "text": f"{first} also {rest}"})
    removed = set(idx[2 * quarter : 3 * quarter])
    after = [c for j, c in enumerate(after) if j not in removed]
    for j in idx[3 * quarter :]:  # additions
        after.insert(min(j, len(after)), _clause(rng, 9000 + j, j))
    # Reorder one block of list rows (noise).
    a = rng.randrange(0, max(1, len(after) - 30))
    after[a : a + 30] = list(reversed(after[a : a + 30]))
    mk = lambda cs: Extraction(outcome="ok", format="html", title="Big", clauses=cs)  # noqa: E731
    return mk(before), mk(after)


def _time(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_large_policy(n: int, changed: float, repeat: int, seed: int) -> dict[str, float]:
    """Time diff_versions and a difflib line diff on the same two large versions."""
    before, after = make_versions(n, changed, seed)
    lines_b = [c.text for c in before.clauses]
    lines_a = [c.text for c in after.clauses]

    def line_diff() -> object:
        return list(difflib.unified_diff(lines_b, lines_a, lineterm=""))

    def clause_diff() -> object:
        _parse.cache_clear()  # cold: no criteria parsed in an earlier run
        return diff_versions(before, after, payer="Bench")

    t_line = _time(line_diff, repeat)
    t_clause = _time(clause_diff, repeat)
    events = diff_versions(before, after, payer="Bench")
    return {
        "clauses_before": len(before.clauses),
        "clauses_after": len(after.clauses),
        "difflib_ms": t_line * 1000,
        "diff_versions_ms": t_clause * 1000,
        "ratio": t_clause / t_line if t_line else float("inf"),
        "events": len(events),
        "clause_changes": sum(len(e.clause_changes) for e in events),
    }


def bench_sources(n_sources: int = 10_000, changed: float = 0.01) -> dict[str, float]:
    """Time the diff job over ``n_sources`` sources with one new version each, database included.

    A real SQLite file is filled (not timed) with sources whose first version was already
    diffed and whose second version is new: a ``changed`` share of them changes coverage, the
    rest only changes review dates. The timed part is the production job
    (:func:`monitor.changes.detect_changes`): load each source's last good extraction and the
    new one, diff, write events, commit.
    """
    import tempfile
    from datetime import UTC, datetime

    from sqlalchemy import insert, update

    from crawler.extract import EXTRACTOR_VERSION, extract
    from crawler.extract.record import record_columns
    from monitor.changes import detect_changes
    from monitor.sites.demo import document
    from storage.db import Database
    from storage.models import Blob, ExtractionRecord, Snapshot, Source

    v1 = extract(document("round1", "evergreen-ketamine.html"), "text/html")
    v2_changed = extract(document("round2", "evergreen-ketamine.html"), "text/html")
    v2_noise = Extraction.from_dict({**v1.to_dict(), "last_reviewed": "2026-11-20"})
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.sqlite")
        rows = range(n_sources)
        every = max(1, round(1 / changed)) if changed else n_sources + 1
        t0 = time.perf_counter()
        with db.session() as s:
            s.execute(
                insert(Blob),
                [
                    {
                        "sha256": "0" * 64,
                        "size": 1,
                        "compression": "zlib",
                        "data": b"x\x9c\x03\x00\x00\x00\x00\x01",
                    }
                ],
            )
            s.execute(
                insert(Source),
                [
                    {
                        "id": f"src-{i:05d}",
                        "payer": f"Payer {i % 300}",
                        "plan_type": "commercial",
                        "state": "US",
                        "document_type": "drug_policy",
                        "title": f"Policy {i}",
                        "url": f"https://payer{i % 300}.example/p/{i}.html",
                        "enabled": True,
                        "consecutive_failures": 0,
                        "discovered": False,
                    }
                    for i in rows
                ],
            )
            snaps = []
            for version in (1, 2):
                snaps += [
                    {
                        "id": version * n_sources + i,
                        "source_id": f"src-{i:05d}",
                        "sha256": "0" * 64,
                        "size": 1,
                        "requested_url": f"https://payer{i % 300}.example/p/{i}.html",
                        "final_url": f"https://payer{i % 300}.example/p/{i}.html",
                        "http_status": 200,
                        "content_type": "text/html",
                        "fetched_at": now,
                        "redirects": [],
                    }
                    for i in rows
                ]
            s.execute(insert(Snapshot), snaps)
            data = {
                1: record_columns(v1),
                2: record_columns(v2_noise),
                3: record_columns(v2_changed),
            }
            s.execute(
                insert(ExtractionRecord),
                [
                    {
                        "snapshot_id": version * n_sources + i,
                        "extractor_version": EXTRACTOR_VERSION,
                        "created_at": now,
                        **data[1 if version == 1 else 3 if i % every == 0 else 2],
                    }
                    for version in (1, 2)
                    for i in rows
                ],
            )
            s.execute(
                update(Source),
                [{"id": f"src-{i:05d}", "last_diffed_snapshot_id": n_sources + i} for i in rows],
            )
        setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        with db.session() as s:
            stats = detect_changes(s, now=now)
        elapsed = time.perf_counter() - t0
        db.dispose()
    return {
        "sources": n_sources,
        "setup_s": setup,
        "diff_job_s": elapsed,
        "versions": stats.versions,
        "events": len(stats.events),
        "significant": sum(1 for e in stats.events if e.significant),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clauses", type=int, default=5000)
    ap.add_argument("--changed", type=float, default=0.01)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--sources", type=int, default=10_000, help="sources for the diff-job benchmark (0 to skip)"
    )
    args = ap.parse_args(argv)
    r = bench_large_policy(args.clauses, args.changed, args.repeat, args.seed)
    print(
        f"large policy: {r['clauses_before']:.0f} -> {r['clauses_after']:.0f} clauses, "
        f"{args.changed:.1%} changed; {r['events']:.0f} events, "
        f"{r['clause_changes']:.0f} clause changes"
    )
    print(f"  difflib line diff : {r['difflib_ms']:8.1f} ms")
    print(f"  diff_versions     : {r['diff_versions_ms']:8.1f} ms")
    print(f"  ratio             : {r['ratio']:8.2f}x  (target <= 5x)")
    ok = r["ratio"] <= 5
    if args.sources:
        b = bench_sources(args.sources)
        print(
            f"diff job: {b['sources']:.0f} sources with one new version each "
            f"(SQLite, reads and writes included)"
        )
        print(
            f"  {b['versions']:.0f} versions diffed, {b['events']:.0f} events "
            f"({b['significant']:.0f} significant) in {b['diff_job_s']:.1f} s "
            f"({b['sources'] / b['diff_job_s']:.0f} sources/s; target < 60 s); "
            f"setup {b['setup_s']:.1f} s, not timed"
        )
        ok = ok and b["diff_job_s"] < 60
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
