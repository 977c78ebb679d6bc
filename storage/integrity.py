"""`db check`: re-hash every blob and look for orphans, dangling references and stuck runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storage.blobs import BlobIntegrityError, MissingBaseError, base_of, decode_blob
from storage.locks import database_lock
from storage.models import (
    Blob,
    ChangeEventRecord,
    CrawlRun,
    ExtractionRecord,
    FetchAttempt,
    Quarantine,
    Snapshot,
    Source,
)


@dataclass(frozen=True)
class Problem:
    # damaged_blob | missing_base | missing_blob | orphan_blob | dangling | stuck_run | duplicate
    kind: str
    where: str
    detail: str


def _blobs(session: Session) -> Iterator[Problem]:
    # One blob in memory at a time: a database may hold gigabytes of bodies.
    for digest in list(session.scalars(select(Blob.sha256).order_by(Blob.sha256))):
        blob = session.get(Blob, digest)
        assert blob is not None
        try:
            decode_blob(blob, base_of(session, blob))
        except MissingBaseError as exc:
            yield Problem("missing_base", f"blob {digest}", str(exc))
        except BlobIntegrityError as exc:
            yield Problem("damaged_blob", f"blob {digest}", str(exc))
        for loaded in [o for o in session.identity_map.values() if isinstance(o, Blob)]:
            session.expunge(loaded)  # the blob and its base


def _references(session: Session) -> Iterator[Problem]:
    blobs = set(session.scalars(select(Blob.sha256)))
    sources = set(session.scalars(select(Source.id)))
    snapshots = set(session.scalars(select(Snapshot.id)))
    # A delta's base is in use even when no snapshot names it any more.
    used: set[str] = set(
        session.scalars(select(Blob.base_sha256).where(Blob.base_sha256.is_not(None)).distinct())
    )
    last: dict[str, str] = {}
    for sid, source_id, sha in session.execute(
        select(Snapshot.id, Snapshot.source_id, Snapshot.sha256).order_by(Snapshot.id)
    ):
        used.add(sha)
        if sha not in blobs:
            yield Problem("missing_blob", f"snapshot {sid}", f"its bytes ({sha[:16]}) are missing")
        if source_id not in sources:
            yield Problem("dangling", f"snapshot {sid}", f"unknown source {source_id!r}")
        if last.get(source_id) == sha:
            yield Problem("duplicate", f"snapshot {sid}", "same bytes as the source's previous one")
        last[source_id] = sha
    for sha in sorted(blobs - used):
        yield Problem("orphan_blob", f"blob {sha}", "no snapshot refers to it")
    checks = (
        ("fetch attempt", FetchAttempt.id, FetchAttempt.snapshot_id),
        ("extraction", ExtractionRecord.id, ExtractionRecord.snapshot_id),
        ("change event", ChangeEventRecord.id, ChangeEventRecord.after_snapshot_id),
        ("change event", ChangeEventRecord.id, ChangeEventRecord.before_snapshot_id),
        ("quarantine", Quarantine.snapshot_id, Quarantine.snapshot_id),
    )
    for label, key, ref in checks:
        for row_id, snap_id in session.execute(select(key, ref).where(ref.is_not(None))):
            if snap_id not in snapshots:
                yield Problem("dangling", f"{label} {row_id}", f"unknown snapshot {snap_id}")


def _stuck_runs(engine: Engine, session: Session) -> Iterator[Problem]:
    running = list(session.scalars(select(CrawlRun.id).where(CrawlRun.status == "running")))
    if not running:
        return
    with database_lock(engine) as free:
        if not free:
            return  # a cycle is running right now: its run is not stuck
    for run_id in running:
        yield Problem(
            "stuck_run",
            f"crawl run {run_id}",
            "still 'running' with no cycle in progress (closed at the next cycle's start)",
        )


def check_database(engine: Engine, session: Session) -> list[Problem]:
    """Every problem found; an empty list means the history is whole."""
    return [*_blobs(session), *_references(session), *_stuck_runs(engine, session)]
