"""Words and shapes people read: labels for stances, plan types and criteria; clause redlines.

Pure functions shared by every renderer, so HTML, Markdown, CSV and Atom say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.diff.redline import redline_tokens

DRUG_LABELS = {"ketamine": "Ketamine", "esketamine": "Esketamine (Spravato)"}

PLAN_TYPE_LABELS = {
    "commercial": "Commercial",
    "medicare": "Medicare",
    "medicare_advantage": "Medicare Advantage",
    "medicaid": "Medicaid (fee-for-service)",
    "medicaid_mco": "Medicaid managed care",
    "tricare": "TRICARE",
    "va": "VA",
    "fehb": "FEHB",
}

# Non-stance values the diff stores in stance fields: a drug absent from a version, a version
# that could not be read.
_STANCE_WORDS = {
    "absent": "not mentioned",
    "unknown": "unknown",
    "non_preferred": "non-preferred",
    None: "—",
}


def stance_label(stance: str | None) -> str:
    if stance in _STANCE_WORDS:
        return _STANCE_WORDS[stance]
    return str(stance).replace("_", " ")


def stance_class(stance: str | None) -> str:
    """A CSS class name for a stance badge (only known stances; anything else is neutral)."""
    known = {
        "covered": "good",
        "preferred": "good",
        "covered_with_criteria": "ok",
        "prior_authorization": "warn",
        "step_therapy": "warn",
        "non_preferred": "warn",
        "not_covered": "bad",
        "experimental": "bad",
    }
    return known.get(stance or "", "none")


def plan_type_label(plan_type: str) -> str:
    return PLAN_TYPE_LABELS.get(plan_type, plan_type.replace("_", " "))


def drug_label(drug: str | None) -> str:
    return DRUG_LABELS.get(drug or "", drug or "all drugs")


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


# Criteria values (crawler/extract/criteria/values.py), as the extractor's summaries and the
# diff's events store them, in reading order.
EVENT_CRITERIA_LABELS = {
    "indications": "Indications",
    "failed_trials": "Failed antidepressant trials",
    "antidepressant_classes": "Antidepressant classes",
    "trial_weeks": "Trial length (weeks)",
    "monotherapy_allowed": "Monotherapy",
    "prescriber": "Prescriber",
    "min_age": "Minimum age",
    "severity": "Severity threshold",
    "approval_initial": "Initial approval",
    "approval_renewal": "Renewal approval",
    "monitoring_hours": "Monitoring (hours)",
    "rems": "REMS",
    "requirements": "Requirements",
    "routes": "Routes",
    "quantity_limits": "Quantity limits",
    "hcpcs_codes": "HCPCS codes",
    "diagnosis_codes": "Diagnosis codes",
}


def value_text(value: Any) -> str:
    """A criterion value as short text: lists joined, mappings as "key: values", bools yes/no."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(f"{stance_label(str(k))}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    return str(value).replace("_", " ")


# Flags that read better as words than as yes/no beside their label.
_FLAG_WORDS = {"monotherapy_allowed": ("allowed", "not allowed")}


def _criterion_text(key: str, value: Any) -> str:
    if key in _FLAG_WORDS and isinstance(value, bool):
        yes, no = _FLAG_WORDS[key]
        return yes if value else no
    return value_text(value)


@dataclass(frozen=True)
class CriterionRow:
    label: str
    before: str
    after: str
    changed: bool


def criteria_rows(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[CriterionRow]:
    """Before/after criteria side by side; known keys in reading order, then the rest by name."""
    keys = [k for k in EVENT_CRITERIA_LABELS if k in before or k in after]
    keys += sorted((set(before) | set(after)) - set(keys))
    return [
        CriterionRow(
            label=EVENT_CRITERIA_LABELS.get(k, k.replace("_", " ").capitalize()),
            before=_criterion_text(k, before.get(k)),
            after=_criterion_text(k, after.get(k)),
            changed=before.get(k) != after.get(k),
        )
        for k in keys
    ]


# The summary keys (crawler/extract/criteria/values.py) the matrix shows, in order.
MATRIX_CRITERIA = (
    ("failed_trials", "Failed trials"),
    ("trial_weeks", "Trial weeks"),
    ("monotherapy_allowed", "Monotherapy"),
    ("prescriber", "Prescriber"),
    ("approval_initial", "Initial approval"),
    ("approval_renewal", "Renewal approval"),
)
MATRIX_EXTRA = (
    ("rems", "REMS"),
    ("monitoring_hours", "Monitoring (hours)"),
    ("quantity_limits", "Quantity limits"),
    ("hcpcs_codes", "HCPCS"),
)
# Shorter labels and units for the HTML cell, where space is tight.
_CELL = {
    "failed_trials": ("Failed trials", ""),
    "trial_weeks": ("Trial length", " weeks"),
    "monotherapy_allowed": ("Monotherapy", ""),
    "prescriber": ("Prescriber", ""),
    "approval_initial": ("Initial approval", ""),
    "approval_renewal": ("Renewal", ""),
    "rems": ("REMS", ""),
    "monitoring_hours": ("Monitoring", " h"),
    "quantity_limits": ("Quantity", ""),
    "hcpcs_codes": ("HCPCS", ""),
}


def months_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value_text(value)


def matrix_criteria(criteria: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The key criteria of a matrix cell, as (label, value) pairs; absent ones are left out."""
    out = []
    for key, (label, unit) in _CELL.items():
        value = criteria.get(key)
        if value not in (None, [], ""):
            text = months_text(value)
            out.append(
                (
                    label,
                    text + unit
                    if isinstance(value, int | float) and not isinstance(value, bool)
                    else text,
                )
            )
    return out


@dataclass(frozen=True)
class Segment:
    kind: str  # equal | delete | insert
    text: str


@dataclass(frozen=True)
class ClausePair:
    """One changed clause as two columns: the old text with deletions, the new with insertions."""

    op: str
    section: str
    before: list[Segment]
    after: list[Segment]
    stance_before: str | None
    stance_after: str | None
    indication: str | None


def clause_pair(change: Mapping[str, Any]) -> ClausePair:
    """Split a stored clause change's redline into its before and after columns.

    Events stored before the diff kept tokens carry only texts; their redline is recomputed
    with the diff's own word-level function, so old and new events look the same.
    """
    op = str(change.get("op") or "modified")
    before_text = str(change.get("before") or "")
    after_text = str(change.get("after") or "")
    tokens = [(str(t[0]), str(t[1])) for t in change.get("tokens") or []]
    if not tokens:
        tokens = list(redline_tokens(before_text, after_text))
    before = [Segment(k, t) for k, t in tokens if k in ("equal", "delete")]
    after = [Segment(k, t) for k, t in tokens if k in ("equal", "insert")]
    return ClausePair(
        op=op,
        section=str(change.get("section") or ""),
        before=before,
        after=after,
        stance_before=change.get("stance_before"),
        stance_after=change.get("stance_after"),
        indication=change.get("indication"),
    )


def strip_payer(summary: str, payer: str) -> str:
    """The summary without its leading "Payer: " (the reports show the payer on its own)."""
    prefix = f"{payer}: "
    return summary[len(prefix) :] if summary.startswith(prefix) else summary
