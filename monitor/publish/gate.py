"""The publish gate: which changes reach the public site, and with what words.

Everything that decides "is this change published, and what does it say" lives in
``published_changes``. Readers see only changes an analyst confirmed; an analyst's reviewed
summary (``change_events.review_summary``, set in the review workspace) wins over the generated
one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.publish.glossary import (
    DRUG_SHORT,
    criterion_name,
    stance_label,
    value_words,
)
from monitor.reports.model import EventView
from monitor.reports.queries import load_events
from storage.models import ChangeEventRecord

_CHUNK = 500


@dataclass(frozen=True)
class PublishedChange:
    """A confirmed change as the site shows it."""

    event: EventView
    text: str  # the plain-language summary readers see
    uid: str  # stable across databases: never the row number

    @property
    def slug(self) -> str:
        """The page name: date, source and a short hash, readable and unique."""
        return f"{self.event.detected_at:%Y-%m-%d}-{self.event.source.id}-{self.uid[:10]}"


def change_uid(event: EventView) -> str:
    """A hash of what makes the change this change: source, both versions' bytes, kind, drug."""
    before = event.before.sha256 if event.before else ""
    key = "|".join((event.source.id, before, event.after.sha256, event.kind, event.drug or ""))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def plain_summary(event: EventView) -> str:
    """What changed, in words a patient understands (built from the event's facts, not its
    analyst-facing summary)."""
    payer = event.source.payer
    drug = DRUG_SHORT.get(event.drug or "", "ketamine and Spravato")
    if event.kind == "stance_change":
        return (
            f"{payer} changed its coverage of {drug}: now {stance_label(event.stance_after)} "
            f"(was {stance_label(event.stance_before)})."
        )
    if event.kind == "added":
        return f"{payer} now covers {drug} in this document: {stance_label(event.stance_after)}."
    if event.kind == "removed":
        return f"{payer} no longer mentions {drug} in this document."
    if event.kind == "criteria_change":
        before = event.detail.get("criteria_before") or {}
        after = event.detail.get("criteria_after") or {}
        parts = [
            f"{criterion_name(k).lower()}: {value_words(before.get(k))} → "
            f"{value_words(after.get(k))}"
            for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k)
        ]
        detail = "; ".join(parts[:4])
        return f"{payer} changed who qualifies for {drug}" + (f" ({detail})." if detail else ".")
    return f"{payer} updated its document about {drug}."


def _review_summaries(session: Session, ids: list[int]) -> dict[int, str | None]:
    out: dict[int, str | None] = {}
    for i in range(0, len(ids), _CHUNK):
        stmt = select(ChangeEventRecord).where(ChangeEventRecord.id.in_(ids[i : i + _CHUNK]))
        for rec in session.scalars(stmt):
            out[rec.id] = rec.review_summary  # an analyst's wording, from the review workspace
    return out


def published_changes(session: Session, *, require_review: bool = True) -> list[PublishedChange]:
    """The changes the public site shows, newest first.

    With ``require_review`` (the default) only analyst-confirmed changes pass; without it, every
    significant change that was not dismissed or a flip-back.
    """
    events = [
        e
        for e in load_events(session, significant_only=True)
        if (e.review_status == "confirmed" if require_review else e.published)
    ]
    reviewed = _review_summaries(session, [e.id for e in events])
    changes = [
        PublishedChange(
            event=e,
            text=(reviewed.get(e.id) or "").strip() or plain_summary(e),
            uid=change_uid(e),
        )
        for e in events
    ]
    # Newest first; the uid breaks ties so the order never depends on row numbers.
    changes.sort(key=lambda c: (c.event.detected_at, c.uid), reverse=True)
    return changes
