"""Listing change events: one query and one JSON shape for `changes --json` and the web API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.chunks import one_of
from storage.models import ChangeEventRecord, Source
from storage.repo import as_utc


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


def event_dict(e: ChangeEventRecord, s: Source) -> dict[str, Any]:
    """The JSON of one event, as `changes --json` prints it and `/api/changes` returns it."""
    return {
        "id": e.id,
        "source_id": e.source_id,
        "payer": s.payer,
        "plan_type": s.plan_type,
        "state": s.state,
        "kind": e.kind,
        "drug": e.drug or None,
        "significant": e.significant,
        "stance_before": e.stance_before,
        "stance_after": e.stance_after,
        "summary": e.summary,
        "effective_date": e.effective_date,
        "detected_at": as_utc(e.detected_at),
        "before_snapshot_id": e.before_snapshot_id,
        "after_snapshot_id": e.after_snapshot_id,
        "review_status": e.review_status,
        "review_note": e.review_note,
        "review_summary": e.review_summary,
        "reviewed_at": as_utc(e.reviewed_at) or None,
    }


def list_events(session: Session, **filters: Any) -> list[dict[str, Any]]:
    return [event_dict(e, s) for e, s in session.execute(event_query(**filters)).all()]
