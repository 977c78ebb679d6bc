"""Options shared by every command, and the little output helpers they use."""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from storage.redact import redact

if TYPE_CHECKING:  # SQLAlchemy and pydantic come with them: imported when a command runs
    from crawler.config import Config
    from crawler.registry import PolicySource
    from storage.db import Database

F = TypeVar("F", bound=Callable[..., Any])
# In a pipe or a file, lines are never wrapped at 80 columns: scripts get whole records.
console = Console(soft_wrap=not sys.stdout.isatty())
err_console = Console(stderr=True)


class MissingDatabase(click.ClickException):
    """A read-only command was pointed at a database that does not exist (yet)."""

    exit_code = 2


@dataclass
class Context:
    config: Config
    source_files: list[str]

    def sources(self) -> list[PolicySource]:
        from crawler.registry import RegistryError, configured_sources

        try:
            return configured_sources(self.config)
        except RegistryError as exc:
            raise click.ClickException(
                f"{exc}\nFix the entry, then check with: policywatch sources validate"
            ) from None

    def database(self, *, must_exist: bool = False) -> Database:
        """The database, migrated to the current schema.

        ``must_exist``: for commands that only read (or annotate) history. A missing SQLite
        file or PostgreSQL database is then an error instead of a new, empty database:
        a mistyped --db must not answer "nothing found".
        """
        if must_exist:
            from storage.presence import missing_database

            problem = missing_database(self.config.db_url)
            if problem:
                raise MissingDatabase(
                    f"{redact(problem)}. Check --db / POLICYWATCH_DB, or create it with: "
                    f"policywatch db upgrade --db {shlex.quote(redact(self.config.db_url))}"
                )
        from storage.db import Database

        try:
            return Database(self.config.db_url)
        except Exception as exc:  # connection or migration problems: say where and what
            raise click.ClickException(
                f"cannot open the database {redact(self.config.db_url)!r}: "
                f"{redact(str(exc).strip().splitlines()[0] if str(exc).strip() else exc)}. "
                "Check --db / POLICYWATCH_DB (any SQLAlchemy URL) and that the server is up."
            ) from None


@contextmanager
def exclusive(ctx: Context) -> Iterator[None]:
    """Hold the one-cycle-at-a-time lock for a command that writes history or derived data."""
    from monitor.locks import CycleBusy
    from monitor.locks import exclusive as hold

    try:
        with hold(ctx.config) as closed:
            if closed:
                err_console.print(
                    f"[yellow]closed {len(closed)} crawl run(s) left running by an interrupted "
                    f"process: {', '.join(map(str, closed))}[/yellow]"
                )
            yield
    except CycleBusy as exc:
        raise click.ClickException(str(exc)) from None


def common_options(func: F) -> F:
    """--config, --db and --sources, accepted by every command."""
    func = click.option(
        "--sources",
        "sources_files",
        multiple=True,
        type=click.Path(),
        help="Sources TOML file (repeatable); replaces the shipped registry.",
    )(func)
    func = click.option(
        "--db",
        "db_url",
        default=None,
        metavar="URL",
        help="SQLAlchemy database URL (default: $POLICYWATCH_DB or the "
        "SQLite file in the data directory).",
    )(func)
    func = click.option(
        "--config",
        "config_path",
        default=None,
        type=click.Path(),
        help="policywatch.toml to use (default: $POLICYWATCH_CONFIG or ./policywatch.toml).",
    )(func)
    return func


def make_context(
    config_path: str | None, db_url: str | None, sources_files: Sequence[str]
) -> Context:
    from crawler.config import ConfigError, load_config

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if db_url:
        cfg.database = db_url
    if sources_files:
        cfg.sources = list(sources_files)
    return Context(config=cfg, source_files=list(cfg.sources))


def parse_day(value: str | None, option: str) -> datetime | None:
    """A YYYY-MM-DD option as the start of that day in UTC (None when not given)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use YYYY-MM-DD", param_hint=option) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


# Nothing is folded mid-word on a terminal: an id or URL broken over two lines cannot be
# copied, and words wrap only at spaces. Id columns keep their width (up to _ID_WIDTH); a
# value too long for its column stays on one line and ends in "…". The pipe output (TSV)
# and --json always carry every value whole.
_ID_WORDS = frozenset({"id", "source", "snapshot", "sha256", "name"})
_ID_WIDTH = 32
_URL_WIDTH = 40


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A Rich table for a terminal: text wraps between words, ids and URLs are never folded."""
    t = Table(title=title, header_style="bold", title_justify="left")
    for col in columns:
        words = set(col.lower().replace("_", " ").split())
        if words & _ID_WORDS:
            t.add_column(col, no_wrap=True, overflow="ellipsis", max_width=_ID_WIDTH)
        else:
            width = _URL_WIDTH if "url" in words else None
            t.add_column(col, overflow="ellipsis", max_width=width)
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    return t


def show_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print records: a Rich table on a terminal, else tab-separated values with a header.

    The one place that decides, so every listing behaves the same in a pipe: one line per
    record, whole values (no markup, no wrapping, no "…"), easy to cut, sort and grep.
    """
    if console.is_terminal:
        console.print(table(title, columns, rows))
        return
    out = [_tsv_line(columns)]
    out.extend(_tsv_line(row) for row in rows)
    sys.stdout.write("".join(out))


_COLOURS = re.compile(r"\[/?(?:bold |dim )?(?:bold|dim|red|green|yellow|cyan|magenta|blue)\]")


def remarks() -> Console:
    """Where to say things beside a listing: after it on a terminal, else on stderr."""
    return console if console.is_terminal else err_console


def _tsv_line(values: Sequence[Any]) -> str:
    return "\t".join(_tsv_cell(v) for v in values) + "\n"


def _tsv_cell(value: Any) -> str:
    if value is None:
        return ""
    # Our cells carry colour markup for the terminal; crawled text may hold brackets that
    # only look like markup, so only the colours this CLI uses are taken out.
    text = _COLOURS.sub("", str(value))
    return " ".join(text.replace("\t", " ").split("\n")).strip()
