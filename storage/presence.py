"""Whether a database already exists and holds policywatch's schema, without creating it.

Read-only commands use this before opening a database: opening one through `Database`
creates a missing SQLite file (and its directory) and migrates it, so a mistyped `--db`
would otherwise answer "no changes" from a brand-new empty database.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

VERSION_TABLE = "alembic_version"  # Alembic's: present once `db upgrade` has run


def missing_database(url: str) -> str | None:
    """Why ``url`` is no policywatch database yet (a sentence), or None when it is one.

    Connection problems other than a missing database (server down, bad password) are left
    to the caller's usual error handling: this returns None for them.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # not a URL at all: the normal open reports it
    if parsed.get_backend_name() == "sqlite":
        name = parsed.database or ""
        if name in ("", ":memory:") or name.startswith("file:"):
            return None
        path = Path(name)
        if not path.is_file():
            return f"no database file at {path}"
    engine = create_engine(parsed)
    try:
        with engine.connect() as conn:
            has_schema = inspect(conn).has_table(VERSION_TABLE)
    except OperationalError as exc:
        text = str(exc.orig)
        if "database" in text and "does not exist" in text:  # PostgreSQL's FATAL on connect
            return (
                f"the database {parsed.database!r} does not exist on {parsed.host or 'localhost'}"
            )
        return None
    finally:
        engine.dispose()
    if not has_schema:
        return f"{parsed.render_as_string(hide_password=True)} holds no policywatch schema"
    return None
