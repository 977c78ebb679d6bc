"""`policywatch sources ...`: inspect, validate, check and grow the registry."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from crawler.checks import CheckResult
from crawler.registry import (
    US_STATES,
    RegistryError,
    configured_source_files,
    load_sources,
)
from crawler.runner import CrawlError
from crawler.spiders.discover import is_discovery_source
from monitor.cli.common import common_options, console, make_context, print_json, show_table
from monitor.discovery import (
    DEFAULT_USER_REGISTRY,
    accept_proposal,
    run_discovery,
    stored_proposals,
)
from monitor.discovery_check import mark_verified, run_check
from monitor.schema import document, source_json, timestamp
from storage.models import ProposedSource


@click.group()
def sources() -> None:
    """List, validate and inspect the watched policy sources."""


@sources.command("list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--by",
    type=click.Choice(["state", "payer", "plan-type"]),
    default=None,
    help="Group and count sources, so gaps are visible at a glance.",
)
def list_sources(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    as_json: bool,
    by: str | None,
) -> None:
    """List the sources of the registry in use (shipped, or --sources files)."""
    ctx = make_context(config_path, db_url, sources_files)
    srcs = ctx.sources()
    if by:
        attr = by.replace("-", "_")
        groups: dict[str, list[str]] = defaultdict(list)
        for s in srcs:
            groups[getattr(s, attr)].append(s.id)
        if by == "state":
            for code in US_STATES:
                groups.setdefault(code, [])
        if as_json:
            print_json(document("groups", {k: sorted(v) for k, v in sorted(groups.items())}, by=by))
            return
        rows = [
            (
                k,
                len(v),
                ", ".join(sorted(v)[:4]) + (" ..." if len(v) > 4 else "")
                if v
                else "[red]none: a gap[/red]",
            )
            for k, v in sorted(groups.items())
        ]
        show_table(f"{len(srcs)} sources by {by}", [by, "sources", "ids"], rows)
        return
    if as_json:
        print_json(document("sources", [source_json(s) for s in srcs]))
        return
    source_rows = [
        (
            s.id,
            s.payer,
            s.plan_type,
            s.state,
            s.document_type,
            s.url,
            "" if s.enabled else "disabled",
        )
        for s in srcs
    ]
    show_table(
        f"{len(srcs)} sources",
        ["id", "payer", "plan", "state", "type", "url", "status"],
        source_rows,
    )


@sources.command("validate")
@common_options
def validate(config_path: str | None, db_url: str | None, sources_files: tuple[str, ...]) -> None:
    """Check the registry files in use, extra_sources included.

    Unknown keys, duplicate ids, bad URLs, enum values and dates: every error of every file is
    listed, as FILE:LINE: entry: message.
    """
    ctx = make_context(config_path, db_url, sources_files)
    files = configured_source_files(ctx.config)
    try:
        srcs = load_sources(files)
    except RegistryError as exc:
        many = "\n" in str(exc)  # one problem is one line, which says what to do already
        hint = "\nFix each line above, then run `policywatch sources validate` again."
        raise click.ClickException(f"{exc}{hint if many else ''}") from None
    per_file = Counter(s.origin for s in srcs)
    for name, count in sorted(per_file.items()):
        console.print(f"[green]ok[/green] {name}: {count} sources")
    console.print(f"{len(srcs)} sources valid in {len(files)} file(s)")


def _proposal_rows(rows: Sequence[ProposedSource], fresh: set[str]) -> list[tuple[Any, ...]]:
    return [
        (
            ("[green]new[/green] " if r.url in fresh else "") + r.proposed_id,
            r.title,
            r.document_type,
            r.format or "",
            ", ".join(r.drugs or []),
            r.url,
            r.found_via,
        )
        for r in rows
    ]


def _proposal_dict(r: ProposedSource, fresh: set[str]) -> dict[str, Any]:
    return {
        "proposed_id": r.proposed_id,
        "url": r.url,
        "title": r.title,
        "payer": r.payer,
        "plan_type": r.plan_type,
        "state": r.state,
        "document_type": r.document_type,
        "format": r.format,
        "drugs": list(r.drugs or []),
        "found_via": r.found_via,
        "found_at": timestamp(r.found_at),
        "status": r.status,
        "new": r.url in fresh,
    }


@sources.command("discover")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--source", "only", multiple=True, metavar="ID", help="Scan only this index source.")
@click.option("--list", "list_only", is_flag=True, help="Only list stored proposals; no crawl.")
def discover(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    as_json: bool,
    only: tuple[str, ...],
    list_only: bool,
) -> None:
    """Scan indexes, change notices and CMS reports for new ketamine/esketamine documents.

    Links and rows naming a drug become proposals; review them, then add one to your
    registry with `policywatch sources accept ID`.
    """
    ctx = make_context(config_path, db_url, sources_files)
    fresh: set[str] = set()
    run = None
    if not list_only:
        srcs = ctx.sources()
        known = {s.id: s for s in srcs}
        missing = [i for i in only if i not in known]
        if missing:
            raise click.UsageError(f"unknown source id(s): {', '.join(missing)}")
        not_index = [i for i in only if not is_discovery_source(known[i])]
        if not_index:
            raise click.UsageError(
                f"not an index, change notice or CMS report: {', '.join(not_index)}"
            )
        try:
            run = run_discovery(ctx.config, srcs, only)
        except CrawlError as exc:
            raise click.ClickException(str(exc)) from None
        fresh = {p.url for p in run.new}
    db = ctx.database(must_exist=list_only)  # --list only reads the stored proposals
    try:
        with db.session() as session:
            rows = stored_proposals(session)
            if as_json:
                out = document("proposals", [_proposal_dict(r, fresh) for r in rows])
                if run is not None:
                    out.update(
                        indexes=run.indexes,
                        new=len(run.new),
                        known=len(run.known),
                        failures=run.failures,
                        empty_details=run.empty_details,
                    )
                print_json(out)
                return
            if run is not None:
                console.print(
                    f"Scanned {len(run.indexes)} index source(s): {len(run.new)} new "
                    f"proposal(s), {len(run.known)} already known"
                )
                for f in run.failures:
                    console.print(f"[red]failed[/red] {f['source_id']}: {f['error']} ({f['url']})")
            cols = ["proposed id", "title", "type", "format", "drugs", "url", "found via"]
            show_table(f"{len(rows)} proposal(s)", cols, _proposal_rows(rows, fresh))
    finally:
        db.dispose()


@sources.command("accept")
@common_options
@click.argument("proposal")
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Registry file to append to (default: the first --sources file, else ./"
    f"{DEFAULT_USER_REGISTRY}).",
)
def accept(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    proposal: str,
    target: str | None,
) -> None:
    """Add proposal PROPOSAL (its id or URL) to a registry file as a validated [[source]]."""
    ctx = make_context(config_path, db_url, sources_files)
    extra = ctx.config.extra_sources
    path = Path(
        target
        or (sources_files[0] if sources_files else extra[0] if extra else DEFAULT_USER_REGISTRY)
    )
    try:
        with ctx.database(must_exist=True) as db, db.session() as session:
            added = accept_proposal(
                session, proposal, path, ctx.sources(), today=datetime.now(UTC).date()
            )
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"[green]accepted[/green] {added.id} -> {path}")
    if str(path) not in ctx.source_files and str(path) not in extra:
        console.print(
            f'To crawl it, add the file to policywatch.toml: extra_sources = ["{path}"] '
            "(loaded on top of the registry in use)."
        )


@sources.command("check")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--update", is_flag=True, help="Write today's date into `verified` of passing entries."
)
@click.option("--source", "only", multiple=True, metavar="ID", help="Check only this source.")
@click.argument("ids", nargs=-1, metavar="[ID]...")
def check(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    as_json: bool,
    update: bool,
    only: tuple[str, ...],
    ids: tuple[str, ...],
) -> None:
    """Fetch each enabled source once and report what an operator needs to fix dead entries.

    Status, redirects, robots.txt, content type, and whether extraction found the drug(s).
    Nothing is stored in the history. Exit status 1 when an entry failed.
    """
    ctx = make_context(config_path, db_url, sources_files)
    srcs = ctx.sources()
    only = only + ids  # `check ID --update` (registry README) and `check --source ID` alike
    if only:
        known = {s.id for s in srcs}
        missing = [i for i in only if i not in known]
        if missing:
            raise click.UsageError(f"unknown source id(s): {', '.join(missing)}")
        srcs = [s for s in srcs if s.id in set(only)]
    else:
        srcs = [s for s in srcs if s.enabled]
    try:
        results = run_check(ctx.config, srcs)
    except CrawlError as exc:
        raise click.ClickException(str(exc)) from None
    updated: dict[str, int] = {}
    if update:
        updated = mark_verified(srcs, [r.source_id for r in results if r.passed], _today())
    if as_json:
        print_json(document("results", [r.to_dict() for r in results], updated=updated))
    else:
        show_table(f"{len(results)} source(s) checked", _CHECK_COLS, _check_rows(results))
        for name, count in updated.items():
            console.print(f"verified {count} entr{'y' if count == 1 else 'ies'} in {name}")
    sys.exit(0 if all(r.passed for r in results) else 1)


def _today() -> date:
    return datetime.now(UTC).date()


_CHECK_COLS = ["id", "ok", "status", "final url", "robots", "type", "extraction", "drugs"]


def _check_rows(results: Sequence[CheckResult]) -> list[tuple[Any, ...]]:
    rows = []
    for r in results:
        drugs = ", ".join(r.found_drugs) or "-"
        if r.expected_drugs and not r.drugs_ok:
            drugs = f"[yellow]{drugs} (expected {', '.join(r.expected_drugs)})[/yellow]"
        rows.append(
            (
                r.source_id,
                "[green]yes[/green]" if r.passed else "[red]no[/red]",
                r.http_status or r.error_kind or "",
                r.final_url if r.redirects else "",
                {True: "allowed", False: "[red]disallowed[/red]", None: "-"}[r.robots_allowed],
                (r.content_type or "").split(";")[0],
                r.outcome or r.message,
                drugs,
            )
        )
    return rows
