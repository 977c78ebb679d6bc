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


def test_an_older_schema_is_still_upgraded_when_opened(db_url: str) -> None:
    # Opening checks the revision without Alembic when it is current; an older one must
    # still be migrated.
    from alembic import command

    from storage.db import _file_head, alembic_config

    db = Database(db_url)
    head = head_revision(db.engine)
    assert _file_head() == head  # the quick reading of the migration files agrees
    cfg = alembic_config(db.engine)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    older = current_revision(db.engine)
    db.dispose()
    assert older != head
    reopened = Database(db_url)
    assert current_revision(reopened.engine) == head
    reopened.dispose()
