"""`policywatch health`: which sources need an operator's attention, and why."""

from __future__ import annotations

import click
from sqlalchemy import select

from monitor.cli.common import common_options, console, make_context, print_json, table
from monitor.source_health import source_problem
from storage.models import Source
from storage.repo import as_utc


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
    """Source health: failing fetches, quarantined versions, never-crawled sources."""
    ctx = make_context(config_path, db_url, sources_files)
    with ctx.database() as db, db.session() as session:
        rows = []
        advice: dict[str, str] = {}
        for src in session.scalars(select(Source).order_by(Source.id)):
            problem = source_problem(src)
            if problem or show_all:
                advice[src.id] = problem.advice if problem else ""
                rows.append(
                    {
                        "source_id": src.id,
                        "payer": src.payer,
                        "state": src.state,
                        "problem": problem.summary if problem else "ok",
                        "consecutive_failures": src.consecutive_failures,
                        "last_error_kind": src.last_error_kind,
                        "last_error": src.last_error,
                        "health": src.health,
                        "health_message": src.health_message,
                        "last_checked": as_utc(src.last_checked_at),
                        "last_success": as_utc(src.last_success_at),
                        "url": src.url,
                    }
                )
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("[green]All sources healthy.[/green]")
        return
    console.print(
        table(
            f"{len(rows)} source(s)",
            ["source", "problem", "last checked", "last success", "what to do"],
            [
                (
                    r["source_id"],
                    r["problem"],
                    r["last_checked"],
                    r["last_success"],
                    advice[str(r["source_id"])],
                )
                for r in rows
            ],
        )
    )
