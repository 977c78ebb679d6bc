"""The diff job: compare each new snapshot with its source's last good version; store events.

Idempotent: each source remembers the last snapshot it was diffed up to, and events are unique
per (source, before, after, kind, drug), so running it twice stores nothing new.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from crawler.extract.model import Extraction
from crawler.extract.outcome import is_retirement
from crawler.extract.record import coverage_fingerprint
from crawler.extract.sections import has_coverage_heading
from monitor.diff import DIFFER_VERSION, ChangeEvent, diff_versions
from monitor.extraction_jobs import ensure_extraction, stored_fingerprints
from storage.chunks import CHUNK, chunked, one_of
from storage.db import Database
from storage.models import ChangeEventRecord, Quarantine, Snapshot, Source

log = logging.getLogger("policywatch.changes")

# A good version whose coverage equals one seen this recently is a flip back, not news.
FLAP_WINDOW = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A stored event as the job reports it: its row's fields without the diff detail, so a
    job's result stays small and outlives the sessions it was made in."""

    id: int
    source_id: str
    before_snapshot_id: int | None
    after_snapshot_id: int
    kind: str
    drug: str
    significant: bool
    stance_before: str | None
    stance_after: str | None
    summary: str
    review_status: str
    effective_date: str | None

    @classmethod
    def of(cls, rec: ChangeEventRecord) -> NewEvent:
        return cls(**{name: getattr(rec, name) for name in cls.__slots__})


@dataclass
class DiffStats:
    sources: int = 0
    versions: int = 0
    events: list[NewEvent] = field(default_factory=list)
    flaps: int = 0
    errors: list[str] = field(default_factory=list)


# A version keeping less than this share of the last good version's text lost its body.
MIN_TEXT_SHARE = 0.3
MIN_TEXT_FOR_SHARE = 1500  # below this, short documents legitimately shrink by half


def structure_lost(before: Extraction, after: Extraction) -> str | None:
    """Why ``after`` no longer looks like the document ``before`` was, or None.

    Judged against the source's own last good version, which a single page cannot know: a
    template or truncation failure keeps status 200 and some text but loses the anchors. A
    retirement notice is short too, but it is the payer's word: the policy really ended.
    """
    if is_retirement(after.outcome, after.message):
        return None
    if before.text_length >= MIN_TEXT_FOR_SHARE and (
        after.text_length < MIN_TEXT_SHARE * before.text_length
    ):
        return f"lost most of its text ({after.text_length:,} of {before.text_length:,} characters)"
    had = [k for k in ("title", "policy_number") if getattr(before, k)]
    if len(had) == 2 and not any(getattr(after, k) for k in had) and not after.clauses:
        return "lost its title, policy number and coverage clauses"
    if before.clauses and not after.clauses and before.title and after.title != before.title:
        # A payer who drops a drug keeps the document; an error or landing page served at the
        # same address has neither its title nor its clauses.
        return f"lost its title ({before.title!r}) and its coverage clauses"
    return None


def anchored(ext: Extraction) -> bool:
    """Whether a version has what a short page is judged against: coverage clauses, a policy
    number, a dated header or a coverage heading (the extractor's anchors)."""
    if ext.clauses or ext.policy_number or ext.effective_date or ext.last_reviewed:
        return True
    # Stored extractions keep the flag, not the blocks; an extraction built by hand may have
    # only the blocks.
    return ext.coverage_heading or has_coverage_heading(ext.blocks)


READABLE_MESSAGE = (
    "a short page without anchors or drug clauses, like the source's earlier versions: "
    "read as a valid version (a later drug clause is reported as added)"
)


def judge(last_good: Extraction | None, ext: Extraction) -> tuple[Extraction, str | None]:
    """The version as the diff reads it next to its source's last good version ``last_good``.

    Returns the extraction (with its outcome corrected where history decides) and, for a
    version the diff sets aside, the reason. Two outcomes depend on history:

    - the extractor calls a short page without anchors ``anchors_lost``; that is a loss only
      when the last good version had anchors. A source's first readable version, or a page
      that never had anchors (an alerts page, a short PDL page), is a valid version without
      drug content: the baseline that a later drug clause is ``added`` to;
    - a page the extractor reads as good may have lost most of the last good version's text
      (:func:`structure_lost`).
    """
    if ext.outcome == "anchors_lost" and (last_good is None or not anchored(last_good)):
        return dataclasses.replace(ext, outcome="no_drug_content", message=READABLE_MESSAGE), None
    if not ext.good:
        return ext, ext.message or ext.outcome
    lost = structure_lost(last_good, ext) if last_good is not None else None
    if lost:
        return dataclasses.replace(ext, outcome="anchors_lost", message=lost), lost
    return ext, None


