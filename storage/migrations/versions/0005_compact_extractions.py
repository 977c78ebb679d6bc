"""compact extraction records: compressed record, per-drug summary, coverage fingerprint

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 01:00:00.000000

New rows keep the extraction as a compressed record without blocks (``record``), with the
matrix's per-drug summary (``summary``) and the flap check's fingerprint (``fingerprint``)
beside it; the full JSON document (``data``) becomes optional. Old rows keep their document and
are read as before; this migration derives their ``summary`` so the matrix never opens the
document (``policywatch reextract`` rewrites them as compact records, and the fingerprint is
filled the first time the diff reads it). Downgrading writes the document back from the record,
without blocks (they are recomputable from the raw snapshot).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BATCH = 200  # rows per read: legacy documents are ~200 KB each

_extractions = sa.table(
    "extractions",
    sa.column("id", sa.Integer()),
    sa.column("data", sa.JSON()),
    sa.column("record", sa.LargeBinary()),
    sa.column("summary", sa.JSON()),
)


def _batches(conn: Any, where: Any, *cols: Any) -> Any:
    last = 0
    while True:
        rows = conn.execute(
            sa.select(_extractions.c.id, *cols)
            .where(where, _extractions.c.id > last)
            .order_by(_extractions.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _summary(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "effective_date": data.get("effective_date"),
        "summaries": {
            k: {
                "drug": v.get("drug", k),
                "stance": v.get("stance"),
                "criteria": v.get("criteria") or {},
                "codes": v.get("codes") or [],
            }
            for k, v in (data.get("summaries") or {}).items()
        },
    }


def _document(record: bytes) -> dict[str, Any]:
    """The pre-0005 document of a format-1 record (blocks left empty)."""
    doc = json.loads(zlib.decompress(record))
    fields = ("text", "drug", "stance", "type", "section", "path", "indication", "codes")
    return {
        "outcome": doc["o"],
        "format": doc["f"],
        "title": doc["t"],
        "policy_number": doc["n"],
        "effective_date": doc["e"],
        "last_reviewed": doc["r"],
        "blocks": [],
        "clauses": [dict(zip(fields, row, strict=True)) for row in doc["c"]],
        "summaries": {
            k: {"drug": row[0], "stance": row[1], "criteria": row[2], "codes": row[3]}
            for k, row in doc["s"].items()
        },
        "message": doc["m"],
        "text_length": doc["l"],
    }


def upgrade() -> None:
    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=80), nullable=True))
        batch_op.alter_column("data", existing_type=sa.JSON(), nullable=True)
    conn = op.get_bind()
    for rows in _batches(conn, _extractions.c.summary.is_(None), _extractions.c.data):
        conn.execute(
            sa.update(_extractions)
            .where(_extractions.c.id == sa.bindparam("row_id"))
            .values(summary=sa.bindparam("new_summary", type_=sa.JSON())),
            [{"row_id": i, "new_summary": _summary(data or {})} for i, data in rows],
        )


def downgrade() -> None:
    conn = op.get_bind()
    for rows in _batches(conn, _extractions.c.data.is_(None), _extractions.c.record):
        conn.execute(
            sa.update(_extractions)
            .where(_extractions.c.id == sa.bindparam("row_id"))
            .values(data=sa.bindparam("document", type_=sa.JSON())),
            [{"row_id": i, "document": _document(bytes(rec))} for i, rec in rows],
        )
    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.alter_column("data", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("fingerprint")
        batch_op.drop_column("summary")
        batch_op.drop_column("record")
