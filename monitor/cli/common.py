"""Options shared by every command, and the little output helpers they use."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from crawler.config import Config, ConfigError, load_config
from crawler.registry import PolicySource, RegistryError, configured_sources
from storage.db import Database
from storage.redact import redact

F = TypeVar("F", bound=Callable[..., Any])
console = Console()
err_console = Console(stderr=True)


@dataclass
class Context:
    config: Config
    source_files: list[str]

    def sources(self) -> list[PolicySource]:
        try:
            return configured_sources(self.config)
        except RegistryError as exc:
            raise click.ClickException(
                f"{exc}\nFix the entry, then check with: policywatch sources validate"
            ) from None

    def database(self) -> Database:
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


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    t = Table(title=title, header_style="bold", title_justify="left")
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    return t
