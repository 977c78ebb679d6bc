"""`policywatch evaluate`: score the production path on a labelled corpus."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress

from monitor.cli.common import console, err_console, print_json, show_table
from monitor.evaluate import Case, CorpusError, load_corpus
from monitor.evaluate import evaluate as run_evaluate
from monitor.scoring import CaseScore, score_case, totals

# Floors a run must reach (keys of the floor file); "max_" keys are ceilings.
FLOOR_KEYS = {
    "clause_recall": ("clauses", "recall"),
    "clause_precision": ("clauses", "precision"),
    "stance_accuracy": ("clauses", "stance_accuracy_on_matched"),
    "max_distractors": ("clauses", "distractor_false_positives"),
    "significance_recall": ("changes", "significance_recall"),
    "significance_precision": ("changes", "significance_precision"),
    "kind_and_drug_accuracy": ("changes", "kind_and_drug_accuracy_on_significant"),
    "max_false_alarms": ("changes", "fp"),
    "unavailable_recall": ("changes", "unavailable_recall"),
}


@click.command()
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--predictions",
    "predictions_out",
    type=click.Path(path_type=Path),
    help="Write the predictions file (corpus README format) here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option(
    "--floor",
    "floor_file",
    type=click.Path(exists=True, path_type=Path),
    help="TOML of minimum scores (e.g. clause_recall = 0.95); exit 1 below them.",
)
@click.option("--verbose", "-v", is_flag=True, help="List every miss, not just the first ten.")
def evaluate(
    corpus_dir: Path,
    predictions_out: Path | None,
    as_json: bool,
    floor_file: Path | None,
    verbose: bool,
) -> None:
    """Crawl, extract and diff a labelled corpus through the real code path, and score it.

    Each case's versions are served in order on 127.0.0.1 and crawled into a throwaway
    database. Prints clause and change scores per case and overall, and the misses with text.
    """
    try:
        cases = load_corpus(corpus_dir)
        with Progress(transient=True, console=console) as progress:
            task = progress.add_task("evaluating", total=len(cases))

            def advance(case: Case) -> None:
                progress.update(task, description=case.case_id)
                progress.advance(task)

            predictions = run_evaluate(corpus_dir, on_case=advance)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from None
    if predictions_out:
        predictions_out.write_text(
            json.dumps(predictions, indent=1, ensure_ascii=False), encoding="utf-8"
        )
    scores = [score_case(c.case_id, c.labels, predictions.get(c.case_id, {})) for c in cases]
    result = totals(scores)
    if as_json:
        print_json({"overall": result, "cases": [_case_row(s) for s in scores]})
    else:
        _print(scores, result, verbose)
    out = err_console if as_json else console  # keep --json output parseable
    if floor_file:
        failed = _check_floor(result, floor_file)
        if failed:
            for line in failed:
                out.print(f"[red]below floor:[/red] {line}")
            sys.exit(1)
        out.print(f"[green]all scores at or above the floor in {floor_file}[/green]")


def _case_row(s: CaseScore) -> dict[str, Any]:
    return {
        "case": s.case_id,
        "gold": s.gold,
        "predicted": s.predicted,
        "matched": s.matched,
        "stance_ok": s.stance_ok,
        "distractors": s.distractor_hits,
        "pairs": [
            {k: p[k] for k in ("from", "to", "outcome")}
            | {
                "gold": [g["kind"] for g in p["gold"]],
                "predicted": sorted({x["kind"] for x in p["predicted"]}),
            }
            for p in s.pairs
        ],
    }


def _pct(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


def _print(scores: list[CaseScore], result: dict[str, Any], verbose: bool) -> None:
    rows = []
    for s in scores:
        pairs = " ".join(
            ("[green]✓[/green]" if p["outcome"] in ("tp", "tn") else "[red]✗[/red]")
            + "/".join(g["kind"] for g in p["gold"])
            for p in s.pairs
        )
        rows.append(
            (
                s.case_id,
                s.gold,
                s.predicted,
                _pct(s.matched, s.predicted),
                _pct(s.matched, s.gold),
                _pct(s.stance_ok, s.matched),
                s.distractor_hits or "",
                pairs,
            )
        )
    show_table(
        "per case",
        ["case", "gold", "pred", "precision", "recall", "stance", "distr.", "change pairs"],
        rows,
    )
    limit = None if verbose else 10
    missed = [m for s in scores for m in s.missed_clauses]
    extra = [m for s in scores for m in s.extra_clauses]
    wrong = [m for s in scores for m in s.wrong_stance]
    for title, items, fmt in (
        (
            "missed clauses",
            missed,
            lambda m: f"{m['version']} [{m['drug']}/{m['stance']}] {m['text']}",
        ),
        (
            "extra clauses",
            extra,
            lambda m: (
                f"{m['version']} [{m['drug']}/{m['stance']}]"
                f"{' DISTRACTOR' if m['distractor'] else ''} {m['text']}"
            ),
        ),
        (
            "wrong stance",
            wrong,
            lambda m: f"{m['version']} {m['gold']} ≠ {m['predicted']}: {m['text']}",
        ),
    ):
        if items:
            console.print(f"[bold]{title}[/bold] ({len(items)})")
            for m in items[:limit]:
                console.print(f"  {fmt(m)[:300]}", markup=False)
    for section, values in result.items():
        console.print(f"[bold]\\[{section}][/bold]")
        for key, value in (values or {}).items():
            shown = "; ".join(value) if isinstance(value, list) else value
            console.print(f"  {key}: {shown}", markup=False)


def _check_floor(result: dict[str, Any], floor_file: Path) -> list[str]:
    floors = tomllib.loads(floor_file.read_text(encoding="utf-8"))
    failed = []
    for key, limit in floors.items():
        if key not in FLOOR_KEYS:
            raise click.ClickException(
                f"{floor_file}: unknown key {key!r}; allowed: {', '.join(FLOOR_KEYS)}"
            )
        section, name = FLOOR_KEYS[key]
        value = (result.get(section) or {}).get(name)
        if value is None:
            failed.append(f"{key}: not available")
        elif key.startswith("max_") and value > limit:
            failed.append(f"{key}: {value} > {limit}")
        elif not key.startswith("max_") and value < limit:
            failed.append(f"{key}: {value} < {limit}")
    return failed
