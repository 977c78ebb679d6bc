"""Find drug documents on an index page: links whose text, row or heading names a drug.

Pure: bytes and the page URL in, candidate links out. A link qualifies on the first of
(its own text, the table row / list item / paragraph it sits in, the nearest heading above it)
that names ketamine or esketamine by name or by an esketamine billing code. Navigation,
header and footer links never qualify: they repeat on every page and point at menus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml.etree import ParserError

from crawler.proposals import drugs_named

# Link texts that say nothing about the document; the row or heading names it instead.
GENERIC_LINK_TEXT = re.compile(
    r"^(?:pdf|html|view|download|open|here|click here|link|more|details|read more|"
    r"criteria|form|document|\(?pdf\)?|\W*)$",
    re.I,
)
_BLOCKS = ("tr", "li", "dd", "dt", "p")
# h1 is left out: it titles the whole index, and matching it would propose every link.
_HEADINGS = ("h2", "h3", "h4", "h5", "h6", "caption")
_SKIP_ANCESTORS = "ancestor::*[self::nav or self::header or self::footer or self::script]"
_SKIP_SCHEMES = ("mailto:", "javascript:", "tel:", "data:")
TITLE_MAX = 200


@dataclass(frozen=True)
class FoundLink:
    url: str
    link_text: str
    title: str  # what a reader would call the document
    matched_on: str  # link | row | heading
    drugs: list[str]
    content_type: str | None = None  # from <a type="...">, when the page says


def _text(node: lxml.html.HtmlElement) -> str:
    return re.sub(r"\s+", " ", node.text_content()).strip()


def _block(anchor: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for parent in anchor.iterancestors():
        if parent.tag in _BLOCKS:
            return parent
        if parent.tag in ("table", "ul", "ol", "body", "section", "div"):
            return None
    return None


def _row_text(block: lxml.html.HtmlElement) -> str:
    if block.tag == "tr":
        cells = [_text(c) for c in block if c.tag in ("td", "th")]
        return " | ".join(c for c in cells if c)
    return _text(block)


def _row_title(block: lxml.html.HtmlElement, anchor: lxml.html.HtmlElement, link: str) -> str:
    """For a table row, the link text plus the cell that names the drug; else the block text."""
    if block.tag != "tr":
        return _text(block)
    own = next((c for c in anchor.iterancestors() if c.getparent() is block), None)
    cells = [_text(c) for c in block if c.tag in ("td", "th") and c is not own]
    naming = next((c for c in cells if drugs_named(c)), " | ".join(cells))
    return f"{link}: {naming}" if link and not GENERIC_LINK_TEXT.match(link) else naming


def _clip(text: str) -> str:
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1].rstrip() + "…"


def scan_links(body: bytes, page_url: str, encoding: str | None = None) -> list[FoundLink]:
    """Links on the page that lead to a ketamine or esketamine document, first occurrence each."""
    if not body.strip():
        return []
    try:
        parser = lxml.html.HTMLParser(encoding=encoding) if encoding else None
        root = lxml.html.fromstring(body, parser=parser, base_url=page_url)
    except (ParserError, ValueError, LookupError):
        return []
    page = urldefrag(page_url)[0]
    found: dict[str, FoundLink] = {}
    heading = ""
    # One pass in document order, remembering the last heading: asking each link for its
    # preceding heading with XPath is quadratic on drug lists with thousands of links.
    for node in root.iter("a", *_HEADINGS):
        if node.tag in _HEADINGS:
            heading = _text(node)
            continue
        anchor = node
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith("#") or href.lower().startswith(_SKIP_SCHEMES):
            continue
        if anchor.xpath(_SKIP_ANCESTORS):
            continue
        url = urldefrag(urljoin(page_url, href))[0]
        if url == page or urlsplit(url).scheme not in ("http", "https") or url in found:
            continue
        link = _qualify(anchor, url, heading)
        if link is not None:
            found[url] = link
    return list(found.values())


def _qualify(anchor: lxml.html.HtmlElement, url: str, heading: str) -> FoundLink | None:
    link_text = _text(anchor) or (anchor.get("title") or "").strip()
    block = _block(anchor)
    row = _row_text(block) if block is not None else ""
    generic = bool(GENERIC_LINK_TEXT.match(link_text))
    for matched_on, text in (("link", link_text), ("row", row), ("heading", heading)):
        drugs = drugs_named(text) if text else []
        if not drugs:
            continue
        if matched_on == "link" and not generic:
            title = link_text
        elif matched_on == "heading":
            title = f"{heading}: {link_text}" if link_text and not generic else heading
        else:
            title = _row_title(block, anchor, link_text) if block is not None else link_text
        return FoundLink(
            url=url,
            link_text=link_text,
            title=_clip(title),
            matched_on=matched_on,
            drugs=drugs,
            content_type=anchor.get("type"),
        )
    return None
