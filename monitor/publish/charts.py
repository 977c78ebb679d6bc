"""Charts drawn server-side as SVG: a coverage timeline per source, changes per month.

Pure functions of the site model: no script, no external asset, and the same data gives the same
bytes (dates come from the data, never from the clock).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from monitor.publish.gate import PublishedChange
from monitor.publish.glossary import DRUG_SHORT, GROUP_FILL, stance_words
from monitor.publish.model import SourceView

W = 640
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"'
MIN_SPAN = timedelta(days=30)


def _open(height: int, title: str, cls: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" viewBox="0 0 {W} {height}" '
        f'width="{W}" height="{height}" role="img" {FONT}><title>{escape(title)}</title>'
    )


def _segments(
    view: SourceView, drug: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, str | None]]:
    """Stance over time for one drug: before each confirmed change its old stance, after the
    last one the current stance."""
    current = next((r.stance for r in view.drug_rows if r.drug == drug), None)
    changes = sorted(
        (c.event for c in view.changes if c.event.drug == drug),
        key=lambda e: e.detected_at,
    )
    out: list[tuple[datetime, datetime, str | None]] = []
    cursor = start
    for ev in changes:
        stance = ev.stance_before if ev.stance_before not in ("absent", "unknown") else None
        out.append((cursor, ev.detected_at, stance))
        cursor = ev.detected_at
    out.append((cursor, end, current))
    return [s for s in out if s[1] > s[0]]


def timeline_svg(view: SourceView, as_of: datetime) -> str:
    """One row per drug the source covers, coloured by stance; ticks for archived versions,
    diamonds for confirmed changes."""
    drugs = [d for d in ("esketamine", "ketamine") if any(r.drug == d for r in view.drug_rows)]
    stamps = [*view.versions, *(c.event.detected_at for c in view.changes)]
    start = min(stamps, default=as_of)
    end = max([as_of, *stamps])
    if end - start < MIN_SPAN:
        start = end - MIN_SPAN
    left, right = 92, W - 12
    span = (end - start).total_seconds()

    def x(t: datetime) -> float:
        return round(left + (right - left) * (t - start).total_seconds() / span, 1)

    # Nothing is known before the first archived version: the bars start there.
    known_from = view.versions[0] if view.versions else start
    rows = max(len(drugs), 1)
    height = 34 + rows * 30 + 26
    parts = [_open(height, f"Timeline of {view.info.title}", "timeline")]
    for i, drug in enumerate(drugs):
        y = 30 + i * 30
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="13" fill="#1d2329">{DRUG_SHORT[drug]}</text>'
        )
        for a, b, stance in _segments(view, drug, known_from, end):
            words = stance_words(stance)
            parts.append(
                f'<rect class="segment" data-stance="{stance or "none"}" x="{x(a)}" y="{y}" '
                f'width="{max(round(x(b) - x(a), 1), 1)}" height="18" '
                f'fill="{GROUP_FILL[words.group]}"><title>{escape(words.label)} '
                f"({a:%Y-%m-%d} to {b:%Y-%m-%d})</title></rect>"
            )
    if not drugs:
        parts.append(
            f'<text x="{left}" y="44" font-size="13" fill="#5d6670">No ketamine or Spravato '
            "coverage read from this document yet.</text>"
        )
    axis = 30 + rows * 30 + 2
    parts.append(f'<line x1="{left}" y1="{axis}" x2="{right}" y2="{axis}" stroke="#9aa3ab"/>')
    for t in view.versions:
        parts.append(
            f'<line class="version" x1="{x(t)}" y1="{axis - 6}" x2="{x(t)}" y2="{axis + 6}" '
            f'stroke="#1d2329"><title>archived version {t:%Y-%m-%d %H:%M} UTC</title></line>'
        )
    for c in view.changes:
        cx, cy = x(c.event.detected_at), 22
        parts.append(
            f'<path class="change" d="M{cx} {cy - 6} L{cx + 6} {cy} L{cx} {cy + 6} '
            f'L{cx - 6} {cy} Z" fill="#1d2329"><title>{escape(c.text)}</title></path>'
        )
    parts.append(
        f'<text x="{left}" y="{axis + 20}" font-size="12" fill="#5d6670">{start:%Y-%m-%d}</text>'
        f'<text x="{right}" y="{axis + 20}" font-size="12" fill="#5d6670" '
        f'text-anchor="end">{end:%Y-%m-%d}</text>'
    )
    parts.append("</svg>")
    return "".join(parts) + "\n"


def _months_back(as_of: datetime, count: int) -> list[tuple[int, int]]:
    year, month = as_of.year, as_of.month
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


_MONTH = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def months_svg(changes: Sequence[PublishedChange], as_of: datetime, months: int = 12) -> str:
    """Confirmed changes per month over the last ``months`` months up to the data's date."""
    counts = Counter((c.event.detected_at.year, c.event.detected_at.month) for c in changes)
    keys = _months_back(as_of, months)
    top = max([counts.get(k, 0) for k in keys] + [1])
    left, base, plot_h = 28, 150, 120
    bar_w = (W - left - 8) / months
    parts = [_open(178, "Confirmed coverage changes per month", "months")]
    parts.append(f'<line x1="{left}" y1="{base}" x2="{W - 8}" y2="{base}" stroke="#9aa3ab"/>')
    parts.append(
        f'<text x="0" y="{base - plot_h + 10}" font-size="12" fill="#5d6670">{top}</text>'
        f'<text x="0" y="{base}" font-size="12" fill="#5d6670">0</text>'
    )
    for i, (year, month) in enumerate(keys):
        n = counts.get((year, month), 0)
        h = round(plot_h * n / top, 1)
        x = round(left + i * bar_w + 3, 1)
        parts.append(
            f'<rect class="bar" data-month="{year}-{month:02d}" data-count="{n}" x="{x}" '
            f'y="{round(base - h, 1)}" width="{round(bar_w - 6, 1)}" height="{h}" '
            f'fill="#2166ac"><title>{_MONTH[month - 1]} {year}: {n} change(s)</title></rect>'
        )
        if n:
            parts.append(
                f'<text x="{round(x + (bar_w - 6) / 2, 1)}" y="{round(base - h - 4, 1)}" '
                f'font-size="12" text-anchor="middle" fill="#1d2329">{n}</text>'
            )
        parts.append(
            f'<text x="{round(x + (bar_w - 6) / 2, 1)}" y="{base + 16}" font-size="11" '
            f'text-anchor="middle" fill="#5d6670">{_MONTH[month - 1]}</text>'
        )
        if month == 1 or i == 0:
            parts.append(
                f'<text x="{round(x + (bar_w - 6) / 2, 1)}" y="{base + 28}" font-size="11" '
                f'text-anchor="middle" fill="#5d6670">{year}</text>'
            )
    parts.append("</svg>")
    return "".join(parts) + "\n"
