"""Extraction over stored history: fill gaps and recompute after the extractor improves."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from crawler.extract import EXTRACTOR_VERSION, extract
from crawler.extract.model import Extraction
from storage.blobs import BlobIntegrityError, read_blob
from storage.chunks import one_of
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
    ext = extract(read_blob(session, snap.sha256), snap.content_type, snap.final_url)
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


# Snapshots read (and their extractions held) at a time: the history can be far larger.
REEXTRACT_BATCH = 200


def _snapshots(
    session: Session, where: ColumnElement[bool] | None, batch_size: int = REEXTRACT_BATCH
) -> Iterator[Snapshot]:
    """Snapshots in id order, a page at a time (keyset by id); each page's objects, and the
    extractions loaded or made for them, leave the session once the next page is read."""
    after = 0
    while True:
        stmt = select(Snapshot).where(Snapshot.id > after).order_by(Snapshot.id).limit(batch_size)
        if where is not None:
            stmt = stmt.where(where)
        before = set(session.identity_map.keys())
        page = list(session.scalars(stmt))
        if not page:
            return
        yield from page
        after = page[-1].id
        session.flush()
        for key in set(session.identity_map.keys()) - before:
            obj = session.identity_map.get(key)
            if isinstance(obj, (Snapshot, ExtractionRecord)):
                session.expunge(obj)


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
    of_sources = one_of(Snapshot.source_id, source_ids) if source_ids else None
    total = session.scalar(
        select(func.count(Snapshot.id)).where(*([of_sources] if of_sources is not None else []))
    )
    counts = {"snapshots": total or 0, "extracted": 0, "outcome_changed": 0, "damaged": 0}
    latest: dict[str, tuple[str, str]] = {}
    for i, snap in enumerate(_snapshots(session, of_sources), 1):
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
            on_progress(i, counts["snapshots"])
    for source_id, (outcome, message) in latest.items():
        src = session.get(Source, source_id)
        if src is not None:
            src.health, src.health_message = outcome, message
    return counts
