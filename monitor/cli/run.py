"""`policywatch run` (one cycle) and `policywatch schedule` (cycles on a schedule)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from monitor.cli.common import (
    Context,
    common_options,
    console,
    exclusive,
    make_context,
    print_json,
    show_table,
)
from monitor.cluster.dispatch import ClusterError
from monitor.cycle import CycleResult, run_cycle
from monitor.schedule import CYCLE_JOB, ScheduleError, build_scheduler, stop_on_signals
from monitor.schema import document, timestamp
from storage.redact import redact


def _options(ctx: Context, config_path: str | None, db_url: str | None) -> dict[str, object]:
    return {
        "config": config_path,
        "database": db_url or ctx.config.database or None,
        "sources": list(ctx.source_files),
    }


@click.command()
@common_options
def run(config_path: str | None, db_url: str | None, sources_files: tuple[str, ...]) -> None:
    """Run one full cycle now: crawl → extract → diff → report → notify.

    Exit status 1 when some sources failed (they are recorded; the cycle still completes).
    """
    ctx = make_context(config_path, db_url, sources_files)
    sources = ctx.sources()
    enabled = sum(s.enabled for s in sources)
    console.print(f"Cycle over {enabled} source(s) → {redact(ctx.config.db_url)}")
    with exclusive(ctx):
        try:
            result = run_cycle(ctx.config, sources, progress=sys.stderr.isatty())
        except ClusterError as exc:
            raise click.ClickException(str(exc)) from None
    print_cycle(result)
    sys.exit(0 if result.crawl.ok else 1)


def print_cycle(result: CycleResult) -> None:
    c = result.crawl
    console.print(
        f"crawl: [green]{c.new_versions} new version(s)[/green], {c.unchanged} "
        f"unchanged, " + (f"[red]{c.failed} failed[/red]" if c.failed else "0 failed")
    )
    for f in c.failures[:20]:
        console.print(f"  [red]✗[/red] {f['source_id']}: {f['error']}")
    if c.missing:
        console.print(
            f"[red]{len(c.missing)} source(s) not fetched[/red] (the crawl stopped early): "
            + ", ".join(c.missing[:20])
        )
    if c.status != "finished":
        console.print(f"[red]the crawl run ended {c.status}[/red]")
    if result.events:
        show_table(
            "change events",
            ["id", "source", "kind", "drug", "summary"],
            [
                (e["id"], e["source_id"], e["kind"], e["drug"] or "", e["summary"])
                for e in result.events
            ],
        )
    else:
        console.print("changes: none")
    for name, path in result.outputs.items():
        console.print(f"{name}: {path}")
    if result.publish_error:
        console.print(f"[red]{result.publish_error}[/red]", highlight=False)
    for message in result.notified:
        console.print(f"notified {message.audience}: {message.title}")


@click.command()
@common_options
@click.option("--list", "list_only", is_flag=True, help="Show the jobs and their next run times.")
@click.option("--json", "as_json", is_flag=True, help="With --list: print JSON.")
def schedule(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    list_only: bool,
    as_json: bool,
) -> None:
    """Run cycles on the schedule in policywatch.toml, in the foreground (Ctrl-C stops).

    Jobs live in the database (fixed ids, persistent job store): a restart resumes the schedule
    without duplicating jobs. Defaults: the cycle daily at 06:00 UTC, the digest on Mondays.
    """
    ctx = make_context(config_path, db_url, sources_files)
    ctx.database().dispose()  # migrations first, and a clear error if the database is unreachable
    try:
        if list_only:
            from apscheduler.schedulers.background import BackgroundScheduler

            scheduler = build_scheduler(
                ctx.config, _options(ctx, config_path, db_url), scheduler_cls=BackgroundScheduler
            )
            scheduler.start(paused=True)
            jobs = scheduler.get_jobs()
            rows = [(j.id, j.name, str(j.trigger), _when(j.next_run_time)) for j in jobs]
            scheduler.shutdown(wait=False)
            if as_json:
                listed = [
                    {
                        "id": j.id,
                        "name": j.name,
                        "trigger": str(j.trigger),
                        "next_run_at": timestamp(j.next_run_time),
                    }
                    for j in jobs
                ]
                print_json(document("jobs", listed))
                return
            show_table("scheduled jobs", ["id", "job", "trigger", "next run (UTC)"], rows)
            return
        scheduler = build_scheduler(ctx.config, _options(ctx, config_path, db_url))
    except ScheduleError as exc:
        raise click.ClickException(str(exc)) from None
    stop_on_signals(scheduler)
    console.print(
        f"Scheduler running (job {CYCLE_JOB}: {ctx.config.schedule.cycle} UTC); "
        "Ctrl-C or SIGTERM stops after the running job."
    )
    scheduler.start()
    console.print("Scheduler stopped.")


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "paused"
