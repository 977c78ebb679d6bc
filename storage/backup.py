"""Backups that restore exactly: the SQLite backup API, or a portable JSON-lines dump.

SQLite files are copied with ``sqlite3``'s online backup API (consistent while a crawl writes).
Any other database (PostgreSQL) is dumped through SQLAlchemy as JSON lines: one header line, then
one line per row in foreign-key order, bytes in base64 and times in ISO 8601 with their offset.
It needs no ``pg_dump`` matching the server's version, streams (memory stays flat however many
blobs), and restores into either dialect, so a PostgreSQL history can also move to SQLite.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, LargeBinary, Table, func, insert, select, text

from storage.db import current_revision, head_revision, make_engine, upgrade
from storage.models import Base, UTCDateTime

FORMAT = "policywatch-backup"
SQLITE_MAGIC = b"SQLite format 3\x00"
BATCH = 500


class BackupError(RuntimeError):
    """A backup could not be written or restored; the message says what to do."""


def tables() -> list[Table]:
    """Our tables, parents before children."""
    return list(Base.metadata.sorted_tables)


def _sqlite_path(engine: Engine) -> Path | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    return Path(database) if database and database != ":memory:" else None


def backup(engine: Engine, path: Path) -> str:
    """Write a backup of ``engine``'s database to ``path``; returns the format used."""
    if path.exists() and path.is_dir():
        raise BackupError(f"{path} is a directory; give a file name for the backup")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    source = _sqlite_path(engine)
    try:
        if source is not None:
            with sqlite3.connect(source) as src, sqlite3.connect(tmp) as dst:
                src.backup(dst)
            src.close()
            dst.close()
            kind = "sqlite"
        else:
            with tmp.open("w", encoding="utf-8") as out:
                for line in dump_lines(engine):
                    out.write(line + "\n")
            kind = "jsonl"
        tmp.replace(path)  # a reader never sees half a backup under the final name
    finally:
        tmp.unlink(missing_ok=True)
    return kind


def _encode(table: Table, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        value = row._mapping[column.name]
        if isinstance(value, bytes | memoryview):
            value = base64.b64encode(bytes(value)).decode("ascii")
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[column.name] = value
    return out


def dump_lines(engine: Engine) -> Iterator[str]:
    with engine.connect() as conn:
        yield json.dumps(
            {
                "format": FORMAT,
                "version": 1,
                "revision": current_revision(engine),
                "tables": {
                    t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in tables()
                },
            }
        )
        for table in tables():
            order: list[Any] = list(table.primary_key.columns)
            if "base_sha256" in table.c:
                # Whole blobs before deltas, so every delta's base precedes it in the file.
                order.insert(0, table.c.base_sha256.is_not(None))
            result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                select(table).order_by(*order)
            )
            for row in result:
                yield json.dumps({"t": table.name, "r": _encode(table, row)}, ensure_ascii=False)


def _decode(table: Table, data: dict[str, Any]) -> dict[str, Any]:
    row = dict(data)
    for column in table.columns:
        value = row.get(column.name)
        if value is None:
            continue
        if isinstance(column.type, LargeBinary):
            row[column.name] = base64.b64decode(value)
        elif isinstance(column.type, UTCDateTime):
            row[column.name] = datetime.fromisoformat(value)
    return row


def _require_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        for table in tables():
            if conn.execute(select(func.count()).select_from(table)).scalar_one():
                raise BackupError(
                    f"the target database already holds data (table {table.name}); "
                    "restore into a new, empty database"
                )


def _rows_from_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        header = json.loads(fh.readline() or "{}")
        if header.get("format") != FORMAT:
            raise BackupError(f"{path}: not a policywatch backup")
        for number, line in enumerate(fh, 2):
            try:
                item = json.loads(line)
                yield item["t"], item["r"]
            except (ValueError, KeyError) as exc:
                raise BackupError(f"{path}: line {number} is damaged ({exc})") from None


def _rows_from_sqlite(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    src = make_engine(f"sqlite:///{path}")
    try:
        with src.connect() as conn:
            for table in tables():
                for row in conn.execute(select(table)):
                    yield table.name, _encode(table, row)
    finally:
        src.dispose()


def restore(path: Path, engine: Engine) -> dict[str, int]:
    """Load the backup at ``path`` into ``engine``'s (empty) database; returns rows per table."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    with path.open("rb") as fh:
        magic = fh.read(len(SQLITE_MAGIC))
    upgrade(engine)
    _require_empty(engine)
    by_name = {t.name: t for t in tables()}
    counts = dict.fromkeys(by_name, 0)
    rows = _rows_from_sqlite(path) if magic == SQLITE_MAGIC else _rows_from_jsonl(path)
    pending: dict[str, list[dict[str, Any]]] = {}
    with engine.begin() as conn:
        for name, data in rows:
            table = by_name.get(name)
            if table is None:
                raise BackupError(
                    f"{path}: unknown table {name!r}; is it from a newer policywatch?"
                )
            pending.setdefault(name, []).append(_decode(table, data))
            counts[name] += 1
            if len(pending[name]) >= BATCH:
                _flush(conn, by_name, pending)
        _flush(conn, by_name, pending)
        if engine.dialect.name == "postgresql":
            _reset_sequences(conn)
    if current_revision(engine) != head_revision(engine):
        raise BackupError("the restored schema is not at the current revision")
    return counts


def _flush(conn: Any, by_name: dict[str, Table], pending: dict[str, list[dict[str, Any]]]) -> None:
    # Parents first: rows of one table may reference rows of an earlier one still pending.
    for table in tables():
        batch = pending.pop(table.name, None)
        if batch:
            conn.execute(insert(by_name[table.name]), batch)


def _reset_sequences(conn: Any) -> None:
    """Explicit ids were inserted: move each serial sequence past them."""
    for table in tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                column.autoincrement == "auto" and column.type.python_type is int
            ):
                conn.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence(:t, :c), "
                        f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    ),
                    {"t": table.name, "c": column.name},
                )
