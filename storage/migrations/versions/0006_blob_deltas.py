"""blob deltas: a body may be stored as a zstd delta against a whole base blob

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 02:00:00.000000

New versions of a source are stored as deltas against an earlier whole body
(``compression = 'zstd-delta'``, ``base_sha256`` naming the base). Existing rows are whole
blobs and stay as they are. Downgrading first rewrites every delta as a whole zlib blob, since
the older code cannot read deltas.
"""

from __future__ import annotations

import zlib

import sqlalchemy as sa
import zstandard
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BATCH = 200


def upgrade() -> None:
    with op.batch_alter_table("blobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_sha256", sa.String(length=64), nullable=True))


def _whole(conn: sa.Connection, blobs: sa.TableClause, sha: str) -> bytes:
    row = conn.execute(
        sa.select(blobs.c.compression, blobs.c.data).where(blobs.c.sha256 == sha)
    ).one_or_none()
    if row is None or row.compression != "zlib":
        raise RuntimeError(
            f"cannot downgrade: the base {sha[:16]} of a delta blob is missing or not whole; "
            "run `policywatch db check` and restore the database from a backup first"
        )
    return zlib.decompress(row.data)


def downgrade() -> None:
    conn = op.get_bind()
    blobs = sa.table(
        "blobs",
        sa.column("sha256", sa.String),
        sa.column("compression", sa.String),
        sa.column("data", sa.LargeBinary),
        sa.column("base_sha256", sa.String),
    )
    # Few rows at a time: a database may hold gigabytes of bodies.
    while True:
        rows = conn.execute(
            sa.select(blobs.c.sha256, blobs.c.data, blobs.c.base_sha256)
            .where(blobs.c.compression == "zstd-delta")
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        for sha, data, base_sha in rows:
            base = zstandard.ZstdCompressionDict(
                _whole(conn, blobs, base_sha), dict_type=zstandard.DICT_TYPE_RAWCONTENT
            )
            body = zstandard.ZstdDecompressor(dict_data=base).decompress(bytes(data))
            conn.execute(
                sa.update(blobs)
                .where(blobs.c.sha256 == sha)
                .values(compression="zlib", data=zlib.compress(body, 6), base_sha256=None)
            )
    # A plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35), not a batch copy: recreating `blobs`
    # would copy every body and trip the snapshots' foreign key to it.
    op.drop_column("blobs", "base_sha256")
