"""Tables in PDFs rebuilt from text positions: rows, columns, header, across page breaks.

pdfium reads a table as lines of text in drawing order: a row whose cells hold one line each
comes out as one line with wide gaps between the cells; a row with a wrapped cell comes out
cell by cell (the second cell's first line *above* the first cell's last line). Both are
evidence of a table: :func:`find_tables` takes the lines around such evidence, sorts their
cell fragments back onto geometric lines, finds the columns as the vertical bands of white
space that every line leaves free, and groups lines into rows (the extra space that cell
padding leaves between rows, or a new first-column cell). A table that goes on over a page
break keeps its columns; a header row repeated on the next page is dropped. Legend lines
("P = Preferred, NP = Non-preferred") are never rows.

Only lines near the evidence are examined, so pages without tables cost one comparison per
line.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Protocol, TypeVar

from .drugs import HCPCS_RE, ICD10_RE, mentions_drug
from .legend import is_legend
from .text import clean

# A split of a line at a gap this wide (in font sizes) is a column boundary.
GAP_EM = 1.2
GAP_MIN = 9.0  # points
# An upward jump larger than this (in font sizes) is a new text column or a float, not the
# next cell of a table row.
_MAX_CELL_JUMP_EM = 8.0
_MAX_INNER_LINES = 4  # lines without evidence that may sit between two evidenced lines

# List markers drawn apart from their text ("•", "1.", "(a)", a bare "1"): an indent, not a cell.
_MARKER_RE = re.compile(
    r"^\s*(?:[•·▪◦●○■□➢►–\-*o]|\(?\d{1,2}[.)]?|\(?[A-Za-z][.)]|\(?[ivx]{1,4}[.)])$"
)
_HEADER_WORD_RE = re.compile(
    r"\b(?:drug|drugs|product|products|name|medication|agent|status|tier|pa|prior auth\w*|"
    r"code|codes|hcpcs|cpt|ndc|descri\w*|notes?|comments?|criteria|limits?|ql|st|"
    r"quantity|preferred|non-?preferred|step|category|class|strength|form|route|date|"
    r"effective|coverage|covered|requirements?|dx|icd-?10)\b",
    re.I,
)
_CONTINUED_RE = re.compile(r"(?:[,(/&-]|\b(?:and|or|of|with|for|the|to))\s*$", re.I)


class Line(Protocol):
    text: str
    page: int
    x0: float
    x1: float
    y: float
    base: float
    size: float
    bold: bool
    frags: list[tuple[float, float, str]] | None


@dataclass
class TableRow:
    cells: list[str]
    columns: list[str]
    group: int
    legend: bool = False  # a legend line kept in place as a paragraph

    @property
    def text(self) -> str:
        return " | ".join(c for c in self.cells if c)


@dataclass
class Table:
    """A run of table rows (and legend lines) standing in for the lines it was read from."""

    page: int
    last_page: int
    columns: list[tuple[float, float]]
    header: list[str]
    rows: list[TableRow] = field(default_factory=list)
    group: int = 0


def split_gaps(
    text: str, rects: list[tuple[float, float]], starts: list[int], size: float
) -> list[tuple[float, float, str]] | None:
    """Cut a line into cell fragments at gaps of at least :data:`GAP_EM` font sizes.

    ``rects`` are the (left, right) extents of the line's text runs in reading order and
    ``starts`` the offset in ``text`` where each run begins. A gap after a lone list marker
    ("•", "1.") is the marker's indent, not a column boundary.
    """
    gap = max(GAP_MIN, GAP_EM * size)
    out: list[tuple[float, float, str]] = []
    left, right, start = rects[0][0], rects[0][1], 0
    for (x0, x1), at in zip(rects[1:], starts[1:], strict=True):
        piece = text[start:at].strip()
        if x0 - right >= gap and piece and not _MARKER_RE.match(piece) and 0 < at < len(text):
            out.append((left, right, piece))
            left, start = x0, at
        right = max(right, x1)
    out.append((left, right, text[start:].strip()))
    return out if len(out) > 1 else None


def _evidence(lines: Sequence[Line]) -> list[bool]:
    """Lines that look like part of a table: split at column gaps, or drawn cell by cell."""
    marks = [ln.frags is not None for ln in lines]
    for i in range(1, len(lines)):
        ln, prev = lines[i], lines[i - 1]
        if ln.page != prev.page:
            continue
        jump = ln.base - prev.base
        # Drawn above the line before it (by at least half a line): the next cell of a row
        # whose previous cell wrapped. Not much more than a few lines up: that is a text
        # column or a float.
        if 0.5 * ln.size < jump < _MAX_CELL_JUMP_EM * ln.size and ln.x0 > prev.x0 + ln.size:
            marks[i] = marks[i - 1] = True
    return marks


def _regions(lines: Sequence[Line], marks: list[bool]) -> list[tuple[int, int]]:
    """Index ranges [start, end) of lines around table evidence, one page each."""
    regions: list[tuple[int, int]] = []
    i, n = 0, len(lines)
    while i < n:
        if not marks[i]:
            i += 1
            continue
        start = end = i
        size = lines[i].size
        j = i + 1
        while j < n and j - end <= _MAX_INNER_LINES + 1:
            ln = lines[j]
            if ln.page != lines[i].page or abs(ln.size - size) > 1.6:
                break
            if marks[j]:
                end = j
            j += 1
        top = max(lines[k].base for k in range(start, end + 1)) + 0.45 * size
        bottom = min(lines[k].base for k in range(start, end + 1)) - 0.45 * size
        # Lines of the region's rows drawn before or after the evidence (a wrapped first
        # cell, the tail of a wrapped last cell).
        while (
            start > 0
            and (not regions or start > regions[-1][1])
            and _inside(lines[start - 1], lines[i].page, bottom, top, size)
        ):
            start -= 1
        while end + 1 < n and _inside(lines[end + 1], lines[i].page, bottom, top, size):
            end += 1
        regions.append((start, end + 1))
        i = end + 1
    return regions


def _inside(ln: Line, page: int, bottom: float, top: float, size: float) -> bool:
    return ln.page == page and bottom <= ln.base <= top and abs(ln.size - size) <= 1.6


@dataclass(slots=True)
class _Frag:
    x0: float
    x1: float
    base: float
    text: str
    bold: bool
    size: float
    src: Line


def _geometric_lines(lines: Sequence[Line]) -> list[list[_Frag]]:
    """The region's fragments on geometric lines, top to bottom, left to right."""
    frags: list[_Frag] = []
    for ln in lines:
        parts = ln.frags or [(ln.x0, ln.x1, ln.text)]
        frags.extend(_Frag(a, b, ln.base, t, ln.bold, ln.size, ln) for a, b, t in parts if t)
    frags.sort(key=lambda f: -f.base)
    out: list[list[_Frag]] = []
    for f in frags:
        if out and abs(out[-1][0].base - f.base) <= 0.45 * f.size:
            out[-1].append(f)
        else:
            out.append([f])
    for row in out:
        row.sort(key=lambda f: f.x0)
    return out


