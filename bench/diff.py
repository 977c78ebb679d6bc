"""Benchmark the clause diff against a plain difflib line diff of the same texts.

    python bench/diff.py [--clauses 5000] [--changed 0.01] [--repeat 7] [--seed 1]

Generates two versions of one large policy (``--clauses`` clauses, a fraction ``--changed``
of them edited, added, removed or reordered), then times in the same run:

- ``difflib``: ``difflib.unified_diff`` over the clause texts as lines (what a generic page
  monitor does), and
- ``diff_versions``: alignment, criteria parsing, classification, redlines and summaries.

The criteria parser's cache is cleared before every timed run, so the figure is a cold diff.
Target: ``diff_versions`` within 5x of the line diff.

:func:`bench_sources` is the hook for the many-sources benchmark (database reads and writes
included); it is left for the storage layer to fill in.
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

from monitor.diff import diff_versions
from monitor.diff.criteria import _parse
from monitor.extract.model import Clause, ClauseType, Drug, Extraction

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


def bench_sources(n_sources: int = 10_000) -> dict[str, float]:
    """Time diffing ``n_sources`` sources with one new version each, database included.

    Not implemented here: it needs the storage layer (load the last good extraction per source,
    diff, write events idempotently). Extend this function; keep its output a dict of figures.
    """
    raise NotImplementedError("the database part of the benchmark belongs to the storage layer")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clauses", type=int, default=5000)
    ap.add_argument("--changed", type=float, default=0.01)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
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
    return 0 if r["ratio"] <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
