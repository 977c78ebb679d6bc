"""Text helpers shared by the format readers and the clause selector."""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})


def clean(text: str) -> str:
    """Collapse whitespace (incl. non-breaking spaces) and drop soft hyphens."""
    # str.split() is several times faster than a regex and splits on Unicode spaces too.
    if "\u00ad" in text:
        text = text.replace("\u00ad", "")
    # Most block texts are already clean: ASCII (a flag check) without double or edge spaces
    # and without any of the ASCII characters str.split() treats as whitespace needs no
    # split/join. Single-character substring tests are memchr scans, several times faster
    # than isprintable() or a character-class regex.
    if (
        text.isascii()
        and "  " not in text
        and "\n" not in text
        and "\t" not in text
        and "\r" not in text
        and text[:1] != " "
        and text[-1:] != " "
        and "\x0b" not in text
        and "\x0c" not in text
        and "\x1c" not in text
        and "\x1d" not in text
        and "\x1e" not in text
        and "\x1f" not in text
    ):
        return text
    return " ".join(text.split())


def norm(text: str) -> str:
    """Comparison key: NFKC, plain quotes and dashes, lower case, no whitespace.

    Mirrors the corpus normalisation so clause texts compare the way the scorer compares them.
    """
    if not text.isascii():  # NFKC, quotes, dashes and soft hyphens are all non-ASCII
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES).translate(_DASHES)
        text = text.replace("\u00ad", "")
    return "".join(text.lower().split())


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


def _may_end_with_connector(text: str) -> bool:
    """Cheap pre-check for :data:`_TRAILING_CONNECTOR` (a regex anchored at the end is
    tried from every whitespace position, so most texts are better rejected here)."""
    tail = text.rstrip()
    if tail[-1:] in (".", ";", ","):
        tail = tail[:-1].rstrip()
    tail = tail[-3:].lower()
    return tail.endswith("or") or tail == "and"


def _connector_match(text: str) -> tuple[int, str] | None:
    """(start, connector) of :data:`_TRAILING_CONNECTOR` in ``text``, searched in the tail.

    The pattern has no look-behind, so a match found inside the last 40 characters that
    does not start at the tail's first character is the same match as in the whole text.
    """
    if not _may_end_with_connector(text):
        return None
    offset = max(0, len(text) - 40)
    m = _TRAILING_CONNECTOR.search(text, offset)
    if m is None or (m.start() == offset and offset):
        m = _TRAILING_CONNECTOR.search(text)
    return (m.start(), m.group(1)) if m else None


def trailing_connector(text: str) -> str | None:
    """The connector ("and"/"or") that ends a criterion line, if any."""
    m = _connector_match(text)
    return m[1].lower() if m else None


def strip_connector(text: str) -> str:
    """Drop a trailing connector and the punctuation before it."""
    m = _connector_match(text)
    if m is not None:
        text = text[: m[0]]
    return text.rstrip().rstrip(";,").rstrip()


def is_connector(text: str) -> bool:
    """True for list items that are only a connector word ("and", "OR")."""
    return bool(_CONNECTOR_ONLY.match(text))


def strip_marker(text: str) -> str:
    """Drop a leading bullet, number or letter label ("1.", "a)", "•")."""
    return _LEADING_MARKER.sub("", text, count=1)


_FOOTNOTE_CHARS = "*†‡§¶"
_FOOTNOTE_END_RE = re.compile(r"(\*+|[†‡§¶]+)\s*$")
_FOOTNOTE_START_RE = re.compile(r"^\s*(\*+|[†‡§¶]+)")


def _has_footnote_edge(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and (stripped[0] in _FOOTNOTE_CHARS or stripped[-1] in _FOOTNOTE_CHARS)


def strip_footnote(text: str) -> str:
    """Drop footnote symbols at either end ("Spravato nasal spray **")."""
    if not _has_footnote_edge(text):
        return text.strip()
    return _FOOTNOTE_MARKER.sub("", text).strip()


def footnote_marker(text: str) -> str | None:
    """The footnote symbol that ends (or starts) a text, e.g. "**" or "†"."""
    if not _has_footnote_edge(text):
        return None
    m = _FOOTNOTE_END_RE.search(text) or _FOOTNOTE_START_RE.match(text)
    return m.group(1) if m else None


# -- Unicode folding for comparing text (the diff and the criteria parser) -----------------

# Characters NFKC leaves alone but that policies use interchangeably with ASCII.
_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": None,  # soft hyphen: invisible, inserted by PDF and CMS hyphenation
        "\u200b": None,  # zero-width space
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\u2122": None,  # trade mark signs are branding, never meaning
        "\u00ae": None,
        "\u2265": ">=",
        "\u2264": "<=",
        "\u2022": " ",  # bullets come and go with list rendering
        "\u25aa": " ",
        "\u25cf": " ",
        "\u00b7": " ",
    }
)

_FOLD_WS = re.compile(r"\s+")
# PDF hyphenation: "health-\ncare" -> "healthcare" (only when the break was a line break).
_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(\w)")


def fold_unicode(text: str) -> str:
    """Unicode-normalise (NFKC, plain quotes, dashes, ``>=``; no soft hyphens, trade marks or
    bullets) and collapse whitespace, keeping case: the form text is compared in."""
    if not text.isascii():
        # Translate first: NFKC would turn "™" into "TM", which is not branding-free text.
        text = unicodedata.normalize("NFKC", text.translate(_FOLD)).translate(_FOLD)
    if "\n" in text:
        text = _HYPHEN_BREAK.sub(r"\1\2", text)
    return _FOLD_WS.sub(" ", text).strip()
