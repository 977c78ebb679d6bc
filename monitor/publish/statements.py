"""Statements: one source's answer for one drug, as sentences with their evidence.

Shared by the HTML and Markdown pages so both say exactly the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.publish.evidence import Links
from monitor.publish.gate import PublishedChange
from monitor.publish.glossary import (
    DRUG_NAMES,
    DRUG_SHORT,
    criteria_limits,
    criteria_needs,
    criterion_name,
    plan_type_name,
    stance_label,
    stance_words,
    value_words,
)
from monitor.reports.model import MatrixRow, SourceInfo


@dataclass(frozen=True)
class Statement:
    drug: str
    drug_name: str
    stance: str
    label: str
    group: str
    sentence: str
    needs: list[str]
    limits: list[str]
    effective: str
    checked: str
    evidence_url: str
    evidence_day: str
    sha256: str
    source: SourceInfo
    plan: str
    note: str


def _checked(info: SourceInfo) -> str:
    return f"{info.last_checked_at:%Y-%m-%d}" if info.last_checked_at else "not yet"


def statement(row: MatrixRow, links: Links) -> Statement | None:
    """The statement a row supports; None for a row with no drug or no evidence."""
    if row.drug is None or row.evidence is None:
        return None
    words = stance_words(row.stance)
    note = ""
    if row.status in ("unavailable", "failing"):
        note = (
            "The latest check could not read this document; this is what its last readable "
            "version said."
        )
    return Statement(
        drug=row.drug,
        drug_name=DRUG_NAMES.get(row.drug, row.drug),
        stance=row.stance or "none",
        label=words.label,
        group=words.group,
        sentence=words.sentence.format(drug=DRUG_SHORT.get(row.drug, row.drug)),
        needs=criteria_needs(row.criteria),
        limits=criteria_limits(row.criteria),
        effective=row.effective_date or "",
        checked=_checked(row.source),
        evidence_url=links.evidence(row.evidence),
        evidence_day=f"{row.evidence.fetched_at:%Y-%m-%d}",
        sha256=row.evidence.sha256,
        source=row.source,
        plan=plan_type_name(row.source.plan_type),
        note=note,
    )


def statements(rows: Sequence[MatrixRow], links: Links) -> list[Statement]:
    order = {"esketamine": 0, "ketamine": 1}
    found = [s for s in (statement(r, links) for r in rows) if s is not None]
    return sorted(found, key=lambda s: (order.get(s.drug, 9), s.source.id))


@dataclass(frozen=True)
class CriterionChange:
    name: str
    before: str
    after: str


@dataclass(frozen=True)
class ChangeFacts:
    change: PublishedChange
    drug_name: str
    before: str
    after: str
    criteria: list[CriterionChange]
    after_url: str
    after_day: str
    before_url: str
    before_day: str
    plan: str
    detected: str


def change_facts(change: PublishedChange, links: Links) -> ChangeFacts:
    ev = change.event
    cb = ev.detail.get("criteria_before") or {}
    ca = ev.detail.get("criteria_after") or {}
    rows = [
        CriterionChange(criterion_name(k), value_words(cb.get(k)), value_words(ca.get(k)))
        for k in sorted(set(cb) | set(ca))
        if cb.get(k) != ca.get(k)
    ]
    return ChangeFacts(
        change=change,
        drug_name=DRUG_NAMES.get(ev.drug or "", "Ketamine and Spravato"),
        before=stance_label(ev.stance_before),
        after=stance_label(ev.stance_after),
        criteria=rows,
        after_url=links.evidence(ev.after),
        after_day=f"{ev.after.fetched_at:%Y-%m-%d}",
        before_url=links.evidence(ev.before) if ev.before else "",
        before_day=f"{ev.before.fetched_at:%Y-%m-%d}" if ev.before else "",
        plan=plan_type_name(ev.source.plan_type),
        detected=f"{ev.detected_at:%Y-%m-%d}",
    )
