"""Analysts' verdicts on change events: each one kept as an audit record, never overwritten.

Data access only: the caller owns the transaction and passes the time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ChangeEventRecord, Review

# Every review status a change event can have, once: what it means for publication.
REVIEW_STATUSES: dict[str, str] = {
    "new": "awaiting an analyst",
    "confirmed": "an analyst confirmed it: published",
    "dismissed": "an analyst dismissed it: kept as evidence, never published or announced",
    "flapping": "set by the diff: content that flipped back within 14 days; never announced again",
}
VERDICTS = ("new", "confirmed", "dismissed")  # what an analyst may set
UNPUBLISHED_STATUSES = frozenset({"dismissed", "flapping"})


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
