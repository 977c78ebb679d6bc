"""The `policywatch` command line."""

from __future__ import annotations

from typing import Any

import click

from monitor.cli.archive import history, show
from monitor.cli.changes import changes, diff, review
from monitor.cli.cluster import cluster, worker
from monitor.cli.crawl import crawl
from monitor.cli.database import db
from monitor.cli.demo import demo
from monitor.cli.evaluate import evaluate
from monitor.cli.extraction import extract, reextract
from monitor.cli.health import health
from monitor.cli.publish import publish
from monitor.cli.report import report
from monitor.cli.run import run, schedule
from monitor.cli.sources import sources
from monitor.cli.web import serve, users
from monitor.logs import FORMATS, LEVELS, setup_logging
from storage.redact import install_log_redaction, redact


class PolicywatchGroup(click.Group):
    """Every error ends as one line without secrets: no traceback, no password, no token."""

    def invoke(self, ctx: click.Context) -> Any:
        install_log_redaction()
        try:
            return super().invoke(ctx)
        except click.UsageError:
            raise
        except click.ClickException as exc:
            raise click.ClickException(redact(exc.message)) from None
        except (click.exceptions.Exit, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise click.ClickException(one_line(exc)) from None


def one_line(exc: BaseException) -> str:
    """An unexpected error as one redacted line that says what to do next."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(exc, DBAPIError):
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig)
        return redact(
            f"database error: {first}. Check that the database server is up and --db / "
            "POLICYWATCH_DB is right; the interrupted run is closed on the next start."
        )
    if isinstance(exc, SQLAlchemyError):
        return redact(f"database error: {str(exc).splitlines()[0]}")
    from crawler.runner import CrawlError

    text = str(exc).strip().splitlines()
    if isinstance(exc, CrawlError) and text:
        return redact(
            f"{text[0]}. Crawl runs left unfinished are closed at the next start; "
            "see the crawl log for details."
        )
    return redact(f"{type(exc).__name__}: {text[0] if text else 'unexpected error'}")


@click.group(
    cls=PolicywatchGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="policywatch")
@click.option(
    "--log-level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="info",
    envvar="POLICYWATCH_LOG_LEVEL",
    show_default=True,
    show_envvar=True,
    help="Log lines on standard error at this level and above.",
)
@click.option(
    "--log-format",
    type=click.Choice(FORMATS, case_sensitive=False),
    default="text",
    envvar="POLICYWATCH_LOG_FORMAT",
    show_default=True,
    show_envvar=True,
    help="text, or json: one JSON object per line (ts, level, logger, msg, fields).",
)
def main(log_level: str, log_format: str) -> None:
    """policywatch: watch insurers' ketamine and esketamine coverage documents.

    Start with `policywatch demo` (no internet needed), then `policywatch sources list`
    and `policywatch crawl`.
    """
    setup_logging(log_level.lower(), log_format.lower())


for command in (
    run,
    schedule,
    demo,
    crawl,
    diff,
    changes,
    report,
    publish,
    review,
    extract,
    reextract,
    evaluate,
    history,
    health,
    show,
    sources,
    db,
    serve,
    users,
    worker,
    cluster,
):
    main.add_command(command)
