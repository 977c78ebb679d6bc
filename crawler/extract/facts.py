"""Document facts: title, policy number, effective and last-reviewed dates (ISO)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .model import Block

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DATE_RES = (
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), "ymd"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"), "mdy"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2})\b"), "mdy2"),
    (re.compile(r"\b([A-Z][a-z]{2,8})\.?\s+(\d{1,2}),?\s+(\d{4})\b"), "Mdy"),
    (re.compile(r"\b(\d{1,2})\s+([A-Z][a-z]{2,8})\.?\s+(\d{4})\b"), "dMy"),
    (re.compile(r"\b([A-Z][a-z]{2,8})\.?\s+(\d{4})\b"), "My"),
    (re.compile(r"\b(\d{1,2})/(\d{4})\b"), "my"),
)
_LABEL_VALUE_RE = re.compile(r"^\s*([A-Za-z][A-Za-z .#/&()-]{1,45}?)\s*[:|]\s*(.+)$")
_NUMBER_LABEL_RE = re.compile(
    r"^(?:(?:coverage|medical|pharmacy|reimbursement|clinical|payment|drug)\s+)*"
    r"(?:policy|document|guideline|bulletin|article|cpb|criteria)?\s*"
    r"(?:number|no\.?|#|id|identifier|code)?$",
    re.I,
)
_INLINE_NUMBER_RE = re.compile(
    r"\b(?:(?:coverage |medical |pharmacy |reimbursement )?policy|document|cpb|article)\s*"
    r"(?:number|no\.?|#|id)\s*:?\s*([A-Z0-9][A-Z0-9.:\-]*\d[A-Z0-9.:\-]*)",
    re.I,
)
# A bare "Code" column holds billing codes, never the policy's own number.
_CODE_COLUMNS = frozenset({"code", "codes", "id"})
_EFFECTIVE_RE = re.compile(r"\beffective\b", re.I)
_ORIGINAL_RE = re.compile(r"\boriginal\b|\borig\b", re.I)
_REVIEWED_RE = re.compile(
    r"\b(?:last\s+)?(?:review(?:ed)?|revised|revision|rev\b|rev\.|updated)", re.I
)
_NEXT_RE = re.compile(r"\bnext\b", re.I)
# Compiled once: these run on each of a page's header blocks, where the re module's cache
# look-up of a pattern string cost as much as the match.
_LABEL_NO_COLON_RE = re.compile(
    r"^\s*((?:[A-Z][A-Za-z.#]*\s+){0,3}(?:Date|Number|No\.?|Id|Reviewed|Revised|"
    r"Effective|Review|Updated))\s+(\S.*)$"
)
_DATE_WORD_VALUE_RE = re.compile(r"^\s*(Revised|Reviewed|Effective|Updated|Last Updated)\s+(.+)$")
_PIPES_RE = re.compile(r"\s+\|\s+")


@dataclass
class Facts:
    title: str | None = None
    policy_number: str | None = None
    effective_date: str | None = None
    last_reviewed: str | None = None


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ISO (YYYY-MM-DD, or YYYY-MM when no day is given)."""
    for pattern, shape in _DATE_RES:
        m = pattern.search(text)
        if not m:
            continue
        a, b, c = (*m.groups(), "")[:3]
        try:
            if shape == "ymd":
                return date(int(a), int(b), int(c)).isoformat()
            if shape == "mdy":
                return date(int(c), int(a), int(b)).isoformat()
            if shape == "mdy2":
                return date(2000 + int(c), int(a), int(b)).isoformat()
            if shape == "Mdy":
                month = _MONTHS.get(a[:3].lower())
                if month:
                    return date(int(c), month, int(b)).isoformat()
            if shape == "dMy":
                month = _MONTHS.get(b[:3].lower())
                if month:
                    return date(int(c), month, int(a)).isoformat()
            if shape == "My":
                month = _MONTHS.get(a[:3].lower())
                if month:
                    return f"{int(b):04d}-{month:02d}"
            if shape == "my" and 1 <= int(a) <= 12:
                return f"{int(b):04d}-{int(a):02d}"
        except ValueError:
            continue
    return None


def _label_value(text: str) -> tuple[str, str] | None:
    m = _LABEL_VALUE_RE.match(text)
    if m:
        return m.group(1).strip(), m.group(2).strip()
    # PDF header blocks lose the colon: "Effective Date June 1, 2024", "Policy Number 2024R0412A".
    m = _LABEL_NO_COLON_RE.match(text)
    if m:
        return m.group(1).strip(), m.group(2).strip()
    m = _DATE_WORD_VALUE_RE.match(text)
    return (m.group(1), m.group(2)) if m else None


def _policy_id(value: str) -> str | None:
    tokens = [t.strip(".,;") for t in value.split()[:2]]
    token = tokens[0] if tokens else ""
    if re.search(r"\d", token) and len(token) <= 30:
        return token
    # "IP 0312": a short upper-case prefix written apart from its number.
    if (
        len(tokens) == 2
        and re.fullmatch(r"[A-Z]{1,4}", token)
        and re.fullmatch(r"\d[\w.-]*", tokens[1])
    ):
        return f"{token} {tokens[1]}"
    return None


def extract_facts(blocks: list[Block], fallback_title: str | None = None) -> Facts:
    """Facts from the header blocks of a document (the first few dozen blocks)."""
    facts = Facts()
    for block in blocks:
        if block.kind == "heading":
            facts.title = block.text
            break
    if facts.title is None and fallback_title:
        facts.title = re.split(r"\s+[|–-]\s+", fallback_title)[0].strip() or None
    effective_original: str | None = None
    for block in blocks[:60]:
        if block.kind not in ("paragraph", "table_row", "heading"):
            continue
        pairs: list[tuple[str, str]] = []
        if block.kind == "table_row" and len(block.cells) >= 2:
            # Header tables put "Label: value" in each cell; two-column ones put the label in
            # the first cell and the value in the second.
            for cell in block.cells:
                lv = _label_value(cell)
                if lv:
                    pairs.append(lv)
            pairs.append((block.cells[0], block.cells[1]))
            if block.columns and len(block.columns) == len(block.cells):
                pairs += list(zip(block.columns, block.cells, strict=True))
        else:
            # "Bulletin Number: PB-1 | Posted: … | Effective Date: …" holds several pairs.
            for part in _PIPES_RE.split(block.text):
                lv = _label_value(part)
                if lv:
                    pairs.append(lv)
        for label, value in pairs:
            _apply(facts, label, value)
            if (
                _EFFECTIVE_RE.search(label)
                and _ORIGINAL_RE.search(label)
                and effective_original is None
            ):
                effective_original = parse_date(value)
        if facts.policy_number is None:
            m = _INLINE_NUMBER_RE.search(block.text)
            if m:
                facts.policy_number = m.group(1).rstrip(".:-")
    if facts.effective_date is None:
        facts.effective_date = effective_original
    return facts


def _apply(facts: Facts, label: str, value: str) -> None:
    if _NEXT_RE.search(label):
        return
    if (
        facts.policy_number is None
        and _NUMBER_LABEL_RE.match(label)
        and len(label) > 1
        and label.strip().lower() not in _CODE_COLUMNS
    ):
        ident = _policy_id(value)
        if ident:
            facts.policy_number = ident
            return
    if _EFFECTIVE_RE.search(label) and not _ORIGINAL_RE.search(label):
        if facts.effective_date is None:
            facts.effective_date = parse_date(value)
    elif _REVIEWED_RE.search(label) and facts.last_reviewed is None:
        facts.last_reviewed = parse_date(value)
