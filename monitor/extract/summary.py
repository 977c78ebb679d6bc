"""Per drug: the governing stance and the key criteria as comparable values.

Values are read from the drug's clauses only (never from Background or References), so a
change in them is a change in what the payer requires.
"""

from __future__ import annotations

import re
from typing import Any

from .drugs import ESKETAMINE_CODES, codes_in, diagnosis_codes, has_drug_code
from .model import DRUGS, Block, Clause, DrugSummary
from .sections import CONTEXT, section_kind

_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "twenty-eight": 28,
}
_NUM = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty-eight)(?:\s*\(\d+\))?"
_TRIALS_RE = re.compile(
    rf"\b(?:at least|a minimum of|minimum of|failed|failure of|trials? of|tried)\s+{_NUM}\s+"
    r"(?:\w+\s+){0,3}?(?:antidepressants?|antidepressant (?:medications|agents|trials))",
    re.I,
)
_WEEKS_RE = re.compile(rf"\b(?:at least|minimum of|for)\s+{_NUM}\s*(?:-\s*)?weeks?\b", re.I)
_HOURS_RE = re.compile(rf"\b(?:at least|minimum of|for)\s+{_NUM}\s*(?:-\s*)?hours?\b", re.I)
_DURATION_RE = re.compile(
    rf"\b{_NUM}\s*(?:-\s*)?(?:calendar\s+)?(months?|weeks?|days?|years?)\b", re.I
)
_QUANTITY_RE = re.compile(
    r"\b(?:up to|no more than|maximum of|limited to|not to exceed|not exceed)\s+\d+\s*(?:\w+\s+)?"
    r"(?:infusions?|devices?|kits?|units?|mg|doses?|treatments?|sessions?|sprays?)\b[^.;]*",
    re.I,
)
_MONO_YES_RE = re.compile(
    r"monotherapy or in (?:combination|conjunction)|as monotherapy or|"
    r"(?:may|can) be used (?:alone|as monotherapy)|with or without an oral",
    re.I,
)
_MONO_NO_RE = re.compile(
    r"not (?:be )?used as monotherapy|(?:in (?:combination|conjunction)|"
    r"together|concomitantly) with (?:a |an )?(?:newly initiated )?(?:daily )?"
    r"oral antidepressant",
    re.I,
)
_INITIAL_RE = re.compile(r"\binitial|\bfirst\b", re.I)
_RENEWAL_RE = re.compile(r"continu|renew|reauthori|re-authori|subsequent|recertif", re.I)
_APPROVAL_RE = re.compile(r"approv|authori|length|duration|period", re.I)
_PRESCRIBER_RE = re.compile(
    r"(?:prescribed by|prescriber is|in consultation with|consulted with|confirmed by|"
    r"ordered by),?\s+(?:or in consultation with,?\s+)?(?:a |an )?(?:[\w-]+\s+){0,2}?"
    r"(psychiatrist|psychiatric (?:nurse practitioner|provider)|"
    r"mental health (?:professional|provider))",
    re.I,
)


def _num(token: str) -> int:
    return int(token) if token.isdigit() else _WORDS.get(token.lower(), 0)


def _months(amount: int, unit: str) -> float:
    unit = unit.lower()
    if unit.startswith("month"):
        return float(amount)
    if unit.startswith("week"):
        return round(amount * 7 / 30.4, 1)
    if unit.startswith("day"):
        return round(amount / 30.4, 1)
    return float(amount * 12)


def governing_stance(clauses: list[Clause]) -> str | None:
    """The document's stance on the drug: its first statement or listing."""
    for ctype in ("statement", "listing"):
        for clause in clauses:
            if clause.type == ctype:
                return clause.stance
    return clauses[0].stance if clauses else None


def _durations(values: dict[str, Any], text: str, is_limitation: bool) -> None:
    """Initial / renewal approval months, one clause part at a time.

    "Length of approval: initial 4 months; continuation 12 months" holds both, so each
    part separated by ";" or "," is read on its own, with the clause's lead-in as context.
    """
    approval_context = bool(_APPROVAL_RE.search(text))
    for part in re.split(r"[;,]\s*", text):
        found = list(_DURATION_RE.finditer(part))
        if not found or not (approval_context or _APPROVAL_RE.search(part)):
            continue
        if len(found) > 1:
            _paired_durations(values, part, found)
            continue
        d = found[0]
        months = _months(_num(d.group(1)), d.group(2))
        if _RENEWAL_RE.search(part) or (
            not _INITIAL_RE.search(part)
            and _RENEWAL_RE.search(text)
            and not _INITIAL_RE.search(text)
        ):
            values.setdefault("renewal_approval_months", months)
        elif _INITIAL_RE.search(part) or is_limitation:
            values.setdefault("initial_approval_months", months)