def _last_good_before(
    session: Session, source_id: str, upto: int | None
) -> tuple[Snapshot, Extraction] | None:
    """The newest snapshot up to ``upto`` that the diff read as a good version.

    Set-aside versions are in the quarantine table. A page the extractor called
    ``anchors_lost`` counts as good when the good version below it had no anchors (see
    :func:`judge`); every such page above one good version shares that verdict, so the newest
    is the one to return.
    """
    if upto is None:
        return None
    quarantined = select(Quarantine.snapshot_id).where(Quarantine.snapshot_id <= upto)
    stmt = (
        select(Snapshot)
        .where(
            Snapshot.source_id == source_id,
            Snapshot.id <= upto,
            Snapshot.id.not_in(quarantined),
        )
        .order_by(Snapshot.id.desc())
    )
    readable: tuple[Snapshot, Extraction] | None = None
    for snap in session.scalars(stmt):
        ext = ensure_extraction(session, snap, now=snap.fetched_at)
        if ext.good:
            if readable is not None and not anchored(ext):
                return readable
            return snap, ext
        if ext.outcome == "anchors_lost" and readable is None:
            readable = snap, judge(None, ext)[0]
    return readable


def _quarantine(session: Session, snap: Snapshot, reason: str, now: datetime) -> None:
    if session.get(Quarantine, snap.id) is None:
        session.add(Quarantine(snapshot_id=snap.id, reason=reason, detected_at=now))


def _latest_health(src: Source, snap: Snapshot, stored: Extraction, ext: Extraction) -> None:
    """Correct the crawler's health record where history changed the extractor's verdict."""
    if stored.outcome == ext.outcome:
        return
    src.health, src.health_message = ext.outcome, ext.message
    if ext.good:
        # The crawl counted the fetch as an outage; history says it was a readable page.
        if src.last_error_kind == stored.outcome:
            src.consecutive_failures = 0
            src.last_error_kind = src.last_error = None
            src.last_success_at = snap.fetched_at
    elif not src.consecutive_failures:
        # The crawl counted the fetch as a success; it is the start of an outage.
        src.consecutive_failures = 1
        src.last_error_kind, src.last_error = ext.outcome, ext.message


def _recent_fingerprints(
    session: Session, source_id: str, before_id: int, since: datetime
) -> set[str]:
    return stored_fingerprints(session, source_id, before_id, since)


def _record(
    src: Source, before: Snapshot | None, after: Snapshot, ev: ChangeEvent, now: datetime
) -> ChangeEventRecord:
    return ChangeEventRecord(
        source_id=src.id,
        before_snapshot_id=before.id if before else None,
        after_snapshot_id=after.id,
        detected_at=now,
        effective_date=ev.effective_date,
        kind=ev.kind,
        drug=ev.drug or "",
        significant=ev.significant,
        stance_before=ev.stance_before,
        stance_after=ev.stance_after,
        summary=ev.summary,
        detail=ev.to_dict(),
        review_status="new",
        differ_version=DIFFER_VERSION,
    )


