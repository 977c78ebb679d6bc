"""Extraction over stored history: fill gaps and recompute after the extractor improves.

Rows are read and written through :mod:`crawler.extract.record`: a compact record without
blocks, a per-drug summary and a coverage fingerprint. Rows from before the compact record
(the full JSON document) are read alike, and ``reextract`` rewrites them compactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from crawler.extract import EXTRACTOR_VERSION, extract
from crawler.extract.model import GOOD_OUTCOMES, Extraction
from crawler.extract.record import (
    coverage_fingerprint,
    fingerprint_current,
    load_record,
    record_columns,
)
from storage.blobs import BlobIntegrityError, read_blob
from storage.chunks import one_of
from storage.models import ExtractionRecord, Snapshot, Source


def load_row(rec: ExtractionRecord) -> Extraction:
    """The extraction a stored row holds (without blocks; see :func:`with_blocks`)."""
    # A legacy row's document is deferred: only read it when there is no compact record.
    return load_record(rec.record, rec.data if rec.record is None else None)


def stored_extraction(
    session: Session, snapshot_id: int, version: str = EXTRACTOR_VERSION
) -> Extraction | None:
    """The snapshot's stored extraction by ``version``, without blocks, or None."""
    # Two columns, not the row: the diff job calls this for every version it reads.
    found = session.execute(
        select(ExtractionRecord.id, ExtractionRecord.record).where(
            ExtractionRecord.snapshot_id == snapshot_id,
            ExtractionRecord.extractor_version == version,
        )
    ).first()
    if found is None:
        return None
    rec_id, record = found
    if record is not None:
        return load_record(record, None)
    legacy = session.scalar(select(ExtractionRecord.data).where(ExtractionRecord.id == rec_id))
    return load_record(None, legacy)


def with_blocks(session: Session, snap: Snapshot) -> Extraction:
    """The snapshot's stored extraction with its blocks recomputed from the archived bytes (or
    computed whole when none is stored by the current extractor).

    Records do not keep blocks; the current extractor gives the same ones from the same bytes.
    Nothing is stored: readers (``show --blocks``, the web pages) change nothing. Raises
    :class:`BlobIntegrityError` when the archived bytes are damaged.
    """
    fresh = extract(read_blob(session, snap.sha256), snap.content_type)
    stored = stored_extraction(session, snap.id)
    if stored is None:
        return fresh
    stored.blocks = fresh.blocks
    return stored


def _new_row(snap: Snapshot, ext: Extraction, now: datetime) -> ExtractionRecord:
    return ExtractionRecord(
        snapshot_id=snap.id,
        extractor_version=EXTRACTOR_VERSION,
        created_at=now,
        **record_columns(ext),
    )


def ensure_extraction(session: Session, snap: Snapshot, *, now: datetime) -> Extraction:
    """The snapshot's extraction by the current extractor, computing and storing it if needed."""
    found = stored_extraction(session, snap.id)
    if found is not None:
        return found
    ext = extract(read_blob(session, snap.sha256), snap.content_type)
    session.add(_new_row(snap, ext, now))
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


def stored_fingerprints(
    session: Session, source_id: str, before_id: int, since: datetime
) -> set[str]:
    """Coverage fingerprints of the source's good versions below ``before_id`` fetched since
    ``since``: read from one small column; a row without one (older rows, or a snapshot not yet
    extracted by this extractor) gets it now, and keeps it."""
    current = and_(
        ExtractionRecord.snapshot_id == Snapshot.id,
        ExtractionRecord.extractor_version == EXTRACTOR_VERSION,
    )
    rows = session.execute(
        select(Snapshot.id, ExtractionRecord.outcome, ExtractionRecord.fingerprint)
        .outerjoin(ExtractionRecord, current)
        .where(
            Snapshot.source_id == source_id,
            Snapshot.id < before_id,
            Snapshot.fetched_at >= since,
        )
    ).all()
    prints: set[str] = set()
    for snap_id, outcome, fingerprint in rows:
        if outcome is not None and fingerprint is not None and fingerprint_current(fingerprint):
            if outcome in GOOD_OUTCOMES:
                prints.add(fingerprint)
            continue
        ext, rec = _current_row(session, snap_id)
        if rec is not None:
            rec.fingerprint = coverage_fingerprint(ext)
        if ext.good:
            prints.add(coverage_fingerprint(ext))
    return prints


def _current_row(session: Session, snap_id: int) -> tuple[Extraction, ExtractionRecord | None]:
    snap = session.get(Snapshot, snap_id)
    assert snap is not None  # just selected
    ext = ensure_extraction(session, snap, now=snap.fetched_at)
    rec = session.scalars(
        select(ExtractionRecord).where(
            ExtractionRecord.snapshot_id == snap_id,
            ExtractionRecord.extractor_version == EXTRACTOR_VERSION,
        )
    ).first()
    return ext, rec


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
    counts = {
        "snapshots": total or 0,
        "extracted": 0,
        "outcome_changed": 0,
        "damaged": 0,
        "compacted": 0,
    }
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
            ext = load_row(previous)
            if previous.record is None:  # a row from before compact records: rewrite it
                for key, value in record_columns(ext).items():
                    setattr(previous, key, value)
                previous.data = None
                counts["compacted"] += 1
        latest[snap.source_id] = (ext.outcome, ext.message)
        if on_progress:
            on_progress(i, counts["snapshots"])
    for source_id, (outcome, message) in latest.items():
        src = session.get(Source, source_id)
        if src is not None:
            src.health, src.health_message = outcome, message
    return counts
