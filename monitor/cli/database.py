"""`policywatch db ...`: migrations, integrity check, backup and restore."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli.common import common_options, console, make_context, print_json, show_table
from monitor.schema import document
from storage.backup import BackupError, backup, restore
from storage.db import Database, current_revision, upgrade
from storage.integrity import check_database
from storage.redact import redact


@click.group()
def db() -> None:
    """Database schema management, integrity check, backup and restore."""


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


@db.command("check")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def db_check(
    config_path: str | None, db_url: str | None, sources_files: tuple[str, ...], as_json: bool
) -> None:
    """Re-hash every stored body; find orphans, dangling references and stuck runs.

    Exit status 0 when the history is whole, 1 when problems were found (listed).
    """
    ctx = make_context(config_path, db_url, sources_files)
    with ctx.database(must_exist=True) as database, database.session() as session:
        problems = check_database(database.engine, session)
    if as_json:
        print_json(document("problems", [p.__dict__ for p in problems]))
    elif problems:
        show_table(
            f"{len(problems)} problem(s)",
            ["kind", "where", "detail"],
            [(p.kind, p.where, p.detail) for p in problems],
        )
        console.print(
            "Damaged or missing bytes: restore from a backup (`policywatch db restore`); "
            "stuck runs are closed by the next `policywatch run`."
        )
    else:
        console.print(f"{database.display_url}: every blob matches its sha256; no problems found")
    sys.exit(1 if problems else 0)


@db.command("backup")
@common_options
@click.argument("path", type=click.Path(path_type=Path))
def db_backup(
    config_path: str | None, db_url: str | None, sources_files: tuple[str, ...], path: Path
) -> None:
    """Write a consistent backup of the database to PATH.

    SQLite: a copy made with SQLite's online backup API. PostgreSQL: a portable JSON-lines
    dump (restorable into PostgreSQL or SQLite).
    """
    ctx = make_context(config_path, db_url, sources_files)
    try:
        with ctx.database(must_exist=True) as database:
            kind = backup(database.engine, path)
    except (BackupError, OSError) as exc:
        raise click.ClickException(f"backup failed: {exc}") from None
    console.print(f"{database.display_url} → {path} ({kind}, {path.stat().st_size:,} bytes)")


@db.command("restore")
@common_options
@click.argument("path", type=click.Path(path_type=Path))
def db_restore(
    config_path: str | None, db_url: str | None, sources_files: tuple[str, ...], path: Path
) -> None:
    """Restore the backup at PATH into the (new, empty) database given by --db."""
    ctx = make_context(config_path, db_url, sources_files)
    try:
        with Database(ctx.config.db_url, migrate=False) as database:
            counts = restore(path, database.engine)
    except (BackupError, OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"restore failed: {exc}") from None
    total = sum(counts.values())
    console.print(f"{path} → {redact(ctx.config.db_url)}: {total:,} row(s) restored")
    console.print("Check it with: policywatch db check")