def diff_source(
    session: Session, src: Source, *, now: datetime, stats: DiffStats | None = None
) -> list[ChangeEventRecord]:
    """Diff every snapshot of ``src`` newer than the last one diffed.

    An outage (consecutive versions the diff sets aside: maintenance, login, error pages,
    truncated bodies) raises one ``unavailable`` event, at its first version; the first good
    version after it is compared with the last good version before it.
    """
    stats = stats or DiffStats()
    stmt = select(Snapshot).where(Snapshot.source_id == src.id).order_by(Snapshot.id)
    if src.last_diffed_snapshot_id is not None:
        stmt = stmt.where(Snapshot.id > src.last_diffed_snapshot_id)
    pending = list(session.scalars(stmt))
    if not pending:
        return []
    base = _last_good_before(session, src.id, src.last_diffed_snapshot_id)
    last_snap, last_ext = base if base else (None, None)
    in_outage = False
    if src.last_diffed_snapshot_id is not None:
        prev = session.get(Snapshot, src.last_diffed_snapshot_id)
        in_outage = prev is not None and (last_snap is None or prev.id != last_snap.id)
    made: list[ChangeEventRecord] = []
    for snap in pending:
        stored = ensure_extraction(session, snap, now=now)
        stats.versions += 1
        ext, set_aside = judge(last_ext, stored)
        if snap.id == pending[-1].id:
            _latest_health(src, snap, stored, ext)
        if set_aside is not None:
            _quarantine(session, snap, set_aside, now)
            if not in_outage:  # one unavailable event per outage, not one per version
                events = diff_versions(
                    last_ext,
                    ext,
                    url_before=_url(last_snap),
                    url_after=snap.final_url,
                    payer=src.payer,
                )
                made += [_record(src, last_snap, snap, ev, now) for ev in events]
            in_outage = True
            continue
        if last_ext is None and src.discovered and ext.clauses:
            events = _discovered_events(ext, src.payer)
        else:
            # After an outage, against the last good version before it.
            events = diff_versions(
                last_ext,
                ext,
                url_before=_url(last_snap),
                url_after=snap.final_url,
                payer=src.payer,
            )
        records = [_record(src, last_snap, snap, ev, now) for ev in events]
        if any(e.significant for e in events) and last_snap is not None:
            recent = _recent_fingerprints(
                session, src.id, last_snap.id, snap.fetched_at - FLAP_WINDOW
            )
            if coverage_fingerprint(ext) in recent:
                # Kept for the record, but not announced again: see FLAP_WINDOW.
                stats.flaps += 1
                for rec in records:
                    if rec.significant:
                        rec.review_status = "flapping"
        made += records
        last_snap, last_ext, in_outage = snap, ext, False
    src.last_diffed_snapshot_id = pending[-1].id
    stored_events = _store_new(session, made)
    stats.events += [NewEvent.of(r) for r in stored_events]
    return stored_events


def _discovered_events(ext: Extraction, payer: str) -> list[ChangeEvent]:
    """A newly discovered document about a drug is itself news: one ``added`` per drug."""
    from crawler.extract.criteria import governing_stance
    from monitor.diff.summary import summarize_event

    events = []
    for drug in sorted({c.drug for c in ext.clauses}):
        clauses = [c for c in ext.clauses if c.drug == drug]
        ev = ChangeEvent(
            kind="added",
            drug=drug,
            summary="",
            stance_before="absent",
            stance_after=governing_stance(clauses) or "unknown",
            effective_date=ext.effective_date,
        )
        ev.summary = summarize_event(ev, payer)
        events.append(ev)
    return events


def _url(snap: Snapshot | None) -> str | None:
    return snap.final_url if snap else None


def _store_new(session: Session, records: Sequence[ChangeEventRecord]) -> list[ChangeEventRecord]:
    if not records:
        return []
    keys = {
        (r.source_id, r.before_snapshot_id, r.after_snapshot_id, r.kind, r.drug) for r in records
    }
    existing = {
        (e.source_id, e.before_snapshot_id, e.after_snapshot_id, e.kind, e.drug)
        for e in session.scalars(
            select(ChangeEventRecord).where(
                ChangeEventRecord.source_id.in_({k[0] for k in keys}),
                ChangeEventRecord.after_snapshot_id.in_({k[2] for k in keys}),
            )
        )
    }
    fresh = []
    for r in records:
        key = (r.source_id, r.before_snapshot_id, r.after_snapshot_id, r.kind, r.drug)
        if key not in existing:
            existing.add(key)
            session.add(r)
            fresh.append(r)
    session.flush()
    return fresh


# Sources per unit of work: a batch's snapshots and extractions are released (and, with
# :func:`run_diff`, committed) before the next batch is read, so memory stays flat however
# many sources the registry has.
DIFF_BATCH = 100

SessionScope = Callable[[], AbstractContextManager[Session]]


def detect_changes(
    session: Session,
    *,
    now: datetime,
    source_ids: Sequence[str] | None = None,
    rebuild: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = DIFF_BATCH,
) -> DiffStats:
    """Run the diff over every source (or ``source_ids``) in the caller's unit of work.

    Batches are flushed and their objects released from ``session`` (objects it held before
    stay); nothing is committed. :func:`run_diff` commits each batch instead.
    """
    return _diff_batches(
        lambda: _released(session),
        now=now,
        source_ids=source_ids,
        rebuild=rebuild,
        on_progress=on_progress,
        batch_size=batch_size,
    )


