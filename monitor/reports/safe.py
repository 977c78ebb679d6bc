"""Neutralisers for crawled text, which is hostile: it reaches browsers, spreadsheets and feeds.

HTML is escaped by Jinja2's autoescape (see ``html.py``); what is left here is what autoescape
cannot know: which URLs may become links, Markdown syntax, spreadsheet formulas and the control
characters XML refuses.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# Schemes a report may link to. ``javascript:``, ``data:`` and the like become plain text.
_LINK_SCHEMES = frozenset({"http", "https"})
# Control characters, space and the characters that could break out of an attribute or a tag.
_URL_UNSAFE = re.compile("[\x00-\x20\x7f<>\"'`]")


def safe_url(url: str | None) -> str:
    """``url`` if it is an http(s) URL or a plain relative path, else "" (do not link it)."""
    if not url:
        return ""
    url = url.strip()
    if _URL_UNSAFE.search(url):
        return ""
    parts = urlsplit(url)
    if parts.scheme:
        return url if parts.scheme.lower() in _LINK_SCHEMES and parts.netloc else ""
    # Relative: our own archive paths. "//host" would be protocol-relative, a different site.
    return "" if url.startswith("//") or ":" in url.split("/", 1)[0] else url


# CommonMark treats any escaped ASCII punctuation as a literal. These are the characters that
# can open emphasis, links, images, code, raw HTML, entities, tables or strikethrough mid-line.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|~!#])")
# At the start of a line a few more characters open blocks (headings, lists, quotes, rules).
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")


def md_text(text: str | None) -> str:
    """Text safe to place inside a Markdown line: one line, every syntax character escaped."""
    if not text:
        return ""
    one_line = " ".join(text.split())  # a newline in crawled text must not start a block
    escaped = _MD_INLINE.sub(r"\\\1", one_line)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def md_url(url: str | None) -> str:
    """A link target that cannot close the Markdown link early: "" when it must not be linked."""
    checked = safe_url(url)
    # Percent-encode everything that could end the destination or start a title: ( ) < > spaces.
    return quote(checked, safe=":/?#@!$&'*+,;=%~-._") if checked else ""


# Spreadsheet programs evaluate cells starting with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


# XML 1.0 forbids most C0 controls, lone surrogates and U+FFFE/FFFF; lxml refuses them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str | None) -> str:
    """Text an XML document can carry (feedgen/lxml raise on the forbidden characters)."""
    return _XML_INVALID.sub("\ufffd", text or "")
