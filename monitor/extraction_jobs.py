"""Extraction over stored history: fill gaps and recompute after the extractor improves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.extract import EXTRACTOR_VERSION, extract
from crawler.extract.model import Extraction
from storage.blobs import BlobIntegrityError, read_blob
from storage.models import ExtractionRecord, Snapshot, Source


def stored_extraction(
    session: Session, snapshot_id: int, version: str = EXTRACTOR_VERSION
) -> Extraction | None:
    rec = session.scalars(
        select(ExtractionRecord).where(
            ExtractionRecord.snapshot_id == snapshot_id,
            ExtractionRecord.extractor_version == version,
        )
    ).first()
    return Extraction.from_dict(rec.data) if rec else None


def ensure_extraction(session: Session, snap: Snapshot, *, now: datetime) -> Extraction:
    """The snapshot's extraction by the current extractor, computing and storing it if needed."""
    found = stored_extraction(session, snap.id)
    if found is not None:
        return found
    ext = extract(read_blob(session, snap.sha256), snap.content_type)
    session.add(
        ExtractionRecord(
            snapshot_id=snap.id,
            extractor_version=EXTRACTOR_VERSION,
            outcome=ext.outcome,
            created_at=now,
            data=ext.to_dict(),
        )
    )
    session.flush()
    return ext


def reextract(
    session: Session,
    *,
    now: datetime,
    source_ids: Sequence[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_damaged: Callable[[int, str], None] | None = None,
) -> dict[str, int]:
    """Recompute every stored snapshot's extraction with the current extractor version.

    Returns counts: snapshots seen, newly extracted, and how many outcomes differ from the
    previous extractor version's (a quick measure of what the improvement changed).
    """
    stmt = select(Snapshot).order_by(Snapshot.id)
    if source_ids:
        stmt = stmt.where(Snapshot.source_id.in_(list(source_ids)))
    snaps = list(session.scalars(stmt))
    counts = {"snapshots": len(snaps), "extracted": 0, "outcome_changed": 0, "damaged": 0}
    latest: dict[str, tuple[str, str]] = {}
    for i, snap in enumerate(snaps, 1):
        previous = session.scalars(
            select(ExtractionRecord)
            .where(ExtractionRecord.snapshot_id == snap.id)
            .order_by(ExtractionRecord.id.desc())
        ).first()
        if previous is None or previous.extractor_version != EXTRACTOR_VERSION:
            try:
                ext = ensure_extraction(session, snap, now=now)
            except BlobIntegrityError as exc:  # this snapshot only: the others go on
                counts["damaged"] += 1
                if on_damaged:
                    on_damaged(snap.id, str(exc))
                continue
            counts["extracted"] += 1
            if previous is not None and previous.outcome != ext.outcome:
                counts["outcome_changed"] += 1
        else:
            ext = Extraction.from_dict(previous.data)
        latest[snap.source_id] = (ext.outcome, ext.message)
        if on_progress:
            on_progress(i, len(snaps))
    for source_id, (outcome, message) in latest.items():
        src = session.get(Source, source_id)
        if src is not None:
            src.health, src.health_message = outcome, message
    return counts
