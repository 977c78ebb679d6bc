"""The `policywatch` command line."""

from __future__ import annotations

import sys
from typing import Any

import click

from monitor.cli.lazy import LazyCommand, LazyGroup
from monitor.logs import FORMATS, LEVELS, setup_logging
from storage.redact import install_log_redaction, redact

# name -> where the command lives and its one-line help: `policywatch --help` lists them all
# without importing a single command module (tests/cli/test_lazy.py keeps the help in step).
COMMANDS: dict[str, LazyCommand] = {
    "run": LazyCommand(
        "monitor.cli.run:run", "Run one full cycle now: crawl → extract → diff → report → notify."
    ),
    "schedule": LazyCommand(
        "monitor.cli.run:schedule",
        "Run cycles on the schedule in policywatch.toml, in the foreground (Ctrl-C stops).",
    ),
    "demo": LazyCommand(
        "monitor.cli.demo:demo",
        "Serve bundled sample policies on 127.0.0.1, crawl them twice and report the changes.",
    ),
    "crawl": LazyCommand(
        "monitor.cli.crawl:crawl", "Fetch every enabled source once; store each new version."
    ),
    "diff": LazyCommand(
        "monitor.cli.changes:diff",
        "Compare each new version with its source's last good version and store change events.",
    ),
    "changes": LazyCommand(
        "monitor.cli.changes:changes",
        "List stored change events, newest first (coverage changes only unless --all or --kind).",
    ),
    "report": LazyCommand(
        "monitor.cli.report:report",
        "Write reports of the stored change events and the current coverage.",
    ),
    "publish": LazyCommand(
        "monitor.cli.publish:publish",
        "Publish the public site for the blog: map, state and payer pages, changes, feed.",
    ),
    "review": LazyCommand(
        "monitor.cli.changes:review",
        "Record an analyst's verdict on an event: confirmed, dismissed (never published), or new.",
    ),
    "extract": LazyCommand(
        "monitor.cli.extraction:extract",
        "Show the document facts and ketamine/esketamine clauses found in one document.",
    ),
    "reextract": LazyCommand(
        "monitor.cli.extraction:reextract",
        "Recompute extractions of all stored history with the current extractor.",
    ),
    "evaluate": LazyCommand(
        "monitor.cli.evaluate:evaluate",
        "Crawl, extract and diff a labelled corpus through the real code path, and score it.",
    ),
    "history": LazyCommand(
        "monitor.cli.archive:history",
        "List the stored versions of SOURCE_ID: time, sha256, size, final URL.",
    ),
    "health": LazyCommand(
        "monitor.cli.health:health",
        "Sources that need an operator: failing fetches, quarantined versions, never crawled.",
    ),
    "show": LazyCommand(
        "monitor.cli.archive:show",
        "Show one archived version: its metadata and what was extracted, or --raw bytes.",
    ),
    "sources": LazyCommand(
        "monitor.cli.sources:sources", "List, validate and inspect the watched policy sources."
    ),
    "db": LazyCommand(
        "monitor.cli.database:db",
        "Database schema management, integrity check, backup and restore.",
    ),
    "serve": LazyCommand(
        "monitor.cli.web:serve",
        "Run the analysts' review workspace: queue, change pages, reviews, operators' pages.",
    ),
    "users": LazyCommand(
        "monitor.cli.web:users",
        "Accounts of the review workspace: viewer, analyst, operator or admin.",
    ),
    "worker": LazyCommand(
        "monitor.cli.cluster:worker",
        "Join the crawl queue: fetch, store and extract the batches `policywatch run` enqueues.",
    ),
    "cluster": LazyCommand(
        "monitor.cli.cluster:cluster",
        "The crawl cluster: workers, queue, progress of the current cycle.",
    ),
}


class PolicywatchGroup(LazyGroup):
    """Every error ends as one line without secrets: no traceback, no password, no token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("lazy_commands", COMMANDS)
        super().__init__(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        install_log_redaction()
        try:
            return super().invoke(ctx)
        except click.UsageError:
            raise
        except click.ClickException as exc:
            raise _redacted(exc) from None
        except (click.exceptions.Exit, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise click.ClickException(one_line(exc)) from None


def _redacted(exc: click.ClickException) -> click.ClickException:
    """The same error without secrets, keeping its exit status (2: no such database)."""
    if exc.exit_code == click.ClickException.exit_code:
        return click.ClickException(redact(exc.message))
    cls = type("RedactedError", (click.ClickException,), {"exit_code": exc.exit_code})
    error: click.ClickException = cls(redact(exc.message))
    return error


def one_line(exc: BaseException) -> str:
    """An unexpected error as one redacted line that says what to do next."""
    # An error of a library no command imported cannot be one of its errors: importing
    # SQLAlchemy or Scrapy here only to find that out would slow every failing command.
    if "sqlalchemy" in sys.modules:
        message = _database_error(exc)
        if message:
            return message
    text = str(exc).strip().splitlines()
    runner = sys.modules.get("crawler.runner")
    if runner is not None and isinstance(exc, runner.CrawlError) and text:
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


def _database_error(exc: BaseException) -> str | None:
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(exc, DBAPIError):
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig)
        return redact(
            f"database error: {first}. Check that the database server is up and --db / "
            "POLICYWATCH_DB is right; the interrupted run is closed on the next start."
        )
    if isinstance(exc, SQLAlchemyError):
        return redact(f"database error: {str(exc).splitlines()[0]}")
    return None
