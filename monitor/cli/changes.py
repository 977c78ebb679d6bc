"""`policywatch diff`, `policywatch changes` and `policywatch review`: coverage change events."""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from typing import get_args

import click

from monitor.cli.common import (
    common_options,
    console,
    exclusive,
    make_context,
    parse_day,
    print_json,
    show_table,
)
from monitor.diff.model import Kind
from monitor.schema import document
from storage.statuses import VERDICTS

KINDS: tuple[str, ...] = get_args(Kind)


@click.command()
@common_options
@click.option("--source", "only", multiple=True, metavar="ID", help="Diff only this source.")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Diff all stored history again (after `reextract`); existing events are kept.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new events as JSON.")
def diff(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    only: tuple[str, ...],
    rebuild: bool,
    as_json: bool,
) -> None:
    """Compare each new version with its source's last good version and store change events."""

    from sqlalchemy import select

    from monitor.change_list import event_dict
    from monitor.changes import run_diff  # the extractors: only diff needs them
    from storage.chunks import one_of
    from storage.models import ChangeEventRecord, Source

    ctx = make_context(config_path, db_url, sources_files)
    with ctx.database() as db:
        with exclusive(ctx):
            # Committed a batch of sources at a time; the events come back as small values.
            stats = run_diff(
                db, now=datetime.now(UTC), source_ids=list(only) or None, rebuild=rebuild
            )
        if as_json:
            with db.session() as session:
                events = session.scalars(
                    select(ChangeEventRecord)
                    .where(one_of(ChangeEventRecord.id, [e.id for e in stats.events]))
                    .order_by(ChangeEventRecord.id)
                ).all()
                of_events = one_of(Source.id, [e.source_id for e in stats.events])
                sources = {s.id: s for s in session.scalars(select(Source).where(of_events))}
                found = [event_dict(session, e, sources[e.source_id]) for e in events]
    if as_json:
        print_json(document("events", found, versions=stats.versions, flip_backs=stats.flaps))
        return
    rows = [(e.id, e.source_id, e.kind, e.drug, e.summary) for e in stats.events]
    significant = sum(1 for e in stats.events if e.significant)
    if rows:
        show_table("new events", ["id", "source", "kind", "drug", "summary"], rows)
    console.print(
        f"{stats.versions} new version(s) in {stats.sources} source(s): "
        f"[bold]{significant} significant change(s)[/bold], "
        f"{len(rows) - significant} other event(s)"
        + (f", {stats.flaps} flip-back(s) suppressed" if stats.flaps else "")
    )


@click.command()
@common_options
@click.option("--since", metavar="DATE", help="Only events detected on or after YYYY-MM-DD.")
@click.option(
    "--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Only this kind (repeatable)."
)
@click.option("--source", "only", multiple=True, metavar="ID", help="Only this source.")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Include operator events (moved, unavailable, coding) besides coverage changes.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def changes(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    since: str | None,
    kinds: tuple[str, ...],
    only: tuple[str, ...],
    show_all: bool,
    as_json: bool,
) -> None:
    """List stored change events, newest first (coverage changes only unless --all or --kind)."""
    from monitor.change_list import list_events

    ctx = make_context(config_path, db_url, sources_files)
    start = parse_day(since, "--since")
    with ctx.database(must_exist=True) as db, db.session() as session:
        data = list_events(session, since=start, kinds=kinds, source_ids=only, show_all=show_all)
    if as_json:
        print_json(document("events", data))
        return
    if not data:
        console.print(
            "No change events match. Run `policywatch diff` after a crawl, "
            "or widen the filter (--all, --since)."
        )
        return
    show_table(
        f"{len(data)} event(s)",
        ["id", "detected", "source", "kind", "drug", "summary", "status"],
        [
            (
                d["id"],
                d["detected_at"][:10],
                d["source_id"],
                d["kind"],
                d["drug"] or "",
                d["summary"],
                d["review_status"],
            )
            for d in data
        ],
    )


@click.command()
@common_options
@click.argument("event_id", type=int)
@click.argument("status", type=click.Choice(VERDICTS))
@click.option("--note", default=None, help="Why (kept with the event, e.g. for the blog editor).")
def review(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    event_id: int,
    status: str,
    note: str | None,
) -> None:
    """Record an analyst's verdict on an event: confirmed, dismissed (never published), or new.

    Dismissed events stay in the database as evidence but leave the reports, feed, digest
    and notifications. Every verdict is kept in the event's audit trail (reviewer: cli:LOGIN).
    """
    from storage.models import ChangeEventRecord
    from storage.reviews import record_review

    ctx = make_context(config_path, db_url, sources_files)
    with ctx.database(must_exist=True) as db, db.session() as session:
        ev = session.get(ChangeEventRecord, event_id)
        if ev is None:
            console.print(f"[red]no event {event_id}[/red]; `policywatch changes --all` lists them")
            sys.exit(1)
        record_review(
            session,
            ev,
            reviewer=f"cli:{_login()}",
            verdict=status,
            note=note,
            now=datetime.now(UTC),
        )
    console.print(f"event {event_id}: {status}" + (f" ({note})" if note else ""))


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a bare container: still record who, as best we can
        return "unknown"
