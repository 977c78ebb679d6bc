"""HTML to ordered blocks.

lxml parses the whole page, prunes site chrome and locates the content element: that is the
part that touches every byte, and lxml does it at C speed. Tables that mention a drug, whose
cells must be aligned with their column headers through row/col spans, are re-read from their
serialisation the way BeautifulSoup's lxml builder used to read them (same parser, same text),
without building a Python object per node.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lxml import etree
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

from .drugs import mentions_drug
from .model import Block, BlockKind
from .text import clean

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "object",
    "canvas",
    "button",
    "input",
    "select",
    "textarea",
    "label",
    "nav",
    "aside",
    "img",
    "video",
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "ul",
        "ol",
        "li",
        "table",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "form",
        "fieldset",
        "figure",
        "figcaption",
        "address",
        "center",
        "details",
        "summary",
        "hr",
        "tr",
        "td",
        "th",
        "tbody",
        "thead",
        "tfoot",
        "caption",
        "body",
    }
)
# Class/id words that mark page furniture rather than the document.
_CHROME_RE = re.compile(
    r"(?:^|[\s_-])(?:cookie|consent|onetrust|gdpr|breadcrumbs?|skip-link|sidebar|site-header|"
    r"site-footer|global-header|global-footer|navbar|megamenu|menu|social|share|sharing|toolbar|"
    r"print-?(?:friendly|version|link|button)|printer|banner-promo|chat-widget|feedback|"
    r"back-to-top|language-selector)(?:$|[\s_-])",
    re.I,
)
_PRINT_NOISE_RE = re.compile(
    r"^\s*(?:printer[- ]friendly(?: version| page)?|print(?: this page| page| version)?|"
    r"email(?: this page)?|share|download pdf|back to top|skip to (?:main )?content)\s*$",
    re.I,
)
_HIDING_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "search", "dialog", "alertdialog"}
)
# Where the document lives, in order of trust (see :func:`content_root`): <main>,
# role="main", <article>, one of these ids, a "content" class.
_CONTENT_IDS = frozenset({"content", "main-content", "maincontent", "main"})
# XPath's normalize-space() splits on these four characters only.
_XML_SPACE_RE = re.compile(r"[ \t\r\n]+")


def body_encoding(body: bytes, charset: str | None = None) -> str:
    """The encoding of an HTML body, as a browser would pick it.

    Byte-order mark, then the HTTP header's charset, then a ``<meta>`` declaration; a page that
    declares nothing is UTF-8 when its bytes decode strictly as UTF-8 (most of today's web),
    else windows-1252. libxml2 alone would read an undeclared UTF-8 page as Latin-1 and turn
    "SPRAVATO®" into "SPRAVATOÂ®", which no drug pattern matches.
    """
    bom, _ = read_bom(body)
    if bom:
        return bom
    for declared in (charset, html_body_declared_encoding(body[:4096])):
        if declared:
            return resolve_encoding(declared) or declared
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def parse(body: bytes, charset: str | None = None) -> etree._Element:
    """Parse bytes to an lxml tree in the encoding :func:`body_encoding` picks.

    Plain ``etree`` elements, not ``lxml.html`` ones: the html flavour looks up a Python
    element class for every node touched, which costs more than the parse itself.
    """
    root = etree.fromstring(body, parser=_parser_for(body_encoding(body, charset)))
    if root is None:
        raise ValueError("empty HTML document")
    return root


_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True)
_PARSERS: dict[str, etree.HTMLParser] = {}


def _parser_for(encoding: str) -> etree.HTMLParser:
    """One parser per encoding (building one costs more than parsing a small page)."""
    parser = _PARSERS.get(encoding)
    if parser is None:
        try:
            parser = etree.HTMLParser(encoding=encoding, remove_comments=True, remove_pis=True)
        except LookupError:  # a charset libxml2 does not know: let it sniff
            parser = _PARSER
        if len(_PARSERS) < 64:  # charsets come from the network: keep the cache bounded
            _PARSERS[encoding] = parser
    return parser


_STRING = etree.XPath("string()")


def text_of(el: etree._Element) -> str:
    """All text below an element, joined by lxml in C (no separators added)."""
    return str(_STRING(el))


def title_of(root: etree._Element) -> str | None:
    """The <title> text, for pages without an <h1>."""
    found = root.find(".//title")
    if found is None or not found.text:
        return None
    return clean(found.text) or None


def prune(root: etree._Element) -> None:
    """Remove everything a reader does not see or that is site furniture, in place."""
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    doomed: list[tuple[etree._Element, bool]] = []  # (element, drop only if its text is short)
    verdicts: dict[str, bool] = {}  # pages repeat a few class names thousands of times
    # One pass in Python over the elements: lxml's XPath "//" steps cost more than this loop.
    for el in root.iter(etree.Element):
        attrib = el.attrib
        if not attrib:
            own = el.text
            if own and len(own) < 40 and el.tag in _NOISE_TAGS and _PRINT_NOISE_RE.match(own):
                doomed.append((el, True))
            continue
        if el.tag in ("html", "body", "main"):
            continue
        if (
            "hidden" in attrib
            or attrib.get("aria-hidden") == "true"
            or attrib.get("role") in _HIDING_ROLES
            or "display:none" in attrib.get("style", "").replace(" ", "").lower()
        ):
            doomed.append((el, False))
            continue
        ident = f"{attrib.get('class', '')} {attrib.get('id', '')}"
        chrome = verdicts.get(ident)
        if chrome is None:
            chrome = verdicts[ident] = bool(_CHROME_RE.search(ident))
        own = el.text
        if chrome:
            doomed.append((el, False))
        elif own and len(own) < 40 and el.tag in _NOISE_TAGS and _PRINT_NOISE_RE.match(own):
            doomed.append((el, True))
    for el, only_if_short in doomed:
        # "Printer Friendly Version" links: drop only when that short text is all there is.
        if only_if_short and len(text_of(el)) >= 40:
            continue
        _drop(el)


_NOISE_TAGS = frozenset({"a", "span", "p", "li", "div"})


def _drop(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    # Keep the tail text: it belongs to the parent, not to the removed element.
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def content_root(root: etree._Element) -> etree._Element:
    """The element that holds the document: <main>, role=main, <article>, #content, or body."""
    for found in _content_candidates(root):
        if len(found) > 1:
            found.sort(key=lambda e: len(text_of(e)), reverse=True)
        if found and (len(found[0]) or (found[0].text or "").strip()):
            return found[0]
    body = root.find("body")
    return body if body is not None else root


def _content_candidates(root: etree._Element) -> Iterator[list[etree._Element]]:
    """Each rule's matches in document order, as the XPaths ``//main``, ``//*[@role='main']``,
    ``//article``, ``//*[@id='content' or ...]`` and ``//*[contains(concat(' ',
    normalize-space(@class), ' '), ' content ')]`` find them.

    Tag look-ups are filtered in C; the three attribute rules share one pass in Python, which
    costs less than one of those ``//*`` XPaths (five of them were a tenth of a page's
    extraction).
    """
    yield list(root.iter("main"))
    role: list[etree._Element] = []
    ids: list[etree._Element] = []
    classes: list[etree._Element] = []
    for el in root.iter(etree.Element):
        attrib = el.attrib
        if not attrib:
            continue
        if attrib.get("role") == "main":
            role.append(el)
        if attrib.get("id") in _CONTENT_IDS:
            ids.append(el)
        cls = attrib.get("class")
        if cls and "content" in cls and "content" in _XML_SPACE_RE.split(cls):
            classes.append(el)
    yield role
    yield list(root.iter("article"))
    yield ids
    yield classes


def strip_site_frame(root: etree._Element) -> None:
    """Drop top-level <header>/<footer> (the site's, not a document header inside <article>)."""
    for el in root.xpath(
        "//header[not(ancestor::main) and not(ancestor::article)]"
        "|//footer[not(ancestor::main) and not(ancestor::article)]"
    ):
        _drop(el)


def blocks_from_html(
    body: bytes, charset: str | None = None
) -> tuple[list[Block], str | None, Callable[[], str]]:
    """Blocks of the page's content, the <title>, and a function giving the content's raw text.

    The raw text is not whitespace-collapsed and is only read for pages without clauses, so
    it is computed on demand.
    """
    root = parse(body, charset)
    page_title = title_of(root)
    prune(root)
    strip_site_frame(root)
    content = content_root(root)
    builder = _Builder()
    builder.walk(content)
    builder.flush()
    return builder.blocks, page_title, lambda: text_of(content)


def blocks_from_fragment(fragment: str, heading_path: list[str] | None = None) -> list[Block]:
    """Blocks of an HTML fragment (a CMS API narrative field)."""
    if not fragment.strip():
        return []
    root = etree.fromstring(f"<html><body><div>{fragment}</div></body></html>", _PARSER)
    root = root.find("body/div") if root is not None else None
    if root is None:
        return []
    prune(root)
    builder = _Builder(list(heading_path or []))
    builder.walk(root)
    builder.flush()
    return builder.blocks


_SEPARATING = frozenset(_BLOCK_TAGS | {"br"})


def _inline_text(el: etree._Element, skip: frozenset[str] = frozenset()) -> str:
    """Text of an element as read on screen, without the sub-elements named in ``skip``."""
    if len(el) == 0:
        text = el.text
        return clean(text) if text else ""
    # Fast path: purely inline content, where lxml's C text serialisation reads it right.
    # iterdescendants(*tags) filters in C: no Python object per inline descendant.
    if next(el.iterdescendants(*_SEPARATING), None) is None:
        return clean(text_of(el))
    parts: list[str] = []

    def rec(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in skip:
                pass
            elif tag == "br":
                parts.append(" ")
            else:
                if tag in _BLOCK_TAGS:
                    parts.append(" ")
                rec(child)
                if tag in _BLOCK_TAGS:
                    parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    rec(el)
    return clean("".join(parts))


_LIST_SKIP = frozenset({"ul", "ol", "table", "dl"})


class _Builder:
    """Walks a content element and appends blocks in reading order."""

    def __init__(self, heading_path: list[str] | None = None) -> None:
        self.blocks: list[Block] = []
        self.headings: list[tuple[int, str]] = [(0, h) for h in heading_path or []]
        self.pending: list[str] = []
        self.groups = 0
        self._path: list[str] | None = None

    # -- helpers -----------------------------------------------------------------------------
    def path(self) -> list[str]:
        # Blocks under one heading share the path list: it is rebuilt (never mutated) when
        # the headings change, and building one list per block was a visible cost.
        if self._path is None:
            self._path = [h for _, h in self.headings]
        return self._path

    def emit(
        self,
        kind: BlockKind,
        text: str,
        level: int = 0,
        parent: int = -1,
        group: int = -1,
        columns: list[str] | None = None,
        cells: list[str] | None = None,
    ) -> int:
        path = self._path if self._path is not None else self.path()
        blocks = self.blocks
        blocks.append(Block(kind, text, path, level, columns or [], cells or [], parent, group))
        return len(blocks) - 1

    def flush(self) -> None:
        pending = self.pending
        if not pending:
            return
        text = clean("".join(pending)) if len(pending) > 1 else clean(pending[0])
        pending.clear()
        if text:
            self.emit("paragraph", text)

    def heading(self, level: int, text: str) -> None:
        self.flush()
        if not text:
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self._path = None
        self.emit("heading", text, level=level)
        self.headings.append((level, text))
        self._path = None

    # -- walk --------------------------------------------------------------------------------
    def walk(self, el: etree._Element) -> None:
        pending = self.pending
        if el.text:
            pending.append(el.text)
        for child in el:
            tag = child.tag  # a function for comments / entities: hashable, never a block tag
            if tag in _BLOCK_TAGS:
                if pending:
                    self.flush()
                self.block(child, tag)
            elif tag == "br":
                pending.append(" ")
            elif isinstance(tag, str):
                pending.append(_inline_text(child))
            tail = child.tail
            if tail:
                pending.append(tail)

    def block(self, el: etree._Element, tag: str) -> None:
        if tag in _HEADINGS:
            self.heading(_HEADINGS[tag], _inline_text(el))
        elif tag in ("ul", "ol"):
            self.list(el, 1, -1)
        elif tag == "table":
            self.table(el)
        elif tag == "dl":
            self.definitions(el)
        elif tag in _TEXT_TAGS or not _has_block_child(el):
            text = _inline_text(el)
            if text:
                if len(el) and _looks_like_heading(el, text):
                    self.heading(5, text.rstrip(":"))
                else:
                    self.emit("paragraph", text)
        else:
            self.walk(el)
            self.flush()

    def list(self, el: etree._Element, level: int, parent: int) -> None:
        self.groups += 1
        group = self.groups
        for li in el:
            if not isinstance(li.tag, str) or li.tag != "li":
                continue
            text = _inline_text(li, _LIST_SKIP)
            index = parent
            if text:
                index = self.emit("list_item", text, level=level, parent=parent, group=group)
            if not len(li):
                continue
            for sub in li.iter("ul", "ol", "table", "dl"):
                if sub.getparent() is not li and _nearest_li(sub) is not li:
                    continue
                if sub.tag in ("ul", "ol"):
                    self.list(sub, level + 1, index)
                elif sub.tag == "table":
                    self.table(sub)
                else:
                    self.definitions(sub)

    def definitions(self, el: etree._Element) -> None:
        term = ""
        for child in el.iter("dt", "dd"):
            text = _inline_text(child)
            if child.tag == "dt":
                if term:
                    self.emit("paragraph", term)
                term = text
            else:
                self.emit("paragraph", f"{term}: {text}" if term else text)
                term = ""
        if term:
            self.emit("paragraph", term)

    def table(self, el: etree._Element) -> None:
        self.groups += 1
        group = self.groups
        caption = el.find("caption")
        if caption is not None:
            text = _inline_text(caption)
            if text:
                self.emit("paragraph", text, group=group)
        if mentions_drug(text_of(el)):
            rows = _rows_bs(etree.tostring(el, encoding="unicode"))
        else:
            rows = _rows_lxml(el)
        header: list[str] = []
        path = self._path if self._path is not None else self.path()
        append = self.blocks.append
        for is_header, cells in rows:
            if is_header and not header:
                header = cells
                continue
            if not any(cells):
                continue
            # Rows are the bulk of large code tables: build the blocks inline.
            text = " | ".join([c for c in cells if c])
            append(Block("table_row", text, path, 0, header, cells, -1, group))


def _nearest_li(el: etree._Element) -> etree._Element | None:
    parent = el.getparent()
    while parent is not None and parent.tag != "li":
        parent = parent.getparent()
    return parent


_TEXT_TAGS = frozenset({"p", "dt", "dd", "figcaption", "caption", "summary"})


def _has_block_child(el: etree._Element) -> bool:
    return len(el) > 0 and next(el.iterdescendants(*_BLOCK_TAGS), None) is not None


def _looks_like_heading(el: etree._Element, text: str) -> bool:
    """A short paragraph that is all bold ("<p><strong>Initial Therapy</strong></p>")."""
    if len(text) > 80 or text.endswith("."):
        return False
    children = [c for c in el if isinstance(c.tag, str)]
    if len(children) != 1 or children[0].tag not in ("strong", "b"):
        return False
    return clean(text_of(children[0])) == text and not (el.text or "").strip()


def _rows_lxml(table: etree._Element) -> Iterator[tuple[bool, list[str]]]:
    """Rows of a table without drug content: cell texts, header flag from <th>."""
    for tr in table.iter("tr"):
        texts: list[str] = []
        is_header = True
        for c in tr:
            tag = c.tag
            if tag == "td":
                is_header = False
            elif tag != "th":
                continue
            if len(c):
                texts.append(_inline_text(c))
            else:
                text = c.text
                texts.append(clean(text) if text else "")
        yield is_header and bool(texts), texts


# Tags whose strings BeautifulSoup does not count as text (``get_text`` skips them): ruby
# annotations, and the code containers prune() has already removed from the page.
_NOT_TEXT = frozenset({"rt", "rp", "style", "script", "template"})


def _reparse(fragment: str) -> etree._Element | None:
    """``fragment`` parsed as BeautifulSoup's "lxml" builder parses it: libxml2's HTML push
    parser, fed the whole string at once, so the tree (and every implied end tag of the
    re-read serialisation, such as ``<td/>``) is the tree that builder gets."""
    parser = etree.HTMLParser(recover=True)
    parser.feed(fragment)
    return parser.close()


def _cell_text(cell: etree._Element) -> str:
    """The text ``Tag.get_text(" ")`` gives for a cell: its strings joined by spaces."""
    if next(cell.iterdescendants(*_NOT_TEXT), None) is None:
        return " ".join(cell.itertext())
    parts: list[str] = []

    def rec(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and child.tag not in _NOT_TEXT:
                rec(child)
            if child.tail:  # a tail belongs to the parent: it is text even after <rt>
                parts.append(child.tail)

    rec(cell)
    return " ".join(parts)


def _rows_bs(fragment: str) -> Iterator[tuple[bool, list[str]]]:
    """Rows of a drug table with row/col spans expanded so cells line up with the headers.

    The cells and their text are exactly what BeautifulSoup (lxml builder) read from the same
    serialised table, at a fraction of its cost: it builds a Python object per node, which
    made drug tables a quarter of an HTML page's extraction.
    """
    root = _reparse(fragment)
    if root is None:
        return
    # Strings anywhere inside <rt>/<rp> are not text to BeautifulSoup, not even a cell's own.
    muted = frozenset(root.iter(*_NOT_TEXT))
    carry: dict[int, tuple[int, str]] = {}  # column -> (rows left, text) from rowspans
    for tr in root.iter("tr"):
        cells: list[str] = []
        col = 0
        tags = [c for c in tr if c.tag == "td" or c.tag == "th"]
        is_header = bool(tags) and all(c.tag == "th" for c in tags)
        queue = list(tags)
        while queue or col in carry:
            if col in carry:
                left, text = carry.pop(col)
                cells.append(text)
                if left > 1:
                    carry[col] = (left - 1, text)
                col += 1
                continue
            cell = queue.pop(0)
            if muted and any(a in muted for a in cell.iterancestors()):
                text = ""
            else:
                text = clean(_cell_text(cell))
            span = _int(cell.get("colspan"))
            down = _int(cell.get("rowspan"))
            for _ in range(span):
                cells.append(text)
                if down > 1:
                    carry[col] = (down - 1, text)
                col += 1
        yield is_header, cells


def _int(value: object) -> int:
    try:
        return max(1, int(str(value)))
    except ValueError:
        return 1
