"""PDF to ordered blocks with pypdfium2.

pdfium gives text in reading order with line breaks; for each line we read the geometry of its
first and last character (a handful of calls per line, so the PDF still runs at hundreds of
pages per second). Geometry decides what plain text cannot: whether a line continues the block
above (hanging indent, would the next word have fitted), which lines are headings (larger or
bolder than body text), and which lines are running headers and footers (repeated in the top
or bottom band of most pages).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from ctypes import byref, c_double, c_int, create_string_buffer
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .model import Block, BlockKind
from .pdftable import GAP_EM, GAP_MIN, Table, find_tables, split_gaps
from .text import clean

_BULLET_RE = re.compile(
    r"^\s*(?:[•·▪◦●○■□➢►–\-](?=\s)|\(?\d{1,2}[.)](?=\s)|\(?[A-Za-z][.)](?=\s)|"
    r"\(?(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)[.)](?=\s))"
)
# A bare number before a sentence ("1 Diagnosis of treatment-resistant depression; and"): list
# renderers (reportlab's ListFlowable, some Word exports) number items without a period. It is
# a list item only with evidence (see :func:`_bare_item`); "18 Years" alone proves nothing.
_BARE_NUMBER_RE = re.compile(r"^\s*(\d{1,2})\s+(?=[A-Z(])")
_ENDS_WITH_CONNECTOR_RE = re.compile(r"[;,]\s*(?:and|or|and/or)\s*$", re.I)
_PAGE_NO_RE = re.compile(r"^\s*(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.I)
_HAS_PAGE_RE = re.compile(r"\bpage\s+\d+(?:\s+of\s+\d+)?\b", re.I)
# Compiled once: run for every line of a document.
_DIGITS_RE = re.compile(r"\d+")
_HYPHENATED_END_RE = re.compile(r"([A-Za-z]+)-$")
_LOWER_START_RE = re.compile(r"([a-z]+)")
_BAND = 0.09  # top and bottom share of the page where running headers and footers live


class PdfError(Exception):
    """The bytes are not a readable PDF."""


@dataclass
class _Line:
    text: str
    page: int
    x0: float
    x1: float
    y: float
    size: float
    bold: bool
    top_band: bool
    bottom_band: bool
    base: float = 0.0  # baseline of the first character
    # Cell fragments (left, right, text) when the line has column-wide gaps (a table row).
    frags: list[tuple[float, float, str]] | None = None


def read_lines(body: bytes) -> tuple[list[_Line], int]:
    """Text lines with geometry, and the page count."""
    try:
        doc = pdfium.PdfDocument(body)
    except pdfium.PdfiumError as exc:
        raise PdfError(str(exc)) from exc
    lines: list[_Line] = []
    # One set of out-parameters for every char-box call, and the raw pdfium functions:
    # the helper method allocates four ctypes doubles per call.
    left, right, low, high = c_double(), c_double(), c_double(), c_double()
    char_box = pdfium_c.FPDFText_GetCharBox
    origin = pdfium_c.FPDFText_GetCharOrigin
    count_rects = pdfium_c.FPDFText_CountRects
    try:
        pages = len(doc)
        for pno in range(pages):
            page = doc[pno]
            height = page.get_height()
            tp = page.get_textpage()
            text = tp.get_text_range()
            raw = tp.raw
            pos = 0
            for piece in text.split("\r\n"):
                stripped = piece.rstrip()
                if stripped and not stripped.isspace():
                    lead = len(stripped) - len(stripped.lstrip())
                    first = pos + lead
                    last = pos + len(stripped) - 1
                    char_box(raw, first, left, right, low, high)
                    x0, top = left.value, high.value
                    char_box(raw, last, left, right, low, high)
                    x1, bottom = right.value, low.value
                    origin(raw, first, left, low)
                    base = low.value
                    # Bullets are often drawn in a larger or symbol font: read the size of
                    # the first character after the marker, so a bullet line and its
                    # wrapped continuation lines have the same size.
                    bullet = _BULLET_RE.match(stripped)
                    marker = bullet or _BARE_NUMBER_RE.match(stripped)
                    sized = first
                    if marker is not None:
                        after = len(stripped) - len(stripped[marker.end() :].lstrip())
                        if after < len(stripped):
                            sized = pos + after
                    size = pdfium_c.FPDFText_GetFontSize(raw, sized)
                    # A line is bold only when it ends bold too: "Policy Number" labels are
                    # bold but their values are not, and such lines are not headings.
                    weight = min(
                        pdfium_c.FPDFText_GetFontWeight(raw, first),
                        pdfium_c.FPDFText_GetFontWeight(raw, last),
                    )
                    if (
                        weight < 600
                        and len(stripped) < 80
                        and not stripped.endswith((".", ";", ","))
                        and bullet is None
                    ):
                        # Standard-14 and many embedded fonts report no weight: the font
                        # name ("Helvetica-Bold", "Arial,Bold") says it. Only short lines
                        # can be headings, so only they pay for the name look-up.
                        weight = 700 if _bold_name(raw, first) and _bold_name(raw, last) else 0
                    text_line = stripped.strip()
                    frags = None
                    # Text runs of the line (one per text object): a gap between two runs
                    # as wide as a column gutter makes the line a candidate table row.
                    runs = count_rects(raw, first, last - first + 1)
                    if runs > 1:
                        frags = _fragments(raw, runs, text_line, pos + lead, size)
                    lines.append(
                        _Line(
                            text=text_line,
                            page=pno,
                            x0=x0,
                            x1=x1,
                            y=bottom,
                            size=round(size, 1),
                            bold=weight >= 600,
                            top_band=top > height * (1 - _BAND),
                            bottom_band=bottom < height * _BAND,
                            base=base,
                            frags=frags,
                        )
                    )
                pos += len(piece) + 2
            tp.close()
            page.close()
    finally:
        doc.close()
    return lines, pages


_L, _T, _R, _B = c_double(), c_double(), c_double(), c_double()
_LTRB = (byref(_L), byref(_T), byref(_R), byref(_B))  # made once: byref per call shows


def _fragments(
    raw: object, runs: int, text: str, offset: int, size: float
) -> list[tuple[float, float, str]] | None:
    """Split a line at column-wide gaps between its ``runs`` text rectangles (the rectangles
    of the last ``FPDFText_CountRects`` call); None when no gap is that wide."""
    get_rect = pdfium_c.FPDFText_GetRect
    pl, pt, pr, pb = _LTRB
    rects: list[tuple[float, float]] = []
    gap = max(GAP_MIN, GAP_EM * size)
    wide = False
    right = -1e9
    for k in range(runs):
        get_rect(raw, k, pl, pt, pr, pb)
        x0 = _L.value
        rects.append((x0, _R.value))
        wide = wide or (k > 0 and x0 - right >= gap)
        right = _R.value
    if not wide:
        return None
    # Where each wide-gap run starts in the text: right after a space (pdfium writes one
    # between text objects). Guess the space from the run's left edge in proportion to the
    # line's width, then walk to the right one: usually two char-box calls, where
    # FPDFText_GetCharIndexAtPos would scan the whole page.
    spaces = []
    at = text.find(" ")
    while at >= 0:
        spaces.append(at)
        at = text.find(" ", at + 1)
    starts = [0]
    if not spaces:
        return None
    x0, width = rects[0][0], max(1.0, rects[-1][1] - rects[0][0])
    char_box = pdfium_c.FPDFText_GetCharBox

    def left_of(space: int) -> float:
        # Left edge of the character after the space with index ``space`` in ``spaces``.
        char_box(raw, offset + spaces[space] + 1, pl, pr, pb, pt)
        return _L.value

    for k in range(1, runs):
        edge = rects[k][0] - 1.0
        if edge + 1.0 - rects[k - 1][1] < gap:
            starts.append(-1)
            continue
        i = min(bisect_left(spaces, int((edge - x0) / width * len(text))), len(spaces) - 1)
        # The first space whose next character starts at or right of the edge.
        if left_of(i) >= edge:
            while i > 0 and left_of(i - 1) >= edge:
                i -= 1
        else:
            while i + 1 < len(spaces) and left_of(i + 1) < edge:
                i += 1
            i += 1
        starts.append(spaces[i] + 1 if i < len(spaces) else -1)
    return split_gaps(text, rects, starts, size)


_NAME_BUF = create_string_buffer(128)
_FLAGS = c_int()
_BOLD_NAME_RE = re.compile(rb"bold|black|heavy|semibold|demi", re.I)


def _bold_name(raw: object, index: int) -> bool:
    """Is the character at ``index`` set in a font whose name says bold?"""
    n = pdfium_c.FPDFText_GetFontInfo(raw, index, _NAME_BUF, 128, byref(_FLAGS))
    return bool(n) and bool(_BOLD_NAME_RE.search(_NAME_BUF.value))


_LONE_BULLET_RE = re.compile(r"^[•·▪◦●○■□➢►◆❖✓➤–-]$")


def _join_lone_bullets(lines: list[_Line]) -> list[_Line]:
    """Glue a bullet glyph that pdfium reads as a line of its own to the text it marks.

    A bullet drawn in another font or at another baseline comes out as "•" alone, followed
    by the item text on the next line.
    """
    out: list[_Line] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if (
            nxt is not None
            and _LONE_BULLET_RE.match(ln.text)
            and nxt.page == ln.page
            and abs(nxt.y - ln.y) < max(ln.size, nxt.size) * 1.2
            and nxt.x0 > ln.x0
        ):
            nxt.text = f"{ln.text} {nxt.text}"
            nxt.x0 = ln.x0
            out.append(nxt)
            i += 2
            continue
        out.append(ln)
        i += 1
    return out


def _drop_running(lines: list[_Line], pages: int) -> list[_Line]:
    """Remove running headers/footers and page numbers."""

    def key(line: _Line) -> str:
        return _DIGITS_RE.sub("#", line.text.lower())

    repeated: Counter[str] = Counter()
    if pages > 1:
        seen = {(ln.page, key(ln)) for ln in lines if ln.top_band or ln.bottom_band}
        repeated.update(k for _, k in seen)
    threshold = max(2, (pages + 1) // 2)
    out = []
    for ln in lines:
        if ln.top_band or ln.bottom_band:
            if _PAGE_NO_RE.match(ln.text) or _HAS_PAGE_RE.search(ln.text):
                continue
            if pages > 1 and repeated[key(ln)] >= threshold:
                continue
        out.append(ln)
    return out


def blocks_from_pdf(body: bytes) -> tuple[list[Block], int, str]:
    """Blocks of a PDF, its page count, and its full text (for page-level checks)."""
    lines, pages = read_lines(body)
    lines = _join_lone_bullets(_drop_running(lines, pages))
    if not lines:
        return [], pages, ""
    text = "\n".join([ln.text for ln in lines])
    items = find_tables(lines)
    # Body text is what is left outside tables: in a drug list, the (smaller) cell text is
    # the most common size, and measured with it every paragraph would look like a heading.
    prose = [ln for ln in items if isinstance(ln, _Line)] or lines
    body_size = Counter(ln.size for ln in prose).most_common(1)[0][0]
    right = Counter(round(ln.x1 / 6) * 6 for ln in prose if ln.size == body_size)
    widest = max(ln.x1 for ln in prose)
    # The text's right margin: the furthest edge that several lines reach. With little prose
    # (a drug list), two short lines that happen to end together are not a margin.
    right_edge = max((x for x, n in right.items() if n >= 2 and x >= widest * 0.8), default=widest)
    vocab = _Vocabulary(text)
    return _assemble(items, body_size, right_edge, vocab), pages, text


_WORD_RE = re.compile(r"[a-z]{3,}")


class _Vocabulary:
    """The document's words, collected only if a hyphenated line break needs them."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._words: set[str] | None = None

    def __contains__(self, word: object) -> bool:
        if self._words is None:
            self._words = set(_WORD_RE.findall(self._text.lower()))
        return word in self._words


