"""`policywatch demo`: the whole cycle on bundled sample sources, offline."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from crawler.registry import load_sources
from monitor.cli.common import console, make_context, show_table
from monitor.cycle import CycleResult, run_cycle
from monitor.sites.demo import ROUNDS, serve_round, write_registry
from monitor.sites.localsite import LocalSite
from storage.db import Database, default_data_dir
from storage.models import ChangeEventRecord, Snapshot


@click.command()
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to keep the demo database and reports "
    "(default: <data dir>/demo). It is reset on each run.",
)
def demo(workdir: Path | None) -> None:
    """Serve bundled sample policies on 127.0.0.1, crawl them twice and report the changes.

    Round 2 brings real coverage changes (fewer failed antidepressants, monotherapy allowed,
    a PDL status move), noise that must stay silent (review dates, tokens, a PDF re-layout)
    and a maintenance page that must be quarantined, not reported as coverage removed.
    """
    workdir = workdir or default_data_dir() / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    db_file = workdir / "demo.sqlite"
    for leftover in workdir.glob("demo.sqlite*"):
        leftover.unlink()
    ctx = make_context(None, f"sqlite:///{db_file}", ())
    cfg = ctx.config
    cfg.crawl.download_delay = 0.0  # our own local server: no politeness delay needed
    cfg.report.out_dir = str(workdir / "reports")
    site_dir = workdir / "site"  # the public site, published by each cycle
    cfg.publish.out_dir = str(site_dir)
    cfg.publish.base_url = site_dir.resolve().as_uri() + "/"
    with LocalSite() as site:
        registry = write_registry(site, workdir / "sources.toml")
        sources = load_sources([registry])
        console.print(
            f"[bold]policywatch demo[/bold]: {len(sources)} sample sources served at "
            f"{site.url('/')}; database {db_file}"
        )
        for number, name in enumerate(ROUNDS, 1):
            serve_round(site, name)
            console.rule(f"round {number}")
            result = run_cycle(
                cfg, sources, progress=sys.stderr.isatty(), AUTOTHROTTLE_ENABLED=False
            )
            _print_round(result)
    _print_archive(cfg.db_url)
    console.rule("reports")
    for name, path in result.outputs.items():
        console.print(f"{name:13} {path}")
    console.print(
        f"\nOpen the change report: [bold]{result.outputs['changes.html']}[/bold]\n"
        f"and the coverage matrix: [bold]{result.outputs['matrix.html']}[/bold]"
    )
    # The workspace first, then the site: the last line stays the path of index.html.
    db = cfg.db_url
    console.rule("review workspace")
    console.print(
        "Triage these changes in the browser (the publish gate holds them until confirmed):\n"
        f"  policywatch users add analyst --role analyst --password-stdin --db {db}\n"
        f"  policywatch serve --db {db}\n"
        "then open http://127.0.0.1:8000/ and sign in.",
        soft_wrap=True,  # keep each command on one line, whatever the path's length
    )

    console.print(
        f"The public site (only analyst-confirmed changes appear on it; confirm one with "
        f"`policywatch review ID confirmed --db {cfg.db_url}`, then `policywatch publish "
        f"--db {cfg.db_url} --out {site_dir} --base-url {cfg.publish.base_url}`):",
        highlight=False,
        soft_wrap=True,
    )
    console.print(str(result.outputs["index.html"]), highlight=False, soft_wrap=True)


def _print_round(result: CycleResult) -> None:
    c = result.crawl
    console.print(
        f"crawl: [green]{c.new_versions} new version(s)[/green], {c.unchanged} "
        f"unchanged, {c.failed} failed"
    )
    if not result.events:
        console.print(
            "changes: none (first versions are the baseline)"
            if c.new_versions == c.sources
            else "changes: none"
        )
        return
    show_table(
        "change events",
        ["source", "kind", "drug", "stance", "summary"],
        [
            (
                e["source_id"],
                e["kind"],
                e["drug"] or "",
                f"{e['stance_before'] or ''} → {e['stance_after'] or ''}",
                e["summary"],
            )
            for e in result.events
        ],
    )


def _print_archive(url: str) -> None:
    with Database(url) as db, db.session() as session:
        snaps = session.scalars(select(Snapshot).order_by(Snapshot.source_id, Snapshot.id)).all()
        show_table(
            "archived versions",
            ["snapshot", "source", "sha256", "bytes"],
            [(s.id, s.source_id, s.sha256[:12], f"{s.size:,}") for s in snaps],
        )
        redlines = session.scalars(
            select(ChangeEventRecord).where(ChangeEventRecord.significant.is_(True))
        ).all()
        for ev in redlines:
            for cc in ev.detail.get("clause_changes", [])[:3]:
                if cc.get("redline"):
                    console.print(f"[dim]{ev.source_id}[/dim] {cc['redline']}")
    console.print(
        f"Explore: policywatch changes --all --db {url}   |   "
        f"policywatch history SOURCE_ID --db {url}"
    )
