"""HTML renderers: the change report and the coverage matrix (pure: plain data in, text out)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from jinja2 import DictLoader, Environment, StrictUndefined
from markupsafe import Markup

from monitor.reports.archive import Links
from monitor.reports.matrix import medicaid_gaps, medicaid_spread, sections
from monitor.reports.model import EventView, MatrixRow, Period
from monitor.reports.present import (
    ClausePair,
    CriterionRow,
    clause_pair,
    criteria_rows,
    day,
    drug_label,
    matrix_criteria,
    plan_type_label,
    stance_class,
    stance_label,
    strip_payer,
    when,
)
from monitor.reports.safe import safe_url
from monitor.reports.templates import CSS, TEMPLATES
from monitor.reports.weeks import Page, PageLine, PayerLine

# C0 controls other than tab/newline/CR are invalid in HTML text and show as boxes.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _finalize(value: object) -> object:
    """Applied to every ``{{ value }}`` before escaping: drop control characters from text."""
    if type(value) is str or (isinstance(value, str) and not isinstance(value, Markup)):
        return _CONTROLS.sub("", value)
    return value


@lru_cache(maxsize=8)
def _environment(links: Links) -> Environment:
    # autoescape=True for every template: crawled text (titles, clauses, summaries, even the
    # payer name) must never become markup.
    env = Environment(
        loader=DictLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters.update(
        stance_label=stance_label,
        stance_class=stance_class,
        drug_label=drug_label,
        plan_type_label=plan_type_label,
        when=when,
        day=day,
        safe_url=safe_url,
        archive_href=links.snapshot,
        matrix_criteria=matrix_criteria,
    )
    return env


def period_text(period: Period) -> str:
    # ``until`` is exclusive; people read the last day included.
    last = day(period.until - timedelta(microseconds=1)) if period.until else ""
    if period.since and period.until:
        return f"{day(period.since)} to {last}"
    if period.since:
        return f"since {day(period.since)}"
    if period.until:
        return f"up to {last}"
    return "all stored events"


@dataclass(frozen=True)
class ChangeView:
    """What one change card shows, computed once outside the template."""

    event: EventView
    summary: str
    title: str
    policy_number: str | None
    pairs: list[ClausePair]
    criteria: list[CriterionRow]


def change_view(ev: EventView) -> ChangeView:
    detail = ev.detail
    facts = detail.get("facts_after") or detail.get("facts_before") or {}
    return ChangeView(
        event=ev,
        summary=strip_payer(ev.summary, ev.source.payer),
        title=str(facts.get("title") or ev.source.title),
        policy_number=facts.get("policy_number"),
        pairs=[clause_pair(c) for c in detail.get("clause_changes") or []],
        criteria=criteria_rows(
            detail.get("criteria_before") or {}, detail.get("criteria_after") or {}
        ),
    )


@dataclass(frozen=True)
class MatrixLine:
    """A matrix row and whether it opens a new payer (state) or document, to print them once."""

    row: MatrixRow
    lead: bool
    lead_doc: bool


@dataclass(frozen=True)
class MatrixGroup:
    title: str
    by_state: bool
    lines: list[MatrixLine]


def matrix_groups(rows: Sequence[MatrixRow]) -> list[MatrixGroup]:
    groups = []
    for section in sections(rows):
        lines: list[MatrixLine] = []
        previous: MatrixRow | None = None
        for row in section.rows:
            key = row.source.state if section.by_state else row.source.payer
            old = None
            if previous is not None:
                old = previous.source.state if section.by_state else previous.source.payer
            lead = previous is None or key != old
            lead_doc = lead or previous is None or previous.source.id != row.source.id
            lines.append(MatrixLine(row, lead, lead_doc))
            previous = row
        groups.append(MatrixGroup(section.title, section.by_state, lines))
    return groups


def _render(name: str, links: Links, **context: object) -> str:
    return "".join(_stream(name, links, **context))


def _stream(name: str, links: Links, **context: object) -> Iterator[str]:
    """The page in pieces as the template makes them, so a big one is never one string."""
    template = _environment(links).get_template(name)
    # The stylesheet is ours, not crawled: Markup keeps its quotes intact inside <style>.
    pieces = template.generate(css=Markup(CSS), **context)
    for first in pieces:  # the template's leading blank lines are not part of the page
        if first := first.lstrip():
            yield first
            break
    yield from pieces
    yield "\n"


def render_changes_html(
    events: Sequence[EventView],
    period: Period,
    links: Links,
    *,
    nav: Sequence[tuple[str, str]] = (),
) -> str:
    """The change report: significant changes as cards, operator events collapsed below."""
    return _changes_page(
        events,
        links,
        nav,
        title="Coverage changes · policywatch",
        period=period_text(period),
        generated=when(period.generated_at),
        awaiting=period.awaiting_review,
    )


def render_week_html(
    page: Page,
    generated_at: datetime,
    links: Links,
    *,
    nav: Sequence[tuple[str, str]] = (),
) -> str:
    """One page of the change report: a week's (or part's) cards and operator events."""
    return _changes_page(
        page.events,
        links,
        nav,
        title=f"Coverage changes, {page.label} · policywatch",
        period=page.title,
        generated=when(generated_at),
        awaiting=0,  # counted on the index, over the whole period
    )


def _changes_page(
    events: Sequence[EventView],
    links: Links,
    nav: Sequence[tuple[str, str]],
    **context: object,
) -> str:
    return _render(
        "changes.html",
        links,
        changes=[change_view(e) for e in events if e.published],
        operator=[e for e in events if not e.published],
        nav_items=list(nav),
        **context,
    )


def render_changes_index(
    lines: Sequence[PageLine],
    payers: Sequence[PayerLine],
    period: Period,
    links: Links,
    *,
    nav: Sequence[tuple[str, str]] = (),
) -> str:
    """The change report's index: changes per week (page) and per payer, linking each page."""
    return _render(
        "changes-index.html",
        links,
        title="Coverage changes · policywatch",
        period=period_text(period),
        generated=when(period.generated_at),
        changes=sum(w.changes for w in lines),
        other=sum(w.other for w in lines),
        awaiting=period.awaiting_review,
        pages=list(lines),
        payers=list(payers),
        nav_items=list(nav),
    )


def render_matrix_html(
    rows: Sequence[MatrixRow],
    period: Period,
    links: Links,
    *,
    nav: Sequence[tuple[str, str]] = (),
) -> Iterator[str]:
    """The coverage matrix: payer (or Medicaid state) × drug → stance, criteria, evidence.

    In pieces: with thousands of sources the page is tens of megabytes."""
    return _stream(
        "matrix.html",
        links,
        title="Coverage matrix · policywatch",
        generated=when(period.generated_at),
        sources=len({r.source.id for r in rows}),
        groups=matrix_groups(rows),
        spread=medicaid_spread(rows),
        gaps=medicaid_gaps(rows),
        nav_items=list(nav),
    )
