"""The change report split by ISO week: which events go on which page, and what the index counts.

Pure: plain events in, plain summaries out. A week's page is named ``<stem>-<YYYY>-W<ww>.html``
beside the index (``changes.html`` → ``changes-2026-W48.html``), so links stay relative. A
week with more than ``page_size`` events continues on ``changes-2026-W48-2.html``, ...: parts
are cut oldest first, so a new event changes only the week's last part.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from monitor.reports.model import EventView

PAGE_SIZE = 250  # events per page: a busy week stays a page a browser opens at once


def iso_week(when: datetime) -> str:
    """``2026-W48``: ISO year and week, so a week that spans New Year has one name."""
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def week_days(week: str) -> tuple[date, date]:
    """The Monday and Sunday of an ISO week name."""
    year, number = week.split("-W")
    return (
        date.fromisocalendar(int(year), int(number), 1),
        date.fromisocalendar(int(year), int(number), 7),
    )


def week_text(week: str) -> str:
    monday, sunday = week_days(week)
    return f"week {week} ({monday.isoformat()} to {sunday.isoformat()})"


def page_name(stem: str, week: str, part: int = 1, suffix: str = ".html") -> str:
    return f"{stem}-{week}{suffix}" if part == 1 else f"{stem}-{week}-{part}{suffix}"


@dataclass(frozen=True)
class Page:
    """One page of the change report: a week, or a part of a busy week."""

    week: str
    part: int
    parts: int
    name: str
    events: list[EventView]  # newest first

    @property
    def label(self) -> str:
        return self.week if self.parts == 1 else f"{self.week} ({self.part}/{self.parts})"

    @property
    def title(self) -> str:
        text = week_text(self.week)
        return text if self.parts == 1 else f"{text}, part {self.part} of {self.parts}"


def pages(
    events: Sequence[EventView], stem: str, suffix: str = ".html", page_size: int = PAGE_SIZE
) -> list[Page]:
    """The report's pages, newest week first and, within a week, its last part first."""
    weeks: dict[str, list[EventView]] = {}
    for ev in events:
        weeks.setdefault(iso_week(ev.detected_at), []).append(ev)
    size = max(page_size, 1)
    out: list[Page] = []
    for week in sorted(weeks, reverse=True):
        oldest_first = sorted(weeks[week], key=lambda e: (e.detected_at, e.id))
        chunks = [oldest_first[i : i + size] for i in range(0, len(oldest_first), size)]
        for part in range(len(chunks), 0, -1):
            name = page_name(stem, week, part, suffix)
            out.append(Page(week, part, len(chunks), name, chunks[part - 1][::-1]))
    return out


@dataclass(frozen=True)
class PageLine:
    """One row of the index: a page and what it holds."""

    label: str
    href: str
    days: str
    changes: int
    other: int


@dataclass(frozen=True)
class PayerLine:
    """One payer on the index: its counts, and the weeks it appears in with their counts."""

    payer: str
    changes: int
    other: int
    weeks: list[tuple[str, str, int]]  # (week, href of its first page, events of the payer)


def _days(page: Page) -> str:
    if page.parts == 1:
        monday, sunday = week_days(page.week)
        return f"{monday.isoformat()} to {sunday.isoformat()}"
    first, last = page.events[-1].detected_at.date(), page.events[0].detected_at.date()
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def index_lines(report: Sequence[Page]) -> tuple[list[PageLine], list[PayerLine]]:
    """The index's rows: one per page (newest first) and one per payer (most changes first).

    Its size grows with pages and (payer, week) pairs, never with the events' content.
    """
    lines = []
    changes: Counter[str] = Counter()
    other: Counter[str] = Counter()
    first = {p.week: p.name for p in report if p.part == 1}
    per_week: dict[str, Counter[str]] = {}  # payer → week → events
    for page in report:
        published = sum(1 for e in page.events if e.published)
        lines.append(
            PageLine(page.label, page.name, _days(page), published, len(page.events) - published)
        )
        for ev in page.events:
            payer = ev.source.payer
            (changes if ev.published else other)[payer] += 1
            per_week.setdefault(payer, Counter())[page.week] += 1
    payers = sorted(per_week, key=lambda p: (-changes[p], p.casefold(), p))
    payer_lines = [
        PayerLine(
            payer,
            changes[payer],
            other[payer],
            [(week, first[week], n) for week, n in sorted(per_week[payer].items(), reverse=True)],
        )
        for payer in payers
    ]
    return lines, payer_lines
