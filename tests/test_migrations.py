"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.db import FOREIGN_TABLES, Database, current_revision, head_revision
from storage.models import Base


def test_migrations_match_the_models(db_url: str) -> None:
    db = Database(db_url)  # applies every migration to an empty database
    assert current_revision(db.engine) == head_revision(db.engine)
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [
            d
            for d in compare_metadata(ctx, Base.metadata)
            if not (d[0] == "remove_table" and d[1].name in FOREIGN_TABLES)
        ]
    db.dispose()
    assert diffs == []
