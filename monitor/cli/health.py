"""`policywatch health`: which sources need an operator's attention, and why."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from monitor.cli.common import common_options, console, make_context, print_json, show_table
from monitor.schema import document, source_json
from monitor.source_health import source_problem
from storage.models import Source


@click.command()
@common_options
@click.option("--all", "show_all", is_flag=True, help="List healthy sources too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def health(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    show_all: bool,
    as_json: bool,
) -> None:
    """Sources that need an operator: failing fetches, quarantined versions, never crawled.

    Exit status 1 when a source needs an operator (so it works as a health check), 0 when
    all are healthy.
    """
    ctx = make_context(config_path, db_url, sources_files)
    advice: dict[str, str] = {}
    with ctx.database(must_exist=True) as db, db.session() as session:
        rows = []
        for src in session.scalars(select(Source).order_by(Source.id)):
            problem = source_problem(src)
            advice[src.id] = problem.advice if problem else ""
            rows.append(source_json(src, problem=problem.summary if problem else None))
    needs_operator = [r for r in rows if r["problem"]]
    shown = rows if show_all else needs_operator
    if as_json:
        print_json(document("sources", shown))
    elif not shown:
        console.print("[green]All sources healthy.[/green]")
    else:
        show_table(
            f"{len(shown)} source(s)",
            ["source", "problem", "last checked", "last success", "what to do"],
            [
                (
                    r["id"],
                    r["problem"] or "ok",
                    r["last_checked_at"],
                    r["last_success_at"],
                    advice[str(r["id"])],
                )
                for r in shown
            ],
        )
    # A health check: non-zero while any source needs an operator, whatever is printed.
    sys.exit(1 if needs_operator else 0)
