"""Database reads for the reports: stored events and each source's latest good extraction.

Data-access only: returns plain ``model`` objects, never commits, never renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from crawler.extract import EXTRACTOR_VERSION
from crawler.extract.model import DRUGS, GOOD_OUTCOMES
from crawler.extract.record import RecordSummary, summary_from_json
from monitor.reports.model import EventView, MatrixRow, SourceInfo, VersionRef
from storage.models import ChangeEventRecord, ExtractionRecord, Snapshot, Source

T = TypeVar("T")
_CHUNK = 500  # ids per IN (...) list, well under every backend's parameter limit

# Index pages list documents; they state no coverage, so they have no place in the matrix.
_NOT_IN_MATRIX = frozenset({"index"})


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def source_info(src: Source) -> SourceInfo:
    return SourceInfo(
        id=src.id,
        payer=src.payer,
        plan_type=src.plan_type,
        state=src.state,
        document_type=src.document_type,
        title=src.title,
        url=src.url,
        last_checked_at=src.last_checked_at,
        health=src.health,
        health_message=src.health_message,
        consecutive_failures=src.consecutive_failures or 0,
        last_error_kind=src.last_error_kind,
        last_error=src.last_error,
        last_success_at=src.last_success_at,
        format=src.format,
        enabled=src.enabled,
    )


# The columns of SourceInfo and VersionRef, read as plain rows: no ORM object per source.
_SOURCE_COLUMNS = tuple(getattr(Source, f.name).label(f.name) for f in fields(SourceInfo))
_REF_COLUMNS = (
    Snapshot.id, Snapshot.sha256, Snapshot.fetched_at, Snapshot.final_url, Snapshot.content_type,
    Snapshot.size, Snapshot.source_id, Snapshot.requested_url, Snapshot.http_status,
    Snapshot.etag, Snapshot.last_modified, Snapshot.redirects,
)  # fmt: skip


def _info_of_row(row: Any) -> SourceInfo:
    info = SourceInfo(*row)  # _SOURCE_COLUMNS are SourceInfo's fields, in order
    return info if info.consecutive_failures is not None else replace(info, consecutive_failures=0)


def _ref_of_row(row: Any) -> VersionRef:
    sid, sha, at, url, ctype, size, source_id, requested, status, etag, modified, hops = row
    return VersionRef(
        sid, sha, at, url, ctype, size, source_id, requested, status, etag, modified,
        tuple(hops or ()),
    )  # fmt: skip


def _snapshots(session: Session, ids: Iterable[int]) -> dict[int, VersionRef]:
    wanted = sorted(set(ids))
    out: dict[int, VersionRef] = {}
    for chunk in _chunks(wanted):
        for row in session.execute(select(*_REF_COLUMNS).where(Snapshot.id.in_(chunk))):
            out[row[0]] = _ref_of_row(row)
    return out


def load_events(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    significant_only: bool = False,
    with_detail: bool = True,
) -> list[EventView]:
    """Events detected in [since, until), newest first.

    Without ``with_detail`` the stored detail (redlines, criteria: most of an event's bytes) is
    not read and ``detail`` is empty; ``with_details`` adds it to the events that need it.
    """
    stmt = (
        select(ChangeEventRecord, Source)
        .join(Source, Source.id == ChangeEventRecord.source_id)
        .order_by(ChangeEventRecord.detected_at.desc(), ChangeEventRecord.id.desc())
    )
    if not with_detail:
        stmt = stmt.options(defer(ChangeEventRecord.detail))
    if since is not None:
        stmt = stmt.where(ChangeEventRecord.detected_at >= since)
    if until is not None:
        stmt = stmt.where(ChangeEventRecord.detected_at < until)
    if significant_only:
        stmt = stmt.where(ChangeEventRecord.significant.is_(True))
    rows = session.execute(stmt).all()
    snaps = _snapshots(
        session,
        [i for ev, _ in rows for i in (ev.before_snapshot_id, ev.after_snapshot_id) if i],
    )
    infos: dict[str, SourceInfo] = {}
    out = []
    for ev, src in rows:
        info = infos.get(src.id) or infos.setdefault(src.id, source_info(src))
        out.append(
            EventView(
                id=ev.id,
                source=info,
                kind=ev.kind,
                drug=ev.drug or None,
                significant=bool(ev.significant),
                stance_before=ev.stance_before,
                stance_after=ev.stance_after,
                # The analyst's edited wording, when there is one, is what gets published.
                summary=ev.review_summary or ev.summary,
                review_note=ev.review_note,
                review_summary=ev.review_summary,
                reviewed_at=ev.reviewed_at,
                detected_summary=ev.summary,
                effective_date=ev.effective_date,
                detected_at=ev.detected_at,
                review_status=ev.review_status,
                before=snaps.get(ev.before_snapshot_id) if ev.before_snapshot_id else None,
                after=snaps[ev.after_snapshot_id],
                detail=dict(ev.detail or {}) if with_detail else {},
                differ_version=ev.differ_version,
            )
        )
    return out


def with_details(session: Session, events: Sequence[EventView]) -> list[EventView]:
    """``events`` with their stored detail, read in chunks of ids."""
    details: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted({e.id for e in events})):
        stmt = select(ChangeEventRecord.id, ChangeEventRecord.detail).where(
            ChangeEventRecord.id.in_(chunk)
        )
        details.update((i, dict(d or {})) for i, d in session.execute(stmt))
    return [replace(e, detail=details.get(e.id, {})) for e in events]


def _latest_good(session: Session) -> dict[str, tuple[VersionRef, RecordSummary]]:
    """Per source: its newest snapshot with a good extraction, and that version's summary.

    Reads the small per-drug summary kept beside each extraction, never the document. The
    current extractor's record is preferred; an older one still counts, so a database not yet
    re-extracted shows what it has instead of "no good version".
    """
    newest = (
        select(Snapshot.source_id, func.max(Snapshot.id).label("sid"))
        .join(ExtractionRecord, ExtractionRecord.snapshot_id == Snapshot.id)
        .where(ExtractionRecord.outcome.in_(GOOD_OUTCOMES))
        .group_by(Snapshot.source_id)
    )
    ids = [row.sid for row in session.execute(newest)]
    out: dict[str, tuple[VersionRef, RecordSummary]] = {}
    for chunk in _chunks(ids):
        stmt = (
            select(
                ExtractionRecord.id,
                ExtractionRecord.extractor_version,
                ExtractionRecord.summary,
                *_REF_COLUMNS,
            )
            .join(ExtractionRecord, ExtractionRecord.snapshot_id == Snapshot.id)
            .where(Snapshot.id.in_(chunk), ExtractionRecord.outcome.in_(GOOD_OUTCOMES))
            .order_by(ExtractionRecord.id)
        )
        best: dict[int, tuple[Any, str, int, dict[str, Any] | None]] = {}
        for row in session.execute(stmt):
            rec_id, version, summary, *snap = row
            held = best.get(snap[0])
            if held is None or held[1] != EXTRACTOR_VERSION:
                best[snap[0]] = (snap, version, rec_id, summary)
        for snap, _, rec_id, summary in best.values():
            if summary is None:
                summary = _legacy_summary(session, rec_id)
            ref = _ref_of_row(snap)
            out[str(ref.source_id)] = (ref, summary_from_json(summary))
    return out


def _legacy_summary(session: Session, rec_id: int) -> dict[str, Any]:
    """A row written before summaries were kept (the 0005 migration fills them): its document."""
    data = session.scalar(select(ExtractionRecord.data).where(ExtractionRecord.id == rec_id))
    return data or {}


def _health(info: SourceInfo) -> tuple[str, str]:
    """The status of a source that has a good version, and a note for people."""
    if info.health and info.health not in GOOD_OUTCOMES:
        why = info.health.replace("_", " ")
        return "unavailable", f"latest version is not a usable policy ({why}); last good shown"
    if info.consecutive_failures:
        kind = info.last_error_kind or "error"
        return (
            "failing",
            f"{info.consecutive_failures} failed fetch(es) in a row ({kind}); last good shown",
        )
    return "current", ""


def load_matrix(session: Session) -> list[MatrixRow]:
    """One row per enabled source and drug it covers, from its latest good extraction."""
    sources = session.execute(
        select(*_SOURCE_COLUMNS).where(Source.enabled.is_(True)).order_by(Source.id)
    ).all()
    good = _latest_good(session)
    rows: list[MatrixRow] = []
    for src in sources:
        if src.document_type in _NOT_IN_MATRIX:
            continue
        info = _info_of_row(src)
        found = good.get(info.id)
        if found is None:
            why = info.health or info.last_error_kind or "not fetched yet"
            rows.append(
                MatrixRow(
                    info, None, None, {}, None, None, "no_good_version",
                    f"no good version archived ({why.replace('_', ' ')})",
                )
            )  # fmt: skip
            continue
        ref, ext = found
        status, note = _health(info)
        if not ext.summaries:
            rows.append(
                MatrixRow(
                    info, None, None, {}, ext.effective_date, ref, "no_drug_content",
                    "no ketamine or esketamine clauses" + (f"; {note}" if note else ""),
                )
            )  # fmt: skip
            continue
        for drug in DRUGS:
            summary = ext.summaries.get(drug)
            if summary is None:
                continue
            rows.append(
                MatrixRow(
                    source=info,
                    drug=drug,
                    stance=summary.stance,
                    criteria=dict(summary.criteria),
                    effective_date=ext.effective_date,
                    evidence=ref,
                    status=status,
                    note=note,
                )
            )
    return rows