def _merge_spans(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    cols: list[tuple[float, float]] = []
    for x0, x1 in sorted(spans):
        if cols and x0 <= cols[-1][1] + 2:
            cols[-1] = (cols[-1][0], max(cols[-1][1], x1))
        else:
            cols.append((x0, x1))
    return cols


def _columns(glines: list[list[_Frag]]) -> list[tuple[float, float]]:
    """Column bands: the merged x-extents of the fragments of multi-cell lines."""
    return _merge_spans([(f.x0, f.x1) for g in glines if len(g) > 1 for f in g])


def _segments(glines: list[list[_Frag]]) -> list[list[list[_Frag]]]:
    """Cut a region where the column layout changes: a multi-cell line whose cells would
    merge two columns of the lines above, or a bold header line after rows (two tables one
    below the other)."""
    segments: list[list[list[_Frag]]] = [[]]
    cols: list[tuple[float, float]] = []
    multi = 0
    for g in glines:
        seg = segments[-1]
        if len(g) > 1:
            header_again = (
                multi >= 2 and all(f.bold for f in g) and not all(f.bold for f in seg[-1])
            )
            if not header_again and len(g) == len(cols):
                # The common case, a full row: each cell widens its own band.
                merged = [(min(a, f.x0), max(b, f.x1)) for f, (a, b) in zip(g, cols, strict=True)]
                if all(x[1] + 2 < y[0] for x, y in pairwise(merged)):
                    cols = merged
                    multi += 1
                    seg.append(g)
                    continue
            mine = [(f.x0, f.x1) for f in g]
            merged = _merge_spans(cols + mine)
            if (len(cols) >= 2 and len(merged) < len(cols)) or header_again:
                segments.append([])
                seg = segments[-1]
                merged, multi = _merge_spans(mine), 0
            cols = merged
            multi += 1
        seg.append(g)
    return [seg for seg in segments if seg]


def _column_of(f: _Frag, cols: list[tuple[float, float]], starts: list[float]) -> int | None:
    """The one column a fragment lies in (or, in the white space between bands, the nearest
    band to its left); None when it spans several (a caption, a title). ``starts`` are the
    bands' left edges less 2 points of tolerance."""
    i = bisect_left(starts, f.x1) - 1  # the last band that starts left of the fragment's end
    if i < 0:
        return 0
    if i > 0 and cols[i][1] + 2 > f.x0 and cols[i - 1][1] + 2 > f.x0:
        return None
    return i


def _is_header(cells: list[str], bold: bool) -> bool:
    filled = [c for c in cells if c]
    if len(filled) < 2 or any(len(c) > 40 for c in filled):
        return False
    if any(mentions_drug(c) or HCPCS_RE.search(c) or ICD10_RE.search(c) for c in filled):
        return False
    if bold:
        return True
    if any(ch.isdigit() for c in filled for ch in c):
        return False
    return all(_HEADER_WORD_RE.search(c) for c in filled)


def _build(region: Sequence[Line], group: int) -> list[Table | _SpanLine]:
    """The tables of one region, with the lines that are not rows of them in place."""
    out: list[Table | _SpanLine] = []
    for seg in _segments(_geometric_lines(region)):
        built = _build_one(seg, region[0].page, region[-1].page, group)
        if built is None:
            out.extend(_SpanLine(g) for g in seg)
        else:
            out.extend(built)
            group += 1
    return out


def _build_one(
    glines: list[list[_Frag]], page: int, last_page: int, group: int
) -> list[Table | _SpanLine] | None:
    """The table of one column layout (with any spanning lines in place), or None."""
    cols = _columns(glines)
    if len(cols) < 2 or sum(len(g) > 1 for g in glines) < 2:
        return None
    size = min(f.size for g in glines for f in g)
    placed: list[tuple[list[str], bool, float] | None] = []
    starts = [a - 2 for a, _ in cols]
    for g in glines:
        cells = [""] * len(cols)
        ok = True
        for f in g:
            c = _column_of(f, cols, starts)
            if c is None:
                ok = False
                break
            cells[c] = f"{cells[c]} {f.text}".strip()
        placed.append((cells, all(f.bold for f in g), g[0].base) if ok else None)
    pitches = [a[2] - b[2] for a, b in pairwise(placed) if a is not None and b is not None]
    leading = min(pitches, default=0.0)
    split = leading + max(2.0, 0.2 * size)
    bimodal = any(p > split for p in pitches)
    head: list[_SpanLine] = []
    while placed and placed[0] is None:
        placed.pop(0)
        head.append(_SpanLine(glines.pop(0)))
    tail: list[_SpanLine] = []
    while placed and placed[-1] is None:
        placed.pop()
        tail.insert(0, _SpanLine(glines.pop()))
    if sum(p is not None and sum(bool(c) for c in p[0]) > 1 for p in placed) < 2:
        return None
    table = Table(page, last_page, cols, [], group=group)
    out: list[Table | _SpanLine] = [*head, table]
    rows: list[tuple[list[str], bool]] = []
    prev: tuple[list[str], bool, float] | None = None
    for item, g in zip(placed, glines, strict=True):
        if item is None:
            out.append(_SpanLine(g))  # a row spanning the columns: a group label, a note
            prev = None
            continue
        cells, bold, base = item
        new_row = (
            prev is None
            or not rows
            or (prev[2] - base > split if bimodal else _starts_row(cells, rows[-1][0]))
        )
        if new_row:
            rows.append((cells, bold))
        else:
            last = rows[-1][0]
            for k, text in enumerate(cells):
                if text:
                    last[k] = _join(last[k], text)
            rows[-1] = (last, rows[-1][1] and bold)
        prev = item
    if _text_columns(cols, rows):
        return None
    for k, (cells, bold) in enumerate(rows):
        cells = [clean(c) for c in cells]
        if k == 0 and _is_header(cells, bold):
            table.header = cells
            continue
        legend = is_legend(" | ".join(c for c in cells if c))
        table.rows.append(TableRow(cells, table.header, group, legend))
    return [*out, *tail]


def _text_columns(cols: list[tuple[float, float]], rows: list[tuple[list[str], bool]]) -> bool:
    """Two wide bands of running prose side by side: a two-column page layout, not a table
    (a table has at least one column of short cells: names, codes, statuses)."""
    if len(cols) != 2 or any(b - a < 150 for a, b in cols):
        return False
    for k in (0, 1):
        texts = [r[0][k] for r in rows if r[0][k]]
        if not texts or sum(map(len, texts)) / len(texts) < 60:
            return False
    return True


def _starts_row(cells: list[str], last: list[str]) -> bool:
    """Without extra space between rows, a first-column cell starts a row unless the first
    column's text before it is unfinished ("…, ", "… and"). Case proves nothing: PDLs write
    generic names in lower case."""
    return bool(cells[0]) and not _CONTINUED_RE.search(last[0])


def _join(a: str, b: str) -> str:
    if a.endswith("-") and b[:1].islower():
        return a + b
    return f"{a} {b}" if a else b


class _SpanLine:
    """A spanning line inside a table region, handed back to paragraph assembly."""

    def __init__(self, frags: list[_Frag]) -> None:
        self.frags = frags


L = TypeVar("L", bound=Line)


def find_tables(lines: Sequence[L]) -> list[Table | L]:
    """``lines`` with each table region replaced by a :class:`Table` (tables continued over a
    page break are merged into one)."""
    marks = _evidence(lines)
    if not any(marks):
        return list(lines)
    out: list[Table | L] = []
    pos = 0
    group = 1
    for start, end in _regions(lines, marks):
        built = _build(lines[start:end], group)
        tables = sum(isinstance(item, Table) for item in built)
        if not tables:
            continue  # no table after all: the lines stay as they are
        group += tables
        out.extend(lines[pos:start])
        emitted: set[int] = set()
        for item in built:
            if isinstance(item, Table):
                out.append(item)
                continue
            # Lines that are not rows go back to paragraph assembly, each source line once.
            for f in item.frags:
                if id(f.src) not in emitted:
                    emitted.add(id(f.src))
                    out.append(f.src)  # type: ignore[arg-type]  # a line of ``lines``
        pos = end
    out.extend(lines[pos:])
    return _merge_continued(out)


def _merge_continued(items: list[Table | L]) -> list[Table | L]:
    """Join a table that goes on over a page break: same columns, next page, nothing but
    legend lines between. A header row repeated on the new page is dropped."""
    out: list[Table | L] = []
    last: Table | None = None
    between: list[L] = []
    for item in items:
        if isinstance(item, Table):
            mapping = _continues(last, item, between) if last is not None else None
            if last is not None and mapping is not None:
                if item.header and item.header != last.header and last.header:
                    # A new header: a new table after all.
                    out.extend(between)
                    out.append(item)
                    last, between = item, []
                    continue
                width = len(last.columns)
                for row in item.rows:
                    row.group = last.group
                    row.columns = last.header
                    if len(row.cells) != width:
                        cells = [""] * width
                        for k, text in zip(mapping, row.cells, strict=True):
                            cells[k] = text
                        row.cells = cells
                last.rows.extend(item.rows)
                last.last_page = item.last_page
                out.extend(between)
                between = []
                continue
            out.extend(between)
            out.append(item)
            last, between = item, []
        elif last is not None and (is_legend(item.text) or _carry_over(item, last)):
            between.append(item)
        else:
            out.extend(between)
            out.append(item)
            last, between = None, []
    out.extend(between)
    return out


_CONTINUED_CAPTION_RE = re.compile(r"\bcontinued\b|\(cont(?:'d|\.)?\)", re.I)


def _carry_over(ln: Line, table: Table) -> bool:
    """A short line at the top of the next page that announces the table goes on
    ("Antidepressants (continued)")."""
    return (
        ln.page == table.last_page + 1
        and len(ln.text) <= 80
        and bool(_CONTINUED_CAPTION_RE.search(ln.text))
    )


def _continues(a: Table, b: Table, between: Sequence[Line]) -> list[int] | None:
    """For a table ``b`` that goes on with ``a`` over a page break, the column of ``a`` that
    each of ``b``'s columns continues (a column empty on the new page has no band there);
    None when ``b`` is a different table."""
    if b.page != a.last_page + 1 or len(b.columns) > len(a.columns):
        return None
    if any(ln.page == b.page and not _CONTINUED_CAPTION_RE.search(ln.text) for ln in between):
        return None  # text at the top of the new page before it: a different table
    mapping: list[int] = []
    for x0, x1 in b.columns:
        hits = [i for i, (p, q) in enumerate(a.columns) if x0 < q + 6 and x1 > p - 6]
        if len(hits) != 1 or (mapping and hits[0] <= mapping[-1]):
            return None
        mapping.append(hits[0])
    return mapping
