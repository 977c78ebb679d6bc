"""`policywatch db ...`: schema migrations."""

from __future__ import annotations

import click

from monitor.cli.common import common_options, console, make_context
from storage.db import Database, current_revision, upgrade


@click.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade")
@common_options
def db_upgrade(config_path: str | None, db_url: str | None, sources_files: tuple[str, ...]) -> None:
    """Apply pending migrations (they are also applied on first use)."""
    ctx = make_context(config_path, db_url, sources_files)
    database = Database(ctx.config.db_url, migrate=False)
    applied = upgrade(database.engine)
    rev = current_revision(database.engine)
    console.print(
        f"{database.display_url}: schema at revision {rev}"
        + (" (upgraded)" if applied else " (already current)")
    )
