"""Read-only commands never create a database: a missing one is a one-line error, exit 2."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.db import Database
from tests.cli.helpers import pw
from tests.support.databases import PG_ADMIN_URL

# Each command that only reads history (or annotates it, like review), with what it needs.
READ_ONLY: dict[str, tuple[str, ...]] = {
    "changes": ("changes",),
    "history": ("history", "some-source"),
    "show": ("show", "1"),
    "report": ("report", "--format", "json", "--out", "{tmp}/r.json"),
    "publish": ("publish", "--out", "{tmp}/site", "--base-url", "https://example.org/c/"),
    "health": ("health",),
    "review": ("review", "1", "confirmed"),
    "serve": ("serve", "--port", "1"),
    "db check": ("db", "check"),
    "db backup": ("db", "backup", "{tmp}/backup.db"),
    "users list": ("users", "list"),
    "users token": ("users", "token", "alice"),
    "sources discover --list": ("sources", "discover", "--list"),
    "sources accept": ("sources", "accept", "x", "--to", "{tmp}/mine.toml"),
}


def _run(command: str, db: str, tmp: Path) -> tuple[int, str]:
    args = [a.format(tmp=tmp) for a in READ_ONLY[command]]
    result = pw(*args, "--db", db)
    return result.returncode, result.stderr


@pytest.mark.parametrize("command", sorted(READ_ONLY))
def test_a_missing_sqlite_file_is_an_error_and_is_not_created(command: str, tmp_path: Path) -> None:
    where = tmp_path / "typo" / "policywatch.sqlite"
    code, err = _run(command, f"sqlite:///{where}", tmp_path)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"no database file at {where}" in err
    assert f"policywatch db upgrade --db sqlite:///{where}" in err
    assert not where.parent.exists()


def test_an_existing_database_is_read(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'pw.sqlite'}"
    Database(db).dispose()
    result = pw("changes", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "No change events match" in result.stdout


def test_writing_commands_still_create_their_database(tmp_path: Path) -> None:
    where = tmp_path / "new" / "pw.sqlite"
    result = pw("db", "upgrade", "--db", f"sqlite:///{where}")
    assert result.returncode == 0, result.stderr
    assert where.is_file()


def test_a_sqlite_file_without_the_schema_is_an_error(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    engine = create_engine(f"sqlite:///{other}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER)"))
    engine.dispose()
    result = pw("changes", "--db", f"sqlite:///{other}")
    assert result.returncode == 2
    assert "holds no policywatch schema" in result.stderr and "db upgrade" in result.stderr


@pytest.mark.parametrize("command", ["changes", "health", "report", "db check"])
def test_a_missing_postgresql_database_is_an_error_and_is_not_created(
    command: str, tmp_path: Path, pg_server: str
) -> None:
    name = f"pw_missing_{uuid.uuid4().hex[:8]}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    code, err = _run(command, url, tmp_path)
    assert code == 2, err
    assert f"the database '{name}' does not exist" in err and "policywatch db upgrade" in err
    admin = create_engine(PG_ADMIN_URL)
    with admin.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        assert found.first() is None
    admin.dispose()


def test_an_unmigrated_postgresql_database_is_an_error(tmp_path: Path, db_url: str) -> None:
    # db_url: a fresh SQLite path or an empty PostgreSQL database (schema dropped).
    code, err = _run("changes", db_url, tmp_path)
    assert code == 2, err
    assert ("holds no policywatch schema" in err) or ("no database file" in err)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert "alembic_version" not in conn.dialect.get_table_names(conn)
    engine.dispose()
