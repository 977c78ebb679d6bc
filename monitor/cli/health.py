"""`policywatch health`: which sources need an operator's attention, and why."""

from __future__ import annotations

import click
from sqlalchemy import select

from crawler.errors import HINTS
from crawler.extract.model import GOOD_OUTCOMES, UNAVAILABLE_OUTCOMES
from monitor.cli.common import common_options, console, make_context, print_json, show_table
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
    """Sources that need an operator: failing fetches, quarantined versions, never crawled.

    Exit status 1 when a source needs an operator (so it works as a health check), 0 when
    all are healthy.
    """
    ctx = make_context(config_path, db_url, sources_files)
    db = ctx.database(must_exist=True)
    with db.session() as session:
        rows = []
        for src in session.scalars(select(Source).order_by(Source.id)):
            problem = source_problem(src)
            if problem or show_all:
                rows.append(
                    {
                        "source_id": src.id,
                        "payer": src.payer,
                        "state": src.state,
                        "problem": problem or "ok",
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
    show_table(
        f"{len(rows)} source(s)",
        ["source", "problem", "last checked", "last success", "what to do"],
        [
            (r["source_id"], r["problem"], r["last_checked"], r["last_success"], _advice(r))
            for r in rows
        ],
    )


def _advice(row: dict[str, object]) -> str:
    if row["consecutive_failures"] and row["last_error_kind"] not in UNAVAILABLE_OUTCOMES:
        return f"{row['last_error']} — {HINTS.get(str(row['last_error_kind']), '')}"
    if row["problem"] == "never crawled":
        return "run `policywatch crawl --source ID`"
    if row["health"] and row["health"] not in GOOD_OUTCOMES:
        return f"{row['health_message'] or ''} — check the live page; the last good version is kept"
    return ""
