"""`policywatch crawl`: fetch the sources once and store new versions."""

from __future__ import annotations

import sys

import click

from crawler.runner import CrawlError, CrawlSummary, crawl_here, prepare
from monitor.cli.common import (
    common_options,
    console,
    exclusive,
    make_context,
    print_json,
    show_table,
)
from monitor.schema import document, run_json
from storage.redact import redact
from storage.repo import run_fetches


@click.command()
@common_options
@click.option(
    "--source", "only", multiple=True, metavar="ID", help="Crawl only this source id (repeatable)."
)
@click.option("--per-source", is_flag=True, help="List every source's result in the summary.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def crawl(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    only: tuple[str, ...],
    per_source: bool,
    as_json: bool,
) -> None:
    """Fetch every enabled source once; store each new version.

    Exit status: 0 when every source was fetched, 1 when some failed (they are recorded
    against their source and the rest of the run goes on), 2 on a usage or setup error.
    """
    ctx = make_context(config_path, db_url, sources_files)
    srcs = ctx.sources()
    if only:
        known = {s.id for s in srcs}
        missing = [i for i in only if i not in known]
        if missing:
            raise click.UsageError(
                f"unknown source id(s): {', '.join(missing)}. "
                "See `policywatch sources list` for the ids."
            )
        srcs = [s for s in srcs if s.id in set(only)]
    with exclusive(ctx):
        ids = prepare(ctx.config, srcs)
        if not ids:
            raise click.ClickException("no enabled sources to crawl")
        if not as_json:
            console.print(f"Crawling {len(ids)} source(s) into {redact(ctx.config.db_url)}")
        try:
            summary = crawl_here(ctx.config, ids, progress=not as_json and sys.stderr.isatty())
        except CrawlError as exc:
            raise click.ClickException(str(exc)) from None
    report(ctx, summary, per_source=per_source, as_json=as_json)
    sys.exit(0 if summary.ok else 1)


def report(ctx: object, summary: CrawlSummary, *, per_source: bool, as_json: bool) -> None:
    from monitor.cli.common import Context

    assert isinstance(ctx, Context)
    if as_json:
        fetches = None
        if per_source:
            with ctx.database() as db, db.session() as session:
                fetches = [
                    {
                        "source_id": f.source_id,
                        "result": f.result,
                        "http_status": f.http_status,
                        "error_kind": f.error_kind,
                        "snapshot_id": f.snapshot_id,
                    }
                    for f in run_fetches(session, summary.run_id or 0)
                ]
        data = document("run", run_json(summary, fetches=fetches))
        print_json(data)
        return
    if per_source:
        with ctx.database() as db, db.session() as session:
            rows = [
                (
                    f.source_id,
                    _styled(f.result),
                    f.http_status,
                    f.snapshot_id or "",
                    f"{f.duration_s:.2f}s",
                    f.error or "",
                )
                for f in run_fetches(session, summary.run_id or 0)
            ]
        show_table(None, ["source", "result", "http", "snapshot", "time", "error"], rows)
    console.print(
        f"Run {summary.run_id}: [green]{summary.new_versions} new version(s)[/green], "
        f"{summary.unchanged} unchanged, "
        + (f"[red]{summary.failed} failed[/red]" if summary.failed else "0 failed")
    )
    from crawler.errors import HINTS

    for f in summary.failures:
        hint = HINTS.get(f["kind"] or "other", "")
        console.print(f"  [red]✗[/red] {f['source_id']}: {f['error']} [dim]({hint})[/dim]")
    if summary.missing:
        console.print(
            f"[red]{len(summary.missing)} source(s) not fetched[/red] (the crawl stopped early): "
            + ", ".join(summary.missing[:20])
        )
    if summary.status != "finished":
        console.print(f"[red]the crawl run ended {summary.status}[/red]")
    if summary.failures or not summary.ok:
        console.print(f"[dim]Scrapy's detailed log: {ctx.config.log_file}[/dim]")


def _styled(result: str) -> str:
    colour = {"new_version": "green", "failed": "red"}.get(result, "dim")
    return f"[{colour}]{result}[/{colour}]"
