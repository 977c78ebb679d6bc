"""The site model: what the public site says, per state, per payer and nationally.

Built from the reports' own queries (the coverage matrix and stored events, through the publish
gate) plus the archived versions' dates for the timelines. Plain data: rendering needs no
database, and the same data always gives the same model (everything is sorted).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.registry import US_STATES
from monitor.publish.gate import PublishedChange, published_changes
from monitor.publish.glossary import DRUG_ORDER, NO_SOURCE, StanceWords, stance_words
from monitor.reports.model import MatrixRow, SourceInfo, VersionRef
from monitor.reports.queries import load_matrix
from storage.models import Snapshot

STATE_NAMES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming",
}  # fmt: skip

MEDICAID = ("medicaid", "medicaid_mco")
FEDERAL = ("medicare", "medicare_advantage", "tricare", "va", "fehb")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "payer"


@dataclass(frozen=True)
class Answer:
    """One drug's answer in one place: the governing row (None: no source yet) and its words."""

    drug: str
    row: MatrixRow | None

    @property
    def words(self) -> StanceWords:
        if self.row is None:
            return NO_SOURCE
        return stance_words(self.row.stance)

    @property
    def group(self) -> str:
        return self.words.group


@dataclass
class SourceView:
    """A watched document with its rows per drug, its confirmed changes and archived dates."""

    info: SourceInfo
    rows: list[MatrixRow]
    changes: list[PublishedChange]
    versions: list[datetime]

    @property
    def drug_rows(self) -> list[MatrixRow]:
        return [r for r in self.rows if r.drug is not None]


@dataclass
class StatePage:
    code: str
    name: str
    medicaid: list[SourceView]
    others: list[SourceView]  # plans based in the state that are not Medicaid
    answers: dict[str, Answer]
    changes: list[PublishedChange]


@dataclass
class PayerPage:
    slug: str
    name: str
    by_plan_type: dict[str, list[SourceView]]
    changes: list[PublishedChange]
    states: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[SourceView]:
        return [s for views in self.by_plan_type.values() for s in views]


@dataclass
class Site:
    states: list[StatePage]
    payers: list[PayerPage]
    changes: list[PublishedChange]
    national_commercial: list[PayerPage]
    federal: list[PayerPage]
    evidence: list[VersionRef]
    as_of: datetime

    def payer_slug(self, name: str) -> str:
        for p in self.payers:
            if p.name == name:
                return p.slug
        return slugify(name)


def _governing(rows: Iterable[MatrixRow]) -> MatrixRow | None:
    """The row that answers for a state: the state's own program before its managed-care plans,
    a current reading before a stale one, then the latest effective date (a state's notices
    supersede each other), then the newest evidence; the source id breaks ties."""
    candidates = sorted((r for r in rows if r.drug is not None), key=lambda r: r.source.id)
    if not candidates:
        return None
    # Stable sorts, least important key first.
    candidates.sort(
        key=lambda r: r.evidence.fetched_at.timestamp() if r.evidence else 0.0, reverse=True
    )
    candidates.sort(key=lambda r: r.effective_date or "", reverse=True)
    candidates.sort(
        key=lambda r: (r.source.plan_type != "medicaid", r.status != "current"),
    )
    return candidates[0]


def _versions(session: Session) -> dict[str, list[datetime]]:
    out: dict[str, list[datetime]] = defaultdict(list)
    stmt = select(Snapshot.source_id, Snapshot.fetched_at).order_by(
        Snapshot.source_id, Snapshot.fetched_at, Snapshot.id
    )
    for source_id, fetched_at in session.execute(stmt):
        out[source_id].append(fetched_at)
    return out


def _answer(drug: str, rows: Sequence[MatrixRow]) -> Answer:
    governing = _governing(r for r in rows if r.drug == drug)
    if governing is not None:
        return Answer(drug, governing)
    if rows:  # sources exist but none states this drug: "not mentioned", not "no source"
        return Answer(drug, MatrixRow(rows[0].source, drug, None, {}, None, None, "silent"))
    return Answer(drug, None)


def build_site(session: Session, *, require_review: bool = True) -> Site:
    """Read the matrix, the confirmed changes and the version dates into the site model."""
    rows = load_matrix(session)
    changes = published_changes(session, require_review=require_review)
    versions = _versions(session)
    by_source: dict[str, list[MatrixRow]] = defaultdict(list)
    for r in rows:
        by_source[r.source.id].append(r)
    changes_by_source: dict[str, list[PublishedChange]] = defaultdict(list)
    for c in changes:
        changes_by_source[c.event.source.id].append(c)
    views = {
        sid: SourceView(rs[0].source, rs, changes_by_source.get(sid, []), versions.get(sid, []))
        for sid, rs in sorted(by_source.items())
    }

    states = []
    for code in sorted(US_STATES, key=lambda c: STATE_NAMES[c]):
        medicaid = [
            v for v in views.values() if v.info.state == code and v.info.plan_type in MEDICAID
        ]
        others = [
            v for v in views.values() if v.info.state == code and v.info.plan_type not in MEDICAID
        ]
        mrows = [r for v in medicaid for r in v.rows]
        states.append(
            StatePage(
                code=code,
                name=STATE_NAMES[code],
                medicaid=medicaid,
                others=others,
                answers={d: _answer(d, mrows) for d in DRUG_ORDER},
                changes=[c for v in medicaid for c in v.changes],
            )
        )
    for st in states:
        st.changes.sort(key=lambda c: (c.event.detected_at, c.uid), reverse=True)

    by_payer: dict[str, list[SourceView]] = defaultdict(list)
    for v in views.values():
        by_payer[v.info.payer].append(v)
    payers: list[PayerPage] = []
    used: set[str] = set()
    for name in sorted(by_payer, key=lambda n: (n.lower(), n)):
        slug = base = slugify(name)
        n = 2
        while slug in used:  # two payers whose names slug alike keep distinct pages
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        grouped: dict[str, list[SourceView]] = defaultdict(list)
        for v in by_payer[name]:
            grouped[v.info.plan_type].append(v)
        pchanges = sorted(
            (c for v in by_payer[name] for c in v.changes),
            key=lambda c: (c.event.detected_at, c.uid),
            reverse=True,
        )
        payers.append(
            PayerPage(
                slug=slug,
                name=name,
                by_plan_type=dict(sorted(grouped.items())),
                changes=pchanges,
                states=sorted({v.info.state for v in by_payer[name]}),
            )
        )

    national = [
        p
        for p in payers
        if any(v.info.plan_type == "commercial" and v.info.state == "US" for v in p.sources)
    ]
    federal = [p for p in payers if any(v.info.plan_type in FEDERAL for v in p.sources)]
    evidence = [r.evidence for r in rows if r.evidence is not None]
    evidence += [ref for c in changes for ref in (c.event.before, c.event.after) if ref]
    stamps = [r.source.last_checked_at for r in rows if r.source.last_checked_at]
    stamps += [ref.fetched_at for ref in evidence]
    stamps += [c.event.detected_at for c in changes]
    return Site(
        states=states,
        payers=payers,
        changes=changes,
        national_commercial=national,
        federal=federal,
        evidence=evidence,
        as_of=max(stamps, default=EPOCH),
    )