def _is_heading(ln: _Line, body_size: float) -> bool:
    if len(ln.text) > 100 or ln.text.endswith((".", ";", ",")) or _BULLET_RE.match(ln.text):
        return False
    return ln.size >= body_size + 0.9 or (ln.bold and len(ln.text) < 80)


def _bare_item(
    ln: _Line, prev: _Line | None, expected: int | None
) -> tuple[re.Match[str], bool] | None:
    """The bare number that makes ``ln`` a list item ("1 Diagnosis of TRD; and"), if any, and
    whether the evidence is strong enough to overrule heading typography.

    Evidence that a leading number is an item marker and not part of a sentence or a numbered
    heading: the item ends with a criteria connector ("; and", "; or") or the line before it
    introduces a list (ends with ":") — strong; or it is the next number of a list of such
    items — weak, since "2 Background" after item 1 may be a numbered section heading.
    """
    m = _BARE_NUMBER_RE.match(ln.text)
    if m is None:
        return None
    if _ENDS_WITH_CONNECTOR_RE.search(ln.text) or (
        prev is not None and prev.text.endswith(":") and int(m.group(1)) <= 1
    ):
        return m, True
    if expected is not None and int(m.group(1)) == expected:
        return m, False
    return None


def _assemble(
    lines: list[_Line | Table], body_size: float, right_edge: float, vocab: _Vocabulary
) -> list[Block]:
    blocks: list[Block] = []
    headings: list[tuple[float, str]] = []
    cur: list[str] = []
    cur_kind = ""
    cur_marker_x = 0.0
    cur_level = 0
    prev: _Line | None = None
    list_xs: list[float] = []
    next_number: int | None = None  # the number the next bare-numbered item would carry
    # Blocks under one heading share one path list (rebuilt, never mutated, when the
    # headings change), so later passes can classify each distinct path once.
    path: list[str] = []

    def flush() -> None:
        nonlocal cur, cur_kind, path
        if cur and cur_kind == "heading":
            text = clean(" ".join(cur))
            size = prev.size if prev else body_size
            while headings and headings[-1][0] <= size:
                headings.pop()
            blocks.append(
                Block(
                    kind="heading",
                    text=text,
                    heading_path=[h for _, h in headings],
                    level=1 + len(headings),
                )
            )
            headings.append((size, text))
            path = [h for _, h in headings]
        elif cur:
            text = clean(" ".join(cur))
            kind: BlockKind = "list_item" if cur_kind == "list_item" else "paragraph"
            blocks.append(
                Block(
                    kind=kind,
                    text=text,
                    heading_path=path,
                    level=cur_level if kind == "list_item" else 0,
                )
            )
        cur = []
        cur_kind = ""

    for ln in lines:
        if isinstance(ln, Table):
            flush()
            _table_blocks(blocks, ln, path)
            prev, list_xs, next_number = None, [], None
            continue
        found = _bare_item(ln, prev, next_number)
        if found is not None and not found[1] and _is_heading(ln, body_size):
            found = None
        bare = found[0] if found is not None else None
        if bare is None and _is_heading(ln, body_size):
            next_number = None
            if (
                cur_kind == "heading"
                and prev is not None
                and prev.size == ln.size
                and ln.y < prev.y
            ):
                # A heading wrapped over two lines.
                cur.append(ln.text)
                prev = ln
                continue
            flush()
            cur_kind = "heading"
            cur = [ln.text]
            prev = ln
            continue
        if cur_kind == "heading":
            flush()
        bullet = bare or _BULLET_RE.match(ln.text)
        if bullet:
            next_number = int(bare.group(1)) + 1 if bare is not None else None
            flush()
            cur_kind = "list_item"
            cur_marker_x = ln.x0
            while list_xs and list_xs[-1] > ln.x0 + 2:
                list_xs.pop()
            if not list_xs or abs(list_xs[-1] - ln.x0) > 2:
                list_xs.append(ln.x0)
            cur_level = len(list_xs)
            cur = [ln.text[bullet.end() :].strip()]
            prev = ln
            continue
        if cur and prev is not None and _continues(prev, ln, cur_kind, cur_marker_x, right_edge):
            last = cur[-1]
            if last.endswith("-") and ln.text[:1].islower():
                cur[-1] = _dehyphenate(last, ln.text, vocab)
                cur.append("\x00" + ln.text)
            else:
                cur.append(ln.text)
            cur = [_glue(cur)]
        else:
            flush()
            if cur_kind != "list_item":
                list_xs = []
            next_number = None
            cur_kind = "paragraph"
            cur = [ln.text]
        prev = ln
    flush()
    return blocks


