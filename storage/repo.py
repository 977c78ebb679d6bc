"""Data access: small functions that take a session and never commit (the caller owns the unit)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from storage.chunks import CHUNK, chunked, one_of
from storage.models import CrawlRun, FetchAttempt, Snapshot, Source

SOURCE_FIELDS = (
    "payer",
    "plan_type",
    "state",
    "document_type",
    "title",
    "url",
    "format",
    "enabled",
)


@dataclass(frozen=True)
class SnapshotRef:
    """What the crawler needs about a source's latest version: validators and identity."""

    snapshot_id: int
    sha256: str
    requested_url: str
    final_url: str
    etag: str | None
    last_modified: str | None


def sync_sources(session: Session, sources: Iterable[Any]) -> int:
    """Insert or update registry entries (objects with PolicySource's fields); returns changes.

    The id is the key: an entry whose URL was edited keeps its row and therefore its history.
    Compared a slice at a time, so the session never holds every source row of the registry.
    """
    changed = 0
    for chunk in chunked(sources):
        ids = [src.id for src in chunk]
        existing = {s.id: s for s in session.scalars(select(Source).where(Source.id.in_(ids)))}
        for src in chunk:
            row = existing.get(src.id)
            values = {k: getattr(src, k) for k in SOURCE_FIELDS}
            if row is None:
                row = Source(id=src.id, consecutive_failures=0, **values)
                session.add(row)
                existing[src.id] = row
                changed += 1
                continue
            for key, value in values.items():
                if getattr(row, key) != value:
                    setattr(row, key, value)
                    changed += 1
        session.flush()
        for row in existing.values():
            session.expunge(row)
    return changed


def latest_snapshots(
    session: Session, source_ids: Sequence[str] | None = None
) -> dict[str, SnapshotRef]:
    """The newest snapshot of each source (of ``source_ids``, or of all), in one query.

    The ids are one parameter however many (:func:`~storage.chunks.one_of`), and the filter
    sits inside the grouping, so only those sources' snapshots are read.
    """
    newest = select(func.max(Snapshot.id).label("sid")).group_by(Snapshot.source_id)
    if source_ids is not None:
        newest = newest.where(one_of(Snapshot.source_id, source_ids))
    sub = newest.subquery()
    stmt = select(
        Snapshot.id,
        Snapshot.source_id,
        Snapshot.sha256,
        Snapshot.requested_url,
        Snapshot.final_url,
        Snapshot.etag,
        Snapshot.last_modified,
    ).join(sub, Snapshot.id == sub.c.sid)
    return {
        r.source_id: SnapshotRef(
            r.id, r.sha256, r.requested_url, r.final_url, r.etag, r.last_modified
        )
        for r in session.execute(stmt)
    }


def source_history(session: Session, source_id: str) -> list[Snapshot]:
    stmt = select(Snapshot).where(Snapshot.source_id == source_id).order_by(Snapshot.id)
    return list(session.scalars(stmt))


def run_fetches(session: Session, run_id: int) -> list[FetchAttempt]:
    stmt = select(FetchAttempt).where(FetchAttempt.run_id == run_id).order_by(FetchAttempt.id)
    return list(session.scalars(stmt))


def run_outcomes(
    session: Session, run_id: int
) -> Iterator[Row[str, str, str | None, str | None, str]]:
    """What each fetch of a run gave (source_id, result, error_kind, error, url), streamed:
    summing a run of many sources holds a page of small rows, not every fetch record."""
    stmt = (
        select(
            FetchAttempt.source_id,
            FetchAttempt.result,
            FetchAttempt.error_kind,
            FetchAttempt.error,
            FetchAttempt.url,
        )
        .where(FetchAttempt.run_id == run_id)
        .order_by(FetchAttempt.id)
        .execution_options(yield_per=CHUNK)
    )
    yield from session.execute(stmt)


def as_utc(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else ""


def close_stale_runs(session: Session, now: datetime) -> list[int]:
    """Mark crawl runs still "running" as "interrupted"; returns their ids.

    Only call this while holding the cycle lock: then no run can really be in progress, so a
    "running" row is what a killed process left behind.
    """
    stale = list(session.scalars(select(CrawlRun).where(CrawlRun.status == "running")))
    for run in stale:
        run.status = "interrupted"
        run.finished_at = now
    session.flush()
    return [r.id for r in stale]
