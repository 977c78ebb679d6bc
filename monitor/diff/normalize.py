"""Text normalisation for comparing clauses (never for display).

Two versions of the same policy differ in ways that carry no meaning: Unicode variants
(non-breaking spaces, curly quotes, ``≥`` vs ``>=``, ``™`` vs ``®``), soft hyphens and PDF
hyphenation, list markers and trailing connectors ("; and", "; or") that move when a criteria
tree is re-rendered. Every comparison in the diff goes through :func:`compare_key` so that these
variants hash equal, while the original text is kept for redlines.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from crawler.extract.text import fold_unicode as clean

__all__ = ["clean", "compare_key", "normalize", "url_identity", "words"]

# A list marker at the start of a clause: "1.", "a)", "(iv)", "-", "*". Rendering decides these,
# the policy does not; a re-numbered list must not look like changed criteria.
_MARKER = re.compile(r"^\s*(?:[-*]|\(?(?:\d{1,3}|[a-z]|[ivx]{1,5})[.)])\s+", re.IGNORECASE)
# Trailing connectors and punctuation: nested-list renderers move "and"/"or" between items.
_TRAIL = re.compile(r"(?:[\s;,:.]+(?:and|or|and/or))?[\s;,:.]*$", re.IGNORECASE)


def normalize(text: str) -> str:
    """:func:`clean` plus lower case: the form criteria parsing and word diffs work on."""
    return clean(text).lower()


def compare_key(text: str) -> str:
    """The key two clauses must share to count as the same text.

    Lower case, list markers and trailing connectors dropped, and then *all* whitespace removed,
    as the corpus scorer does: PDF extraction and HTML minification add or lose spaces between
    words ("6weeks"), and a key without whitespace is immune to both.
    """
    s = normalize(text)
    s = _MARKER.sub("", s)
    s = _TRAIL.sub("", s)
    return s.replace(" ", "")


_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*|[<>]=?|%")


def words(text: str) -> list[str]:
    """Normalised word tokens (numbers with decimals and codes like ``f32.a`` stay whole)."""
    return _WORD.findall(normalize(text))


# Query parameters that name a session, a visit or a cache buster, or a *version* of the same
# document (MCD ``ver=N``, CMS API ``articlever=N``): a different value is the same source.
# Version parameters are named explicitly (a bare version word, or a document kind followed by
# one): a suffix match such as ``\w+ver`` would also drop ``server=`` or ``driver=``, and a
# document that really moved would then look unchanged.
_VERSION_WORD = r"(?:ver|vers|version|rev|revision)"
_VOLATILE_PARAM = re.compile(
    r"^(?:utm_\w+|gclid|fbclid|msclkid|mc_[ce]id|_ga|_gl|jsessionid|phpsessid|aspsessionid\w*|"
    r"sessionid|session_id|sid|cfid|cftoken|"
    # cache busters
    r"_|cb|cachebust\w*|cache_?buster|nocache|nc|ts|timestamp|rnd|rand|random|"
    # versions of the same document
    rf"v|{_VERSION_WORD}|(?:article|lcd|ncd|mcd|doc|document|policy|content|file|page)"
    rf"_?{_VERSION_WORD}(?:_?(?:id|num|number|no))?)$",
    re.IGNORECASE,
)


def url_identity(url: str) -> str:
    """The part of a URL that names the document, for deciding whether a source moved.

    Scheme, host case, default ports, fragments, trailing slashes, ``;jsessionid=`` path
    parameters and volatile query parameters (tracking, sessions, cache busters, version
    numbers) do not make a new address.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = re.sub(r";jsessionid=[^/?#]*", "", parts.path, flags=re.IGNORECASE).rstrip("/") or "/"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _VOLATILE_PARAM.match(k)
    )
    return f"{host}{path}" + (f"?{urlencode(query)}" if query else "")
