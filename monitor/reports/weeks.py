"""The change report split by ISO week: which events go on which page, and what the index counts.

Pure: plain events in, plain summaries out. A week's page is named ``<stem>-<YYYY>-W<ww>.html``
beside the index (``changes.html`` → ``changes-2026-W48.html``), so links stay relative.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from monitor.reports.model import EventView


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


def page_name(stem: str, week: str, suffix: str = ".html") -> str:
    return f"{stem}-{week}{suffix}"


def by_week(events: Sequence[EventView]) -> dict[str, list[EventView]]:
    """Events per ISO week, newest week first; each week keeps the events' order."""
    weeks: dict[str, list[EventView]] = {}
    for ev in events:
        weeks.setdefault(iso_week(ev.detected_at), []).append(ev)
    return dict(sorted(weeks.items(), reverse=True))


@dataclass(frozen=True)
class WeekLine:
    """One row of the index: a week, its page and what it holds."""

    week: str
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
    weeks: list[tuple[str, str, int]]  # (week, href, events that week)


def index_lines(
    weeks: dict[str, list[EventView]], stem: str, suffix: str = ".html"
) -> tuple[list[WeekLine], list[PayerLine]]:
    """The index's rows: one per week (newest first) and one per payer (most changes first).

    Its size grows with weeks and (payer, week) pairs, never with the events' content.
    """
    week_lines = []
    changes: Counter[str] = Counter()
    other: Counter[str] = Counter()
    per_week: dict[str, Counter[str]] = {}
    for week, events in weeks.items():
        published = sum(1 for e in events if e.published)
        monday, sunday = week_days(week)
        week_lines.append(
            WeekLine(
                week,
                page_name(stem, week, suffix),
                f"{monday.isoformat()} to {sunday.isoformat()}",
                published,
                len(events) - published,
            )
        )
        for ev in events:
            payer = ev.source.payer
            (changes if ev.published else other)[payer] += 1
            per_week.setdefault(payer, Counter())[week] += 1
    payers = sorted(per_week, key=lambda p: (-changes[p], p.casefold(), p))
    payer_lines = [
        PayerLine(
            payer,
            changes[payer],
            other[payer],
            [
                (w, page_name(stem, w, suffix), n)
                for w, n in sorted(per_week[payer].items(), reverse=True)
            ],
        )
        for payer in payers
    ]
    return week_lines, payer_lines
