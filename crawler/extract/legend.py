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

from .stance import classify

# One "CODE = meaning" pair. Codes are short upper-case abbreviations, Y/N or a footnote
# symbol; "=" or ":" or a dash separates them from a meaning made of words.
_CODE = r"(?:[A-Z]{1,3}\d?|[*†‡§¶#^])"
_PAIR_RE = re.compile(
    rf"(?<![\w*†‡§¶#^])({_CODE})\s*(=|:|–|—|-)\s*([A-Za-z][A-Za-z/()' -]*?)\s*"
    rf"(?=[,;|•]|\s{{2,}}|$|\s+{_CODE}\s*(?:=|:|–|—|-)\s)"
)
_PREFIX_RE = re.compile(
    r"^\s*(?:legend|key|status (?:key|codes?)|abbreviations?|codes?|table key|pdl key)"
    r"\s*[:\-–]?\s*",
    re.I,
)
_SEPARATORS_RE = re.compile(r"[\s,;|•.]*")


def legend_pairs(text: str) -> dict[str, str] | None:
    """The code → meaning pairs of a legend line, or None when the line is not a legend.

    The whole line must be pairs (after an optional "Legend:" / "Key:" prefix): two or more,
    or a single one joined by "=" ("PA = prior authorization required"). "Policy Number:
    2026X1" or a sentence with a colon is not a legend.
    """
    if len(text) > 400 or not any(sep in text for sep in "=:–—-"):
        return None
    body = _PREFIX_RE.sub("", text, count=1)
    pairs: dict[str, str] = {}
    equals = 0
    pos = 0
    for m in _PAIR_RE.finditer(body):
        if not _SEPARATORS_RE.fullmatch(body, pos, m.start()):
            return None
        code, sep, meaning = m.group(1), m.group(2), m.group(3).strip(" -")
        if not meaning:
            return None
        pairs[code] = meaning
        equals += sep == "="
        pos = m.end()
    if not pairs or not _SEPARATORS_RE.fullmatch(body, pos):
        return None
    if len(pairs) == 1 and not equals:
        return None
    return pairs


def is_legend(text: str) -> bool:
    """A key line of status codes, never a clause or a table row."""
    return legend_pairs(text) is not None


def document_legend(texts: Iterable[str]) -> dict[str, str]:
    """All legend pairs of a document (later lines do not override earlier ones)."""
    legend: dict[str, str] = {}
    for text in texts:
        if "=" not in text and ":" not in text and "-" not in text and "–" not in text:
            continue
        pairs = legend_pairs(text)
        if pairs:
            for code, meaning in pairs.items():
                legend.setdefault(code, meaning)
    return legend


_TOKEN_RE = re.compile(r"[^\s,;/|+]+")


def read_status(cell: str, legend: dict[str, str]) -> str:
    """A status cell with each legend code replaced by its meaning ("NP, PA" → "Non-preferred,
    prior authorization required"); the cell unchanged when none of its tokens is a code."""
    if not legend or len(cell) > 40:
        return cell
    tokens = _TOKEN_RE.findall(cell)
    if not tokens or not any(t in legend for t in tokens):
        return cell
    return ", ".join(legend.get(t, t) for t in tokens)


# Bare status labels that the sentence-level stance rules do not read on their own.
_BARE_LABELS = {"covered": "covered", "covered benefit": "covered", "formulary": "covered"}


def status_stance(cell: str, legend: dict[str, str]) -> str | None:
    """The stance of a status cell, its codes read through ``legend``: the stance rule table
    decides, the legend only translates."""
    text = read_status(cell, legend)
    stance = classify(text)
    if stance is None and text != cell:
        stance = _BARE_LABELS.get(text.strip().lower())
    return stance
