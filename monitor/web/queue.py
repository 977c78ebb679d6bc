"""The review queue: filters read from the query string, the matching events and their counts."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Text, case, cast, func, or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from crawler.extract.text import fold_unicode
from storage.models import ChangeEventRecord, Source
from storage.reviews import REVIEW_STATUSES

# Words the SQL prefilter may look for in the JSON text as they are (no escaping, no folding).
_PLAIN = re.compile(r"^[a-z0-9]+$")
STATUSES = tuple(REVIEW_STATUSES)
LIMIT = 200  # rows shown at once; the counts still cover every match


@dataclass(frozen=True)
class Filters:
    payer: str = ""
    plan_type: str = ""
    state: str = ""
    drug: str = ""
    kind: str = ""
    stance: str = ""
    status: str = ""
    since: str = ""  # YYYY-MM-DD, inclusive
    until: str = ""  # YYYY-MM-DD, inclusive
    q: str = ""  # words in the clause text or the summary
    scope: str = ""  # "" coverage changes, "all" also operator events

    @classmethod
    def from_query(cls, params: QueryParams) -> Filters:
        return cls(**{f.name: (params.get(f.name) or "").strip()[:200] for f in fields(cls)})

    def query_string(self, **override: str) -> str:
        values = {f.name: getattr(self, f.name) for f in fields(self)} | override
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def _day(value: str) -> datetime | None:
    try:
        d = date.fromisoformat(value)
    except ValueError:
        return None
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _statement(f: Filters, with_status: bool) -> Any:
    stmt = select(ChangeEventRecord, Source).join(Source)
    if f.scope != "all" and not f.kind:
        stmt = stmt.where(ChangeEventRecord.significant.is_(True))
    for column, value in (
        (Source.payer, f.payer),
        (Source.plan_type, f.plan_type),
        (Source.state, f.state),
        (ChangeEventRecord.drug, f.drug),
        (ChangeEventRecord.kind, f.kind),
    ):
        if value:
            stmt = stmt.where(column == value)
    if f.stance:
        stmt = stmt.where(
            or_(
                ChangeEventRecord.stance_before == f.stance,
                ChangeEventRecord.stance_after == f.stance,
            )
        )
    if with_status and f.status:
        stmt = stmt.where(ChangeEventRecord.review_status == f.status)
    start, end = _day(f.since), _day(f.until)
    if start:
        stmt = stmt.where(ChangeEventRecord.detected_at >= start)
    if end:
        stmt = stmt.where(ChangeEventRecord.detected_at < end + timedelta(days=1))
    return stmt


def _fold(text: str) -> str:
    """Lower case, single spaces, Unicode folded as the extractor compares text."""
    if not text.isascii():  # the fold's regexes are the slow part: only where needed
        text = fold_unicode(text)
    return " ".join(text.lower().split())


def _searchable(ev: ChangeEventRecord) -> str:
    parts = [ev.summary, ev.review_summary or "", ev.review_note or ""]
    for change in (ev.detail or {}).get("clause_changes") or []:
        parts += [str(change.get("before") or ""), str(change.get("after") or "")]
        parts.append(str(change.get("section") or ""))
    return _fold(" ".join(parts))


def _matches(ev: ChangeEventRecord, words: list[str]) -> bool:
    text = _searchable(ev)
    return all(w in text for w in words)


def _words(q: str) -> list[str]:
    return _fold(q).split()


# New significant changes first, then the rest; newest first within each.
_ORDER = (
    case((ChangeEventRecord.review_status == "new", 0), else_=1),
    ChangeEventRecord.significant.desc(),
    ChangeEventRecord.detected_at.desc(),
    ChangeEventRecord.id.desc(),
)


@dataclass
class QueueResult:
    rows: list[tuple[ChangeEventRecord, Source]]
    total: int
    counts: dict[str, int]


def _prefilter(stmt: Any, words: list[str]) -> Any:
    """Narrow in SQL by plain words (any backend's LIKE over the JSON text finds them).

    Only a superset: the exact, Unicode-folded match is then checked in Python.
    """
    fields = (
        cast(ChangeEventRecord.detail, Text),
        ChangeEventRecord.summary,
        ChangeEventRecord.review_summary,
        ChangeEventRecord.review_note,
    )
    for word in words:
        if _PLAIN.match(word):
            stmt = stmt.where(or_(*(col.ilike(f"%{word}%") for col in fields)))
    return stmt


def run_queue(session: Session, f: Filters) -> QueueResult:
    """The events matching ``f`` (at most LIMIT) and per-status counts ignoring ``f.status``.

    Structured filters, counts and the limit run in SQL. Clause-text search is narrowed in SQL
    and decided in Python: the texts live in each event's JSON detail, which SQLite and
    PostgreSQL search differently, and the Unicode folding must match the extractor's.
    """
    words = _words(f.q)
    base = _statement(f, with_status=False)
    if not words:
        counted = base.with_only_columns(ChangeEventRecord.review_status, func.count()).group_by(
            ChangeEventRecord.review_status
        )
        counts = {status: n for status, n in session.execute(counted)}
        stmt = _statement(f, with_status=True).order_by(*_ORDER).limit(LIMIT)
        rows = [(ev, src) for ev, src in session.execute(stmt)]
        total = counts.get(f.status, 0) if f.status else sum(counts.values())
        return QueueResult(rows=rows, total=total, counts=counts)
    tally: Counter[str] = Counter()
    found = []
    for ev, src in session.execute(_prefilter(base, words).order_by(*_ORDER)):
        if not _matches(ev, words):
            continue
        tally[ev.review_status] += 1
        if not f.status or ev.review_status == f.status:
            found.append((ev, src))
    return QueueResult(rows=found[:LIMIT], total=len(found), counts=dict(tally))


def next_in_queue(session: Session, f: Filters, after_id: int) -> int | None:
    """The next event still to review in the same filtered queue, skipping ``after_id``."""
    for ev, _ in session.execute(
        _statement(f, with_status=False)
        .where(ChangeEventRecord.review_status == "new", ChangeEventRecord.id != after_id)
        .order_by(*_ORDER)
    ):
        if not f.q or _matches(ev, _words(f.q)):
            return ev.id
    return None


def choices(session: Session) -> dict[str, list[str]]:
    """The values each filter can take, from what is stored."""
    out: dict[str, list[str]] = {}
    for name, column in (
        ("payer", Source.payer),
        ("plan_type", Source.plan_type),
        ("state", Source.state),
    ):
        out[name] = sorted(v for v in session.scalars(select(column).distinct()) if v)
    for name, ev_column in (("drug", ChangeEventRecord.drug), ("kind", ChangeEventRecord.kind)):
        out[name] = sorted(v for v in session.scalars(select(ev_column).distinct()) if v)
    stances = set(session.scalars(select(ChangeEventRecord.stance_before).distinct()))
    stances |= set(session.scalars(select(ChangeEventRecord.stance_after).distinct()))
    out["stance"] = sorted(s for s in stances if s)
    out["status"] = list(STATUSES)
    return out
