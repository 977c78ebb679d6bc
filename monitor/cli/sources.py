"""`policywatch sources ...`: inspect and validate the registry."""

from __future__ import annotations

from collections import Counter, defaultdict

import click

from crawler.registry import US_STATES, RegistryError, load_sources, shipped_registry_files
from monitor.cli.common import common_options, console, make_context, print_json, table


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
            print_json({k: sorted(v) for k, v in sorted(groups.items())})
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
        console.print(table(f"{len(srcs)} sources by {by}", [by, "sources", "ids"], rows))
        return
    if as_json:
        print_json([s.to_dict() for s in srcs])
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
    console.print(
        table(
            f"{len(srcs)} sources", ["id", "payer", "plan", "state", "type", "url", ""], source_rows
        )
    )


@sources.command("validate")
@common_options
def validate(config_path: str | None, db_url: str | None, sources_files: tuple[str, ...]) -> None:
    """Check the registry files: unknown keys, duplicate ids, bad URLs and enum values."""
    ctx = make_context(config_path, db_url, sources_files)
    files = ctx.source_files or [str(p) for p in shipped_registry_files()]
    try:
        srcs = load_sources(files)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    per_file = Counter(s.origin for s in srcs)
    for name, count in sorted(per_file.items()):
        console.print(f"[green]ok[/green] {name}: {count} sources")
    console.print(f"{len(srcs)} sources valid in {len(files)} file(s)")
