"""What the change page shows, read from the database: the event, its evidence, its context."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.extract.model import GOOD_OUTCOMES, Extraction
from crawler.extract.text import fold_unicode
from monitor.extraction_jobs import with_blocks
from monitor.reports.present import ClausePair, CriterionRow, clause_pair, criteria_rows
from storage.blobs import BlobIntegrityError
from storage.models import (
    ChangeEventRecord,
    ExtractionRecord,
    FetchAttempt,
    Quarantine,
    Review,
    Snapshot,
    Source,
)
from storage.reviews import reviews_of


@dataclass(frozen=True)
class TableRow:
    """The table row a clause sits in, and which column holds it: the proof of a PDL move."""

    columns: list[str]
    cells: list[str]
    hit: int  # index of the cell holding the clause text, -1 when the row matched as a whole

    @property
    def column(self) -> str:
        if 0 <= self.hit < len(self.columns):
            return self.columns[self.hit]
        return ""


@dataclass(frozen=True)
class ClauseContext:
    pair: ClausePair
    before_row: TableRow | None
    after_row: TableRow | None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # version | quarantined | failed | event
    text: str
    snapshot_id: int | None = None
    event_id: int | None = None


@dataclass
class ChangePage:
    event: ChangeEventRecord
    source: Source
    before: Snapshot | None
    after: Snapshot
    clauses: list[ClauseContext]
    criteria: list[CriterionRow]
    reviews: list[Review]
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def published_summary(self) -> str:
        return self.event.review_summary or self.event.summary


def extraction_of(session: Session, snap: Snapshot) -> Extraction | None:
    """The version's extraction with its blocks (the table rows a clause sits in).

    Stored records keep no blocks, so they are recomputed from the archived bytes; not stored:
    a GET changes nothing. None when the bytes are damaged (`policywatch db check` says so);
    the page then shows the clauses without their table rows.
    """
    try:
        return with_blocks(session, snap)
    except BlobIntegrityError:
        return None


def _norm(text: str) -> str:
    return fold_unicode(text).lower()


def table_row(ext: Extraction | None, clause: str) -> TableRow | None:
    """The first table row whose cell (or whole text) is the clause, with the cell's column."""
    if ext is None or not clause:
        return None
    want = _norm(clause)
    for block in ext.blocks:
        if block.kind != "table_row" or not block.cells:
            continue
        cells = [_norm(c) for c in block.cells]
        for i, cell in enumerate(cells):
            if cell and (cell == want or (len(want) > 20 and want in cell)):
                return TableRow(list(block.columns), list(block.cells), i)
        if _norm(block.text) == want:
            return TableRow(list(block.columns), list(block.cells), -1)
    return None


def _contexts(
    detail: dict[str, Any], before: Extraction | None, after: Extraction | None
) -> list[ClauseContext]:
    out = []
    for change in detail.get("clause_changes") or []:
        pair = clause_pair(change)
        out.append(
            ClauseContext(
                pair=pair,
                before_row=table_row(before, str(change.get("before") or "")),
                after_row=table_row(after, str(change.get("after") or "")),
            )
        )
    return out


def timeline(session: Session, source_id: str, limit: int = 60) -> list[TimelineEntry]:
    """The source's history, newest first: versions, quarantines, failed fetches, events."""
    entries: list[TimelineEntry] = []
    snaps = list(
        session.scalars(
            select(Snapshot)
            .where(Snapshot.source_id == source_id)
            .order_by(Snapshot.id.desc())
            .limit(limit)
        )
    )
    ids = [s.id for s in snaps]
    outcomes = {
        snap_id: outcome
        for snap_id, outcome in session.execute(
            select(ExtractionRecord.snapshot_id, ExtractionRecord.outcome).where(
                ExtractionRecord.snapshot_id.in_(ids)
            )
        )
    }
    quarantined = {
        q.snapshot_id: q.reason
        for q in session.scalars(select(Quarantine).where(Quarantine.snapshot_id.in_(ids)))
    }
    for snap in snaps:
        outcome = outcomes.get(snap.id, "not extracted")
        if snap.id in quarantined:
            entries.append(
                TimelineEntry(snap.fetched_at, "quarantined", quarantined[snap.id], snap.id)
            )
        elif outcome not in GOOD_OUTCOMES:
            text = f"version quarantined: {outcome.replace('_', ' ')}"
            entries.append(TimelineEntry(snap.fetched_at, "quarantined", text, snap.id))
        else:
            text = f"new version, HTTP {snap.http_status}, {snap.size:,} bytes"
            entries.append(TimelineEntry(snap.fetched_at, "version", text, snap.id))
    for fa in session.scalars(
        select(FetchAttempt)
        .where(FetchAttempt.source_id == source_id, FetchAttempt.result == "failed")
        .order_by(FetchAttempt.id.desc())
        .limit(limit)
    ):
        why = f"fetch failed: {fa.error_kind or 'error'}" + (f" ({fa.error})" if fa.error else "")
        entries.append(TimelineEntry(fa.started_at, "failed", why))
    for ev in session.scalars(
        select(ChangeEventRecord)
        .where(ChangeEventRecord.source_id == source_id)
        .order_by(ChangeEventRecord.id.desc())
        .limit(limit)
    ):
        text = f"{ev.kind.replace('_', ' ')}: {ev.review_summary or ev.summary}"
        entries.append(TimelineEntry(ev.detected_at, "event", text, event_id=ev.id))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def load_change_page(session: Session, event_id: int) -> ChangePage | None:
    ev = session.get(ChangeEventRecord, event_id)
    if ev is None:
        return None
    src = session.get(Source, ev.source_id)
    after = session.get(Snapshot, ev.after_snapshot_id)
    assert src is not None and after is not None  # foreign keys
    before = session.get(Snapshot, ev.before_snapshot_id) if ev.before_snapshot_id else None
    detail = dict(ev.detail or {})
    # Only clause changes look for their table rows: recompute blocks only for them.
    wanted = bool(detail.get("clause_changes"))
    before_ext = extraction_of(session, before) if before and wanted else None
    after_ext = extraction_of(session, after) if wanted else None
    return ChangePage(
        event=ev,
        source=src,
        before=before,
        after=after,
        clauses=_contexts(detail, before_ext, after_ext),
        criteria=criteria_rows(
            detail.get("criteria_before") or {}, detail.get("criteria_after") or {}
        ),
        reviews=reviews_of(session, ev.id),
        timeline=timeline(session, src.id),
    )
