"""Synthetic registries written straight into the database (bulk inserts, no crawl).

Shared by the scale tests and bench/stream.py: many sources whose history is already diffed,
plus a few with new versions made of real policy pages, so the diff job does real work on
those few and must merely not trip over the many.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from storage.blobs import put_blob, sha256_hex
from storage.models import Snapshot, Source

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def source_id(i: int) -> str:
    return f"src-{i:06d}"


def add_sources(session: Session, count: int, *, start: int = 0) -> list[str]:
    ids = [source_id(i) for i in range(start, start + count)]
    rows = [
        {
            "id": sid,
            "payer": f"Payer {i % 97}",
            "plan_type": "commercial",
            "state": "US",
            "document_type": "drug_policy",
            "title": f"Policy {sid}",
            "url": f"https://example.org/{sid}.html",
            "format": None,
            "enabled": True,
            "consecutive_failures": 0,
            "discovered": False,
        }
        for i, sid in enumerate(ids, start)
    ]
    for k in range(0, len(rows), 10_000):
        session.execute(insert(Source), rows[k : k + 10_000])
    return ids


def add_versions(
    session: Session,
    ids: Sequence[str],
    bodies: Sequence[bytes | str],
    *,
    first_day: int = 0,
) -> None:
    """Give each source in ``ids`` one snapshot per body, oldest first, a day apart."""
    shas = []
    for body in bodies:
        raw = body.encode() if isinstance(body, str) else body
        shas.append((put_blob(session, raw, sha256_hex(raw)), len(raw)))
    rows: list[dict[str, Any]] = []
    for sid in ids:
        for n, (sha, size) in enumerate(shas, first_day):
            rows.append(
                {
                    "source_id": sid,
                    "sha256": sha,
                    "size": size,
                    "requested_url": f"https://example.org/{sid}.html",
                    "final_url": f"https://example.org/{sid}.html",
                    "http_status": 200,
                    "content_type": "text/html; charset=utf-8",
                    "etag": f'"{sha[:16]}"',
                    "last_modified": None,
                    "fetched_at": T0 + timedelta(days=n),
                    "redirects": [],
                }
            )
    for k in range(0, len(rows), 10_000):
        session.execute(insert(Snapshot), rows[k : k + 10_000])


def mark_all_diffed(session: Session) -> None:
    """Every source has been diffed up to its newest snapshot: history already seen."""
    newest = (
        select(Snapshot.source_id, func.max(Snapshot.id).label("sid"))
        .group_by(Snapshot.source_id)
        .subquery()
    )
    session.execute(
        update(Source)
        .values(last_diffed_snapshot_id=newest.c.sid)
        .where(Source.id == newest.c.source_id)
    )