def run_diff(
    db: Database,
    *,
    now: datetime,
    source_ids: Sequence[str] | None = None,
    rebuild: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = DIFF_BATCH,
) -> DiffStats:
    """The diff job: every batch of ``batch_size`` sources in its own committed transaction.

    An interrupted job keeps the batches it finished; the next run goes on from there (each
    source remembers the last snapshot it was diffed up to).
    """
    return _diff_batches(
        db.session,
        now=now,
        source_ids=source_ids,
        rebuild=rebuild,
        on_progress=on_progress,
        batch_size=batch_size,
    )


@contextmanager
def _released(session: Session) -> Iterator[Session]:
    """``session`` for one batch; afterwards the objects the batch loaded leave it again."""
    before = set(session.identity_map.keys())
    yield session
    session.flush()
    for key in set(session.identity_map.keys()) - before:
        obj = session.identity_map.get(key)
        if obj is not None:
            session.expunge(obj)


def _pending(stmt: Select[str], rebuild: bool) -> Select[str]:
    """``stmt`` (over Source.id) kept to sources with snapshots not yet diffed."""
    if rebuild:
        return stmt
    undiffed = (
        select(Snapshot.id)
        .where(
            Snapshot.source_id == Source.id,
            Snapshot.id > func.coalesce(Source.last_diffed_snapshot_id, 0),
        )
        .exists()
    )
    return stmt.where(undiffed)


def _id_pages(
    sessions: SessionScope, source_ids: Sequence[str] | None, rebuild: bool
) -> Iterator[list[str]]:
    """Ids of the sources to diff, in pages of at most CHUNK (keyset pagination by id).

    The filter by ``source_ids`` is one parameter however many ids (:func:`one_of`), so an
    unchanged cycle costs one query, not one per source nor one per slice of ids.
    """
    after: str | None = None
    while True:
        stmt = select(Source.id).order_by(Source.id).limit(CHUNK)
        if source_ids is not None:
            stmt = stmt.where(one_of(Source.id, source_ids))
        if after is not None:
            stmt = stmt.where(Source.id > after)
        with sessions() as session:  # closed before the page is used: no lock held meanwhile
            page = list(session.scalars(_pending(stmt, rebuild)))
        if not page:
            return
        yield page
        after = page[-1]


def _count(sessions: SessionScope, source_ids: Sequence[str] | None, rebuild: bool) -> int:
    stmt = select(Source.id)
    if source_ids is not None:
        stmt = stmt.where(one_of(Source.id, source_ids))
    counted = select(func.count()).select_from(_pending(stmt, rebuild).subquery())
    with sessions() as session:
        return session.scalar(counted) or 0


def _diff_batches(
    sessions: SessionScope,
    *,
    now: datetime,
    source_ids: Sequence[str] | None,
    rebuild: bool,
    on_progress: Callable[[int, int], None] | None,
    batch_size: int,
) -> DiffStats:
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, not {batch_size}")
    if source_ids is not None:
        # An empty filter means every source, as before; the ids are read once, not per page.
        source_ids = sorted(set(source_ids)) or None
    total = _count(sessions, source_ids, rebuild) if on_progress else 0
    stats = DiffStats()
    for page in _id_pages(sessions, source_ids, rebuild):
        for ids in chunked(page, batch_size):
            with sessions() as session:
                _diff_batch(session, ids, now=now, rebuild=rebuild, stats=stats)
            if on_progress:
                on_progress(stats.sources, max(total, stats.sources))
    return stats


def _diff_batch(
    session: Session, ids: list[str], *, now: datetime, rebuild: bool, stats: DiffStats
) -> None:
    if rebuild:
        # Set-aside verdicts are derived from history too: recompute them with the events.
        of_batch = select(Snapshot.id).where(Snapshot.source_id.in_(ids))
        session.execute(delete(Quarantine).where(Quarantine.snapshot_id.in_(of_batch)))
    for src in session.scalars(select(Source).where(Source.id.in_(ids)).order_by(Source.id)):
        stats.sources += 1
        if rebuild:
            src.last_diffed_snapshot_id = None
        try:
            with session.begin_nested():  # one source's failure must not stop the others
                diff_source(session, src, now=now, stats=stats)
        except Exception as exc:
            log.exception("diff of %s failed", src.id)
            stats.errors.append(f"{src.id}: {type(exc).__name__}: {exc}")
            src.health_message = f"change detection failed: {exc}"
