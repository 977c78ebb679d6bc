"""A document's own legend for status codes ("P = Preferred, NP = Non-preferred").

Drug lists and PDL tables mark each row with short codes whose meaning the document states
once, in a key line above or below the table: "P = Preferred", "PA: prior authorization
required", "ST - step therapy", "Y = covered". A status cell is read through that legend
(``NP`` → "Non-preferred"), and the stance rule table then reads the meaning, so the legend
never needs a stance vocabulary of its own. A legend line is a key, never a clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .model import Block
from .stance import classify

# Where a "CODE = meaning" pair starts: at the start of the line or after a separator. Codes
# are short upper-case abbreviations ("P", "NP", "C-PA", "PA2"), Y/N or a footnote symbol;
# "=", ":" or a dash joins them to a meaning that starts with a word.
_CODE = r"(?:[A-Z]{1,3}(?:[-/][A-Z]{1,3})?\d?|[*†‡§¶#^])"
_PAIR_START_RE = re.compile(
    rf"(?:^|(?<=[,;|•])\s*|\s{{2,}}|\s(?=[A-Z*†‡§¶#^]))({_CODE})\s*(=|:|–|—|-)\s*(?=[A-Za-z(])"
)
_PREFIX_RE = re.compile(
    r"^\s*(?:legend|key|status (?:key|codes?)|abbreviations?|codes?|table key|pdl key)"
    r"\s*[:\-–]?\s*",
    re.I,
)


def _may_be_legend(text: str) -> bool:
    """A pre-check in C string search: most lines hold none of the separators (a hyphen
    inside a word, as in "extended-release", is not one)."""
    return "=" in text or ":" in text or " -" in text or "- " in text or "–" in text or "—" in text


def legend_pairs(text: str) -> dict[str, str] | None:
    """The code → meaning pairs of a legend line, or None when the line is not a legend.

    The whole line must be pairs (after an optional "Legend:" / "Key:" prefix): two or more,
    or a single one joined by "=" ("PA = prior authorization required"). A meaning runs to
    the next pair, so it may hold commas ("EX = Plan exclusion, not covered"). "Policy
    Number: 2026X1" or a sentence with a colon is not a legend.
    """
    if len(text) > 400 or not _may_be_legend(text):
        return None
    body = _PREFIX_RE.sub("", text, count=1).strip()
    starts = list(_PAIR_START_RE.finditer(body))
    if not starts or starts[0].start(1) != 0:
        return None
    pairs: dict[str, str] = {}
    equals = 0
    for m, nxt in zip(starts, [*starts[1:], None], strict=True):
        meaning = body[m.end() : nxt.start() if nxt else len(body)].strip(" ,;|•.")
        if not meaning or len(meaning) > 80:
            return None
        pairs.setdefault(m.group(1), meaning)
        equals += m.group(2) == "="
    if len(pairs) == 1 and not equals:
        return None
    return pairs


def is_legend(text: str) -> bool:
    """A key line of status codes, never a clause or a table row."""
    return legend_pairs(text) is not None


_PARENS_RE = re.compile(r"\(([^()]{3,200})\)")


def document_legend(blocks: Iterable[Block]) -> dict[str, str]:
    """All legend pairs of a document (an earlier definition wins): legend lines, keys in
    parentheses in a line or a column header ("Status (P = preferred; NP = non-preferred)"),
    and key tables (every row a code and its meaning: "P | Preferred")."""
    legend: dict[str, str] = {}
    seen_columns: set[int] = set()
    tables: dict[int, list[tuple[str, str]] | None] = {}
    for block in blocks:
        texts = [block.text]
        if block.columns and id(block.columns) not in seen_columns:
            seen_columns.add(id(block.columns))  # rows of one table share the header list
            texts += block.columns
        if block.kind == "table_row":
            rows = tables.setdefault(block.group, [])
            pair = _key_row(block.cells)
            if rows is not None and pair is not None:
                rows.append(pair)
            else:
                tables[block.group] = None  # one row that is not a key: not a key table
        for text in texts:
            if not _may_be_legend(text):
                continue
            found = [legend_pairs(text)]
            if "(" in text:
                found += [legend_pairs(part) for part in _PARENS_RE.findall(text)]
            for pairs in found:
                for code, meaning in (pairs or {}).items():
                    legend.setdefault(code, meaning)
    for entries in tables.values():
        if entries and len(entries) >= 2:
            for code, meaning in entries:
                legend.setdefault(code, meaning)
    return legend


_CODE_RE = re.compile(_CODE)


def _key_row(cells: list[str]) -> tuple[str, str] | None:
    """(code, meaning) when a table row is one entry of a key table."""
    filled = [c for c in cells if c]
    if len(filled) != 2 or not _CODE_RE.fullmatch(filled[0]) or not filled[1][:1].isalpha():
        return None
    return filled[0], filled[1]


# Tokens of a status cell: words and codes ("C-PA", "NP"), and footnote symbols on their own
# so that "P*" reads as "P" and "*".
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*|[*†‡§¶#^]")


def read_status(cell: str, legend: dict[str, str]) -> str:
    """A status cell with each legend code replaced by its meaning ("NP, PA" → "Non-preferred,
    prior authorization required"); the cell unchanged when none of its tokens is a code."""
    if not legend or len(cell) > 40:
        return cell
    tokens = _TOKEN_RE.findall(cell)
    if not tokens or not any(t in legend for t in tokens):
        return cell
    return ", ".join(legend.get(t, t) for t in tokens)


# Legends define codes with noun phrases ("Covered with prior authorization", "Step therapy
# applies") that the sentence rules need not read; these label rules apply only to a meaning
# the rule table left unread, in this order.
_LABELS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:no|not|without)\b", re.I), ""),  # negated labels: leave unread
    (re.compile(r"\bprior (?:auth|approval)|\bPA\b|\bpre-?cert", re.I), "prior_authorization"),
    (re.compile(r"\bstep\b", re.I), "step_therapy"),
    (re.compile(r"^\s*(?:covered|formulary|on formulary|covered benefit)\b", re.I), "covered"),
)


def status_stance(cell: str, legend: dict[str, str]) -> str | None:
    """The stance of a status cell, its codes read through ``legend``: the stance rule table
    decides, then (for a code's meaning only) the label rules above."""
    text = read_status(cell, legend)
    stance = classify(text)
    if stance is None and text != cell:
        for pattern, label in _LABELS:
            if pattern.search(text):
                return label or None
    return stance
