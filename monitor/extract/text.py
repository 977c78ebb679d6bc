"""Text helpers shared by the format readers and the clause selector."""

from __future__ import annotations

import re
import unicodedata

_SPACE_RE = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})


def clean(text: str) -> str:
    """Collapse whitespace (incl. non-breaking spaces) and drop soft hyphens."""
    # str.split() is several times faster than a regex and splits on Unicode spaces too.
    if "\u00ad" in text:
        text = text.replace("\u00ad", "")
    return " ".join(text.split())


def norm(text: str) -> str:
    """Comparison key: NFKC, plain quotes and dashes, lower case, no whitespace.

    Mirrors the corpus normalisation so clause texts compare the way the scorer compares them.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).translate(_DASHES)
    return _SPACE_RE.sub("", text.replace("\u00ad", "").lower())


# A sentence ends at . ! ? followed by space and an upper-case letter, digit or opening bracket.
# Abbreviations common in policies ("e.g.", "i.e.", "U.S.", "Dr.", "No.") must not split.
_ABBREV = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|approx|Dr|Mr|Ms|No|Inc|Co|Jr|Sr|St|Fig|al|U\.S|a\.m|p\.m)|\b[A-Z])\.$"
)
_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences, keeping abbreviations and decimals intact."""
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        head = text[start : m.start()].rstrip()
        if _ABBREV.search(head):
            continue
        if head:
            out.append(head)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


# Connector words that link criteria ("; and", "AND", "or") carry tree structure, not meaning.
_TRAILING_CONNECTOR = re.compile(r"(?:[;,]\s*|\s+)(and|or|AND|OR|And|Or)\s*[.;,]?\s*$")
_CONNECTOR_ONLY = re.compile(r"^\s*[(\[]?\s*(and|or|and/or)\s*[)\]]?\s*[.;:,]?\s*$", re.I)
_LEADING_MARKER = re.compile(
    r"^\s*(?:[•·▪◦●○■□–\-*†‡§]+|\(?[0-9]{1,2}[.)]|\(?[a-z][.)]|\(?[ivx]{1,4}[.)])\s+", re.I
)
_FOOTNOTE_MARKER = re.compile(r"^\s*(?:\*+|[†‡§¶]+)\s*|\s*(?:\*+|[†‡§¶]+)\s*$")


def trailing_connector(text: str) -> str | None:
    """The connector ("and"/"or") that ends a criterion line, if any."""
    m = _TRAILING_CONNECTOR.search(text)
    return m.group(1).lower() if m else None


def strip_connector(text: str) -> str:
    """Drop a trailing connector and the punctuation before it."""
    text = _TRAILING_CONNECTOR.sub("", text).rstrip()
    return text.rstrip(";,").rstrip()


def is_connector(text: str) -> bool:
    """True for list items that are only a connector word ("and", "OR")."""
    return bool(_CONNECTOR_ONLY.match(text))


def strip_marker(text: str) -> str:
    """Drop a leading bullet, number or letter label ("1.", "a)", "•")."""
    return _LEADING_MARKER.sub("", text, count=1)


def strip_footnote(text: str) -> str:
    """Drop footnote symbols at either end ("Spravato nasal spray **")."""
    return _FOOTNOTE_MARKER.sub("", text).strip()


def footnote_marker(text: str) -> str | None:
    """The footnote symbol that ends (or starts) a text, e.g. "**" or "†"."""
    m = re.search(r"(\*+|[†‡§¶]+)\s*$", text) or re.match(r"^\s*(\*+|[†‡§¶]+)", text)
    return m.group(1) if m else None
