"""The coverage matrix: sections, ordering, the Medicaid by-state view, and its CSV form."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from crawler.extract.model import DRUGS
from crawler.registry import US_STATES
from monitor.reports.archive import Links
from monitor.reports.model import MatrixRow
from monitor.reports.present import (
    MATRIX_CRITERIA,
    MATRIX_EXTRA,
    day,
    drug_label,
    months_text,
    plan_type_label,
    stance_label,
)
from monitor.reports.safe import csv_cell

# (section title, plan types in it, whether it is read state by state)
SECTIONS: tuple[tuple[str, frozenset[str], bool], ...] = (
    ("Commercial", frozenset({"commercial"}), False),
    ("Medicare", frozenset({"medicare", "medicare_advantage"}), False),
    ("Medicaid by state", frozenset({"medicaid", "medicaid_mco"}), True),
)
OTHER_SECTION = "Other plans"
_DRUG_ORDER: dict[str, int] = {d: i for i, d in enumerate(DRUGS)}


@dataclass
class Section:
    title: str
    by_state: bool
    rows: list[MatrixRow] = field(default_factory=list)


def _key(row: MatrixRow, by_state: bool) -> tuple[str, str, int, str]:
    src = row.source
    first, second = (src.state, src.payer) if by_state else (src.payer, src.state)
    return first.lower(), second.lower(), _DRUG_ORDER.get(row.drug or "", 99), src.id


def sections(rows: Sequence[MatrixRow]) -> list[Section]:
    """Rows grouped by plan family; Medicaid ordered by state so the variation reads down."""
    out = [Section(title, by_state) for title, _, by_state in SECTIONS]
    other = Section(OTHER_SECTION, False)
    for row in rows:
        for section, (_, plan_types, _) in zip(out, SECTIONS, strict=True):
            if row.source.plan_type in plan_types:
                section.rows.append(row)
                break
        else:
            other.rows.append(row)
    out.append(other)
    for section in out:
        section.rows.sort(key=partial(_key, by_state=section.by_state))
    return [s for s in out if s.rows]


@dataclass(frozen=True)
class StanceSpread:
    """For one drug: which Medicaid states take which stance (the blog's headline table)."""

    drug: str
    by_stance: list[tuple[str, list[str]]]  # (stance, states), most states first
    states: int


def medicaid_spread(rows: Sequence[MatrixRow]) -> list[StanceSpread]:
    medicaid = next(p for title, p, by_state in SECTIONS if by_state)
    out = []
    for drug in DRUGS:
        stances: dict[str, set[str]] = {}
        for row in rows:
            if row.drug == drug and row.source.plan_type in medicaid and row.stance:
                stances.setdefault(row.stance, set()).add(row.source.state)
        if stances:
            ordered = sorted(stances.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            covered = set().union(*stances.values())
            out.append(StanceSpread(drug, [(s, sorted(st)) for s, st in ordered], len(covered)))
    return out


def medicaid_gaps(rows: Sequence[MatrixRow]) -> list[str]:
    """States (and DC) with no Medicaid source registered: blanks a reader must not misread."""
    medicaid = next(p for title, p, by_state in SECTIONS if by_state)
    have = {r.source.state for r in rows if r.source.plan_type in medicaid}
    return [s for s in US_STATES if s not in have]


CSV_COLUMNS = (
    "section",
    "state",
    "payer",
    "plan_type",
    "source_id",
    "document",
    "drug",
    "stance",
    *(key for key, _ in (*MATRIX_CRITERIA, *MATRIX_EXTRA)),
    "effective_date",
    "last_checked",
    "status",
    "note",
    "evidence_snapshot_id",
    "evidence_fetched_at",
    "evidence_sha256",
    "evidence_link",
    "live_url",
)


def render_matrix_csv(rows: Sequence[MatrixRow], links: Links) -> str:
    """The matrix as CSV, one row per source and drug; every cell neutralised for spreadsheets."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for section in sections(rows):
        for row in section.rows:
            src, ev = row.source, row.evidence
            values: list[object] = [
                section.title,
                src.state,
                src.payer,
                plan_type_label(src.plan_type),
                src.id,
                src.title,
                drug_label(row.drug) if row.drug else "",
                stance_label(row.stance) if row.drug else "",
                *(
                    months_text(row.criteria[key]) if key in row.criteria else ""
                    for key, _ in (*MATRIX_CRITERIA, *MATRIX_EXTRA)
                ),
                row.effective_date or "",
                day(src.last_checked_at),
                row.status,
                row.note,
                ev.snapshot_id if ev else "",
                ev.fetched_at.isoformat() if ev else "",
                ev.sha256 if ev else "",
                links.snapshot(ev) if ev else "",
                src.url,
            ]
            writer.writerow([csv_cell(v) for v in values])
    return buf.getvalue()
