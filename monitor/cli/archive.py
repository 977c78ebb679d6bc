"""`policywatch history` and `policywatch show`: the archived versions of a source."""

from __future__ import annotations

import sys
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import select

from crawler.extract.record import RecordError
from monitor.cli.common import (
    common_options,
    console,
    make_context,
    print_json,
    remarks,
    show_table,
)
from monitor.schema import document, snapshot_json, source_json
from storage.blobs import BlobIntegrityError, read_blob
from storage.models import ExtractionRecord, Snapshot, Source
from storage.redact import redact
from storage.repo import source_history

if TYPE_CHECKING:
    from crawler.extract.model import Block, Extraction


@click.command()
@common_options
@click.argument("source_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def history(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    source_id: str,
    as_json: bool,
) -> None:
    """List the stored versions of SOURCE_ID: time, sha256, size, final URL."""
    ctx = make_context(config_path, db_url, sources_files)
    with ctx.database(must_exist=True) as db, db.session() as session:
        src = session.get(Source, source_id)
        if src is None:
            raise click.ClickException(
                f"no source {source_id!r} in {redact(ctx.config.db_url)}. "
                "See `policywatch sources list`, or crawl it first."
            )
        rows = [snapshot_json(snap) for snap in source_history(session, source_id)]
        source = source_json(src)
    if as_json:
        print_json(document("snapshots", rows, source=source))
        return
    show_table(
        f"{source_id}: {len(rows)} version(s)",
        ["snapshot", "fetched (UTC)", "sha256", "bytes", "final URL"],
        [(r["id"], r["fetched_at"], r["sha256"][:16], r["size"], r["final_url"]) for r in rows],
    )
    outcome, failures, last_error = (
        source["health"],
        source["consecutive_failures"],
        source["last_error"],
    )
    notes = remarks()  # below the table, or on stderr so a pipe gets only the records
    if failures:
        notes.print(f"[red]{failures} consecutive failure(s)[/red]: {last_error}")
    if outcome:
        notes.print(f"latest extraction outcome: {outcome}")


@click.command()
@common_options
@click.argument("snapshot_id", type=int)
@click.option("--raw", is_flag=True, help="Write the archived bytes exactly as fetched.")
@click.option("--json", "as_json", is_flag=True, help="Print metadata and extraction as JSON.")
@click.option(
    "--blocks",
    is_flag=True,
    help="Also list the text blocks, recomputed from the archived bytes (they are not stored).",
)
def show(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    snapshot_id: int,
    raw: bool,
    as_json: bool,
    blocks: bool,
) -> None:
    """Show one archived version: its metadata and what was extracted, or --raw bytes."""
    from monitor.extraction_jobs import load_row, with_blocks  # the extractors, for --blocks

    ctx = make_context(config_path, db_url, sources_files)
    with ctx.database(must_exist=True) as db, db.session() as session:
        snap = session.get(Snapshot, snapshot_id)
        if snap is None:
            raise click.ClickException(
                f"no snapshot {snapshot_id}; `policywatch history SOURCE_ID` lists them"
            )
        body = b""
        recomputed: list[Block] = []
        try:
            if raw:
                body = read_blob(session, snap.sha256)
            elif blocks:
                recomputed = with_blocks(session, snap).blocks
        except BlobIntegrityError as exc:
            raise click.ClickException(f"snapshot {snapshot_id}: {exc}") from None
        ext = session.scalars(
            select(ExtractionRecord)
            .where(ExtractionRecord.snapshot_id == snapshot_id)
            .order_by(ExtractionRecord.id.desc())
        ).first()
        meta = snapshot_json(snap)
        try:
            extraction = _as_json(load_row(ext)) if ext else None
        except RecordError as exc:
            raise click.ClickException(f"snapshot {snapshot_id}: {exc}") from None
        if extraction is not None and blocks:
            extraction["blocks"] = [asdict(b) for b in recomputed]
        ext_version = ext.extractor_version if ext else None
    if raw:
        sys.stdout.buffer.write(body)
        return
    if as_json:
        print_json(document("snapshot", meta, extractor_version=ext_version, extraction=extraction))
        return
    show_table(
        f"snapshot {snapshot_id}",
        ["field", "value"],
        [(k, v) for k, v in meta.items() if v not in (None, [], "")],
    )
    if extraction:
        console.print(
            f"extraction ({ext_version}): outcome [bold]{extraction['outcome']}[/bold]"
            f", {len(extraction.get('clauses', []))} clause(s)"
        )
        for c in extraction.get("clauses", [])[:50]:
            console.print(
                f"  [cyan]{c['drug']}[/cyan] [magenta]{c['stance']}[/magenta] {c['text'][:160]}"
            )
    if blocks:
        show_table(
            f"{len(recomputed)} block(s), recomputed from the archived bytes",
            ["#", "kind", "section", "text"],
            [
                (i, b.kind, " > ".join(b.heading_path), b.text[:200])
                for i, b in enumerate(recomputed)
            ],
        )


def _as_json(ext: Extraction) -> dict[str, Any]:
    """The stored extraction for ``show --json``: everything but the blocks (not stored)."""
    data = {f.name: getattr(ext, f.name) for f in fields(ext) if f.name != "blocks"}
    data["clauses"] = [asdict(c) for c in ext.clauses]
    data["summaries"] = {k: asdict(v) for k, v in ext.summaries.items()}
    return data
