"""`policywatch report`: change report, coverage matrix, digest, Atom feed, JSON or CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from monitor.cli.common import common_options, console, make_context, parse_day
from monitor.reports import FORMATS, report_output, write_all_reports, write_report


@click.command()
@common_options
@click.option("--since", metavar="DATE", help="Only events detected on or after YYYY-MM-DD.")
@click.option("--until", metavar="DATE", help="Only events detected on or before YYYY-MM-DD.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="html",
    show_default=True,
    help="html: change report; md: digest; atom: feed; json: events; "
    "matrix: coverage matrix as HTML; csv: coverage matrix as CSV.",
)
@click.option(
    "--all",
    "write_all",
    is_flag=True,
    help="Write every report into the --out directory (changes.html with one page per ISO week, "
    "matrix.html, matrix.csv, digest.md, feed.atom, changes.json, archive/); only reports whose "
    "data changed are written again.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="File to write (a directory with --all). Default: the config's [report] out_dir.",
)
def report(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    since: str | None,
    until: str | None,
    fmt: str,
    write_all: bool,
    out: Path | None,
) -> None:
    """Write reports of the stored change events and the current coverage.

    Evidence links point at archived snapshots exported next to the report (archive/), or at
    [report] archive_base_url when the config sets it.
    """
    ctx = make_context(config_path, db_url, sources_files)
    start, end_day = parse_day(since, "--since"), parse_day(until, "--until")
    end = end_day + timedelta(days=1) if end_day else None  # --until is inclusive
    if start and end and end <= start:
        raise click.BadParameter("--until is before --since", param_hint="--until")
    settings = ctx.config.report
    now = datetime.now(UTC)
    try:
        with ctx.database(must_exist=True) as db, db.session() as session:
            if write_all:
                if end is not None:
                    raise click.UsageError("--all reports everything since --since; drop --until")
                target = out or ctx.config.report_dir
                written = write_all_reports(
                    session,
                    target,
                    since=start,
                    now=now,
                    archive_base_url=settings.archive_base_url,
                    require_review=ctx.config.publish.require_review,
                    feed_size=settings.feed_size,
                )
                for name, path in written.items():
                    console.print(f"{name:>13}  {path}", highlight=False, soft_wrap=True)
                return
            target = out or ctx.config.report_dir / report_output(fmt).file
            paths = write_report(
                session,
                fmt,
                target,
                since=start,
                until=end,
                now=now,
                archive_base_url=settings.archive_base_url,
                require_review=ctx.config.publish.require_review,
                feed_size=settings.feed_size,
            )
    except OSError as exc:
        where = exc.filename or out or ctx.config.report_dir
        raise click.ClickException(
            f"cannot write the report to {where}: {exc.strerror or exc}. "
            "Give --out a writable path (--all: a directory; otherwise a file)."
        ) from None
    console.print(str(paths[0]), highlight=False, soft_wrap=True)
    if len(paths) > 1:
        console.print(
            f"{len(paths) - 1} archived snapshot(s) in {paths[1].parent}",
            highlight=False,
            soft_wrap=True,
        )