def _paired_durations(values: dict[str, Any], part: str, found: list[re.Match[str]]) -> None:
    """Several durations in one phrase ("6 months initially and 12 months for continuation"):
    each takes the initial/renewal cue nearest to it, the words after it first."""
    for i, d in enumerate(found):
        after = part[d.end() : found[i + 1].start() if i + 1 < len(found) else len(part)]
        before = part[found[i - 1].end() if i else 0 : d.start()]
        months = _months(_num(d.group(1)), d.group(2))
        for window in (after, before):
            if _RENEWAL_RE.search(window):
                values.setdefault("renewal_approval_months", months)
                break
            if _INITIAL_RE.search(window):
                values.setdefault("initial_approval_months", months)
                break


def criteria_values(clauses: list[Clause]) -> dict[str, Any]:
    """Comparable criteria values read from the drug's clauses."""
    values: dict[str, Any] = {}
    # Each value's regex runs only when a cheap substring test on the lower-cased clause
    # says it could match (case-insensitive regexes scan slowly, and most clauses carry at
    # most one of these values).
    for clause in clauses:
        text = clause.text
        low = text.lower()
        if "failed_trials" not in values and "antidepressant" in low:
            m = _TRIALS_RE.search(text)
            if m:
                values["failed_trials"] = _num(m.group(1))
                weeks = _WEEKS_RE.search(text)
                if weeks:
                    values["trial_weeks"] = _num(weeks.group(1))
        if "prescriber" not in values and any(w in low for w in _PRESCRIBER_WORDS):
            p = _PRESCRIBER_RE.search(text)
            if p:
                values["prescriber"] = p.group(1).lower()
        if "REMS" in text:
            values["rems"] = True
        if "hour" in low and ("monitor" in low or "observ" in low):
            h = _HOURS_RE.search(text)
            if h:
                values["monitoring_hours"] = _num(h.group(1))
        if any(w in low for w in _MONO_WORDS):
            if _MONO_YES_RE.search(text):
                values["monotherapy_allowed"] = True
            elif _MONO_NO_RE.search(text) and "monotherapy_allowed" not in values:
                values["monotherapy_allowed"] = False
        if clause.type == "limitation" or _APPROVAL_RE.search(text):
            _durations(values, text, clause.type == "limitation")
        if any(w in low for w in _QUANTITY_WORDS):
            for q in _QUANTITY_RE.findall(text):
                values.setdefault("quantity_limits", [])
                if q.strip() not in values["quantity_limits"]:
                    values["quantity_limits"].append(q.strip())
    return values


# Substrings that every match of the corresponding regex contains (lower case).
_PRESCRIBER_WORDS = ("psychiatr", "mental health")
_MONO_WORDS = ("monotherapy", "alone", "with or without", "oral antidepressant")
_QUANTITY_WORDS = ("up to", "no more than", "maximum of", "limited to", "exceed")


_CODE_HEADING_RE = re.compile(r"codes?\b|coding|billing|hcpcs|\bcpt\b|icd|diagnos", re.I)


def _code_texts(blocks: list[Block]) -> tuple[list[str], list[str]]:
    """(code-list texts, texts where billing codes count) of a document.

    Code lists live in tables and under coding headings. Billing codes count there and in
    coverage (non-context) sections; background, evidence and reference prose that merely
    mentions a code does not state what is billed. Blocks under one heading share one path
    list, so the section verdicts are computed once per distinct path.
    """
    code_lists: list[str] = []
    billing: list[str] = []
    last_path: list[str] | None = None
    is_code = is_context = False
    for block in blocks:
        if block.kind == "table_row":
            code_lists.append(block.text)
            continue
        path = block.heading_path
        if path is not last_path:
            last_path = path
            is_code = any(_CODE_HEADING_RE.search(h) for h in path)
            is_context = section_kind(path) == CONTEXT
        if is_code:
            code_lists.append(block.text)
        elif not is_context:
            billing.append(block.text)
    return code_lists, billing


def summarise(clauses: list[Clause], blocks: list[Block]) -> dict[str, DrugSummary]:
    """A summary per drug that has clauses."""
    if not clauses:
        return {}
    code_lists, billing = _code_texts(blocks)
    # Diagnosis codes live in code tables (context sections); they count for every drug the
    # document covers, since a code list belongs to the policy, not to one sentence.
    dx = diagnosis_codes("\n".join(code_lists))
    # Billing codes: esketamine's own codes, and unlisted-drug codes wherever the same block
    # speaks of ketamine. A literal pre-check (C substring search) skips the texts that
    # cannot hold any of the codes kept.
    doc_codes: list[str] = []
    for text in code_lists + billing:
        if has_drug_code(text):
            doc_codes.extend(c for c in codes_in(text) if c not in doc_codes)
    out: dict[str, DrugSummary] = {}
    for drug in DRUGS:
        mine = [c for c in clauses if c.drug == drug]
        if not mine:
            continue
        values = criteria_values(mine)
        if dx:
            values["diagnosis_codes"] = dx
        codes = [c for c in doc_codes if (c in ESKETAMINE_CODES) == (drug == "esketamine")]
        if codes:
            values["hcpcs_codes"] = codes  # the diff engine reads codes from criteria too
        out[drug] = DrugSummary(
            drug=drug, stance=governing_stance(mine), criteria=values, codes=codes
        )
    return out
