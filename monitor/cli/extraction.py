"""`policywatch extract` and `policywatch reextract`."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.markup import escape
from rich.progress import Progress

from crawler.addresses import AddressPolicy
from crawler.config import Config
from crawler.extract import EXTRACTOR_VERSION
from crawler.extract import extract as run_extract
from crawler.extract.context import Why
from crawler.extract.model import Clause
from crawler.fetchone import FetchRefused, fetch_limited
from crawler.registry import check_url
from monitor.cli.common import (
    common_options,
    console,
    exclusive,
    make_context,
    print_json,
    show_table,
)
from monitor.extraction_jobs import reextract as run_reextract

_CTYPES = {
    ".pdf": "application/pdf",
    ".json": "application/json",
    ".html": "text/html",
    ".htm": "text/html",
}


def _load(target: str, cfg: Config) -> tuple[bytes, str | None]:
    """The document's bytes and type, within [crawl] max_bytes and the address policy."""
    max_bytes = cfg.crawl.max_bytes
    if target.startswith(("http://", "https://")):
        from crawler.settings import VERSION

        problem = check_url(target)
        if problem:
            raise click.BadParameter(f"{target}: {problem}")
        got = fetch_limited(
            target,
            max_bytes=max_bytes,
            timeout=cfg.crawl.timeout,
            user_agent=f"policywatch/{VERSION} (+{cfg.crawl.contact})",
            policy=AddressPolicy(cfg.crawl.allow_private),
        )
        return got.body, got.content_type
    path = Path(target)
    if not path.is_file():
        raise click.BadParameter(f"{target}: no such file (give a path or an http(s) URL)")
    if path.stat().st_size > max_bytes:
        raise FetchRefused(
            f"{target} is larger than [crawl] max_bytes ({max_bytes:,} bytes); "
            "raise max_bytes in policywatch.toml if the document is genuine"
        )
    # A local file has no Content-Type; the extractor sniffs the bytes, the suffix is a hint.
    return path.read_bytes(), _CTYPES.get(path.suffix.lower())


@click.command()
@click.argument("target", metavar="PATH_OR_URL")
@click.option("--json", "as_json", is_flag=True, help="Print the full extraction as JSON.")
@click.option("--blocks", is_flag=True, help="Also list every text block with its heading path.")
@click.option(
    "--explain",
    is_flag=True,
    help="For each clause, the stance rule and cue, and where its drug came from "
    "(its own words, the previous statement, a heading or the title).",
)
@click.option(
    "--config",
    "config_path",
    default=None,
    type=click.Path(),
    help="policywatch.toml (for the User-Agent contact).",
)
def extract(
    target: str, as_json: bool, blocks: bool, explain: bool, config_path: str | None
) -> None:
    """Show the document facts and ketamine/esketamine clauses found in one document."""
    ctx = make_context(config_path, None, ())
    try:
        body, ctype = _load(target, ctx.config)
    except FetchRefused as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {target}: {exc}") from None
    why: list[Why] | None = [] if explain else None
    ext = run_extract(body, ctype, why=why)
    if as_json:
        data = {"extractor_version": EXTRACTOR_VERSION, **ext.to_dict()}
        if why is not None:
            data["explain"] = [asdict(w) for w in why]
        print_json(data)
        return
    facts = [
        ("outcome", f"[bold]{ext.outcome}[/bold] {ext.message}"),
        ("format", ext.format),
        ("title", ext.title),
        ("policy number", ext.policy_number),
        ("effective", ext.effective_date),
        ("last reviewed", ext.last_reviewed),
        ("text blocks", len(ext.blocks)),
    ]
    show_table(f"{target}", ["fact", "value"], facts)
    if blocks:
        show_table(
            "blocks",
            ["#", "kind", "section", "text"],
            [
                (i, b.kind, " > ".join(b.heading_path), b.text[:200])
                for i, b in enumerate(ext.blocks)
            ],
        )
    if ext.clauses and why is not None:
        console.print(f"[bold]{len(ext.clauses)} clause(s), explained[/bold]")
        for n, (clause, reason) in enumerate(zip(ext.clauses, why, strict=True), 1):
            _print_explained(n, clause, reason)
    elif ext.clauses:
        show_table(
            f"{len(ext.clauses)} clause(s)",
            ["drug", "stance", "type", "section", "text"],
            [(c.drug, c.stance, c.type, c.section, c.text) for c in ext.clauses],
        )
    else:
        console.print(
            "[yellow]No ketamine or esketamine coverage clauses found.[/yellow] "
            "Try --blocks to see the text the extractor read."
        )
    for drug, summary in ext.summaries.items():
        crit = ", ".join(f"{k}={v}" for k, v in summary.criteria.items() if v not in (None, [], ""))
        console.print(
            f"[cyan]{drug}[/cyan]: governing stance [bold]{summary.stance}[/bold]"
            + (f"; {crit}" if crit else "")
        )


@click.command()
@common_options
@click.option("--source", "only", multiple=True, metavar="ID", help="Only this source.")
def reextract(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    only: tuple[str, ...],
) -> None:
    """Recompute extractions of all stored history with the current extractor.

    Then run `policywatch diff --rebuild` to recompute change events from them.
    """
    ctx = make_context(config_path, db_url, sources_files)
    damaged: list[str] = []
    with (
        ctx.database() as db,
        exclusive(ctx),
        Progress(transient=True) as progress,
        db.session() as session,
    ):
        task = progress.add_task("re-extracting", total=None)
        counts = run_reextract(
            session,
            now=datetime.now(UTC),
            source_ids=list(only) or None,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            on_damaged=lambda sid, why: damaged.append(f"snapshot {sid}: {why}"),
        )
    console.print(
        f"extractor {EXTRACTOR_VERSION}: {counts['snapshots']} snapshot(s), "
        f"{counts['extracted']} re-extracted, "
        f"{counts['outcome_changed']} with a different outcome"
    )
    for line in damaged:
        console.print(f"[red]skipped[/red] {line}")
    if damaged:
        console.print("Run `policywatch db check` and restore the damaged bytes from a backup.")
        sys.exit(1)


def _print_explained(n: int, clause: Clause, reason: Why) -> None:
    """One clause and why: the stance rule and cue, and where the drug came from."""
    console.print(
        f"[bold]{n}.[/bold] [cyan]{clause.drug}[/cyan] {clause.stance} ({clause.type})",
        highlight=False,
    )
    console.print(f"   {escape(clause.text)}", highlight=False)
    if reason.cue and reason.drug_from != "governing statement":
        console.print(f"   stance: rule '{reason.rule}', cue \"{escape(reason.cue)}\"")
    else:
        console.print(f"   stance: {reason.rule}", highlight=False)
    origin = f' "{escape(reason.context)}"' if reason.context else ""
    named = "named in the text" if reason.drug_from == "text" else f"from the {reason.drug_from}"
    console.print(f"   drug: {named}{origin}", highlight=False)