def _table_blocks(blocks: list[Block], table: Table, path: list[str]) -> None:
    """A table's rows as ``table_row`` blocks (legend lines as paragraphs), like HTML tables."""
    for row in table.rows:
        if row.legend:
            blocks.append(Block(kind="paragraph", text=row.text, heading_path=path))
        else:
            blocks.append(
                Block(
                    kind="table_row",
                    text=row.text,
                    heading_path=path,
                    columns=row.columns,
                    cells=row.cells,
                    group=row.group,
                )
            )


def _glue(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if part.startswith("\x00"):
            out += part[1:]
        else:
            out = f"{out} {part}" if out else part
    return out


def _dehyphenate(last: str, nxt: str, vocab: _Vocabulary) -> str:
    """Repair a word broken at a line end: drop the hyphen only when the joined word is known.

    "treat-" + "ment" -> "treatment" (the document uses "treatment" elsewhere), but
    "health-" + "care" stays "health-care" unless the document spells "healthcare".
    """
    m = _HYPHENATED_END_RE.search(last)
    n = _LOWER_START_RE.match(nxt)
    if m and n and (m.group(1) + n.group(1)).lower() in vocab:
        return last[:-1]
    return last


def _continues(prev: _Line, ln: _Line, kind: str, marker_x: float, right_edge: float) -> bool:
    """Does ``ln`` continue the block whose last line is ``prev``?"""
    if ln.size != prev.size and abs(ln.size - prev.size) > 0.6:
        return False
    if kind == "list_item" and ln.x0 <= marker_x + 1.5:
        return False
    same_page = ln.page == prev.page
    if same_page:
        gap = prev.y - ln.y
        if gap < 0 or gap > prev.size * 1.9:
            return False
    if ln.text[:1].islower():
        return True
    if prev.text.endswith((".", ":", "?", "!")) and not prev.text.endswith(("e.g.", "i.e.")):
        return False
    # Would the next line's first word have fitted on the previous line? Then the break was
    # deliberate (a new paragraph), not a wrap.
    first_word = ln.text.split(" ", 1)[0]
    char_w = (ln.x1 - ln.x0) / max(1, len(ln.text))
    return prev.x1 + char_w * (len(first_word) + 1) > right_edge - 2
