"""Analysts' verdicts on change events: each one kept as an audit record, never overwritten.

Data access only: the caller owns the transaction and passes the time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ChangeEventRecord, Review
from storage.statuses import REVIEW_STATUSES, UNPUBLISHED_STATUSES, VERDICTS

__all__ = ["REVIEW_STATUSES", "UNPUBLISHED_STATUSES", "VERDICTS", "record_review", "reviews_of"]


def record_review(
    session: Session,
    event: ChangeEventRecord,
    *,
    reviewer: str,
    verdict: str | None,
    now: datetime,
    note: str | None = None,
    summary: str | None = None,
) -> Review:
    """Apply a verdict (None keeps the current status) and/or an edited summary to ``event``.

    The event keeps the latest state for the reports; the ``reviews`` table keeps every step.
    A blank summary means "publish the diff's own summary"; a note of None keeps the last one.
    """
    if verdict is not None and verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; use one of {', '.join(VERDICTS)}")
    if verdict is not None:
        event.review_status = verdict
    if summary is not None:
        event.review_summary = summary.strip() or None
    if note is not None:
        event.review_note = note.strip() or None
    event.reviewed_at = now
    review = Review(
        event_id=event.id,
        reviewer=reviewer,
        verdict=event.review_status,
        summary=event.review_summary if summary is not None else None,
        note=note.strip() or None if note is not None else None,
        at=now,
    )
    session.add(review)
    session.flush()
    return review


def reviews_of(session: Session, event_id: int) -> list[Review]:
    """The audit trail of one event, oldest first."""
    stmt = select(Review).where(Review.event_id == event_id).order_by(Review.at, Review.id)
    return list(session.scalars(stmt))
