"""Listing change events: one query for `changes --json` and the web API (JSON: monitor.schema)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.schema import event_json, snapshot_json
from storage.chunks import one_of
from storage.models import ChangeEventRecord, Snapshot, Source


def event_query(
    *,
    since: datetime | None = None,
    kinds: Sequence[str] = (),
    source_ids: Sequence[str] = (),
    show_all: bool = False,
) -> Any:  # a Select of (ChangeEventRecord, Source) rows
    """Events newest first; coverage changes only unless ``show_all`` or ``kinds``."""
    stmt = (
        select(ChangeEventRecord, Source)
        .join(Source)
        .order_by(ChangeEventRecord.detected_at.desc(), ChangeEventRecord.id.desc())
    )
    if since:
        stmt = stmt.where(ChangeEventRecord.detected_at >= since)
    if kinds:
        stmt = stmt.where(ChangeEventRecord.kind.in_(list(kinds)))
    elif not show_all:
        stmt = stmt.where(ChangeEventRecord.significant.is_(True))
    if source_ids:
        stmt = stmt.where(one_of(ChangeEventRecord.source_id, source_ids))
    return stmt


def event_dict(session: Session, e: ChangeEventRecord, s: Source) -> dict[str, Any]:
    """The JSON of one event (monitor.schema), as `changes --json` and `/api/changes` give it."""
    return event_json(
        e, s, _snapshot(session, e.before_snapshot_id), _snapshot(session, e.after_snapshot_id)
    )


def _snapshot(session: Session, snapshot_id: int | None) -> dict[str, Any] | None:
    snap = session.get(Snapshot, snapshot_id) if snapshot_id is not None else None
    return snapshot_json(snap) if snap is not None else None


def list_events(session: Session, **filters: Any) -> list[dict[str, Any]]:
    rows = session.execute(event_query(**filters)).all()
    wanted = {i for e, _ in rows for i in (e.before_snapshot_id, e.after_snapshot_id) if i}
    # One query for every compared version; event_dict then finds them in the session.
    for chunk in _chunks(sorted(wanted), 500):
        list(session.scalars(select(Snapshot).where(Snapshot.id.in_(chunk))))
    return [event_dict(session, e, s) for e, s in rows]


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
