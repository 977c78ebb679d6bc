"""Query, render and write the reports: the only module here that touches both DB and disk."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from monitor.reports.archive import ARCHIVE_DIR, Links, export_snapshots, write_atomic
from monitor.reports.digest import render_digest_md
from monitor.reports.feed import render_atom
from monitor.reports.gate import awaiting_review, publishable
from monitor.reports.html import render_changes_html, render_matrix_html
from monitor.reports.jsondump import render_events_json
from monitor.reports.matrix import render_matrix_csv
from monitor.reports.model import EventView, MatrixRow, Period, VersionRef
from monitor.reports.queries import load_events, load_matrix

Nav = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class ReportInput:
    """What a renderer reads: the period's events or every source's current row, and links."""

    events: Sequence[EventView]
    rows: Sequence[MatrixRow]
    period: Period
    links: Links


@dataclass(frozen=True)
class ReportOutput:
    """One report: its ``--format`` name, its file name, its link label, what it reads."""

    format: str
    file: str  # its name in a report folder (`report --all`, every cycle, the digest job)
    label: str  # its link in the HTML reports' navigation
    reads: Literal["events", "matrix"]  # the period's change events, or the current matrix
    render: Callable[[ReportInput, Nav], str]  # nav: the links to the other files, if written


# Every report, once, in the order `report --all` writes and lists them.
OUTPUTS: tuple[ReportOutput, ...] = (
    ReportOutput(
        "html",
        "changes.html",
        "Changes",
        "events",
        lambda d, nav: render_changes_html(d.events, d.period, d.links, nav=nav),
    ),
    ReportOutput(
        "matrix",
        "matrix.html",
        "Coverage matrix",
        "matrix",
        lambda d, nav: render_matrix_html(d.rows, d.period, d.links, nav=nav),
    ),
    ReportOutput(
        "csv", "matrix.csv", "Matrix CSV", "matrix", lambda d, _: render_matrix_csv(d.rows, d.links)
    ),
    ReportOutput(
        "md",
        "digest.md",
        "Digest",
        "events",
        lambda d, _: render_digest_md(d.events, d.period, d.links),
    ),
    ReportOutput(
        "atom",
        "feed.atom",
        "Atom feed",
        "events",
        lambda d, _: render_atom(d.events, d.period, d.links),
    ),
    ReportOutput(
        "json",
        "changes.json",
        "JSON",
        "events",
        lambda d, _: render_events_json(d.events, d.period, d.links),
    ),
)
BY_FORMAT = {o.format: o for o in OUTPUTS}
FORMATS: tuple[str, ...] = tuple(BY_FORMAT)
FILES: tuple[str, ...] = tuple(o.file for o in OUTPUTS)
NAV: Nav = tuple((o.label, o.file) for o in OUTPUTS)


def report_output(fmt: str) -> ReportOutput:
    try:
        return BY_FORMAT[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}") from None


def _refs(events: Iterable[EventView], rows: Iterable[MatrixRow]) -> list[VersionRef]:
    refs = [r for e in events for r in (e.before, e.after) if r is not None]
    refs += [r.evidence for r in rows if r.evidence is not None]
    return refs


def _write_text(path: Path, text: str) -> Path:
    # Crawled text may hold lone surrogates that UTF-8 cannot encode; never fail a report on it.
    write_atomic(path, text.encode("utf-8", errors="replace"))
    return path


def render_events_report(
    session: Session,
    fmt: str,
    *,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    archive_base_url: str = "",
    require_review: bool = True,
) -> tuple[str, list[VersionRef]]:
    """One event report (html, md, atom, json) as text, and the snapshots it cites."""
    output = report_output(fmt)
    if output.reads != "events":
        raise ValueError(f"{fmt!r} is not a report of change events")
    links = Links.for_base_url(archive_base_url)
    stored = load_events(session, since=since, until=until)
    events = publishable(stored, require_review=require_review)
    period = Period(since, until, now, awaiting_review(stored) if require_review else 0)
    return output.render(ReportInput(events, [], period, links), ()), _refs(events, [])


def write_report(
    session: Session,
    fmt: str,
    out: Path,
    *,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    archive_base_url: str = "",
    require_review: bool = True,
) -> list[Path]:
    """Write one report to ``out`` and the snapshots it cites to ``out``'s ``archive/``.

    With ``require_review`` (``[publish] require_review``), only confirmed coverage changes.
    """
    if report_output(fmt).reads == "events":
        text, refs = render_events_report(
            session,
            fmt,
            since=since,
            until=until,
            now=now,
            archive_base_url=archive_base_url,
            require_review=require_review,
        )
    else:
        period = Period(since=since, until=until, generated_at=now)
        rows = load_matrix(session)
        data = ReportInput([], rows, period, Links.for_base_url(archive_base_url))
        text, refs = report_output(fmt).render(data, ()), _refs([], rows)
    archive = export_snapshots(session, refs, out.parent / ARCHIVE_DIR)
    return [_write_text(out, text), *archive]


def write_all_reports(
    session: Session,
    out_dir: Path,
    *,
    since: datetime | None,
    now: datetime,
    archive_base_url: str = "",
    require_review: bool = True,
) -> dict[str, Path]:
    """Write every report and the archived snapshots they cite into ``out_dir``.

    Returns file name → path for the six reports, plus ``"archive"`` → the snapshot directory.
    Events are those detected at or after ``since`` (all when None); the matrix is as of now.
    With ``require_review``, coverage changes appear only once an analyst confirmed them.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stored = load_events(session, since=since)
    events = publishable(stored, require_review=require_review)
    waiting = awaiting_review(stored) if require_review else 0
    period = Period(since=since, until=None, generated_at=now, awaiting_review=waiting)
    rows = load_matrix(session)
    archive_dir = out_dir / ARCHIVE_DIR
    export_snapshots(session, _refs(events, rows), archive_dir)
    data = ReportInput(events, rows, period, Links.for_base_url(archive_base_url))
    written = {o.file: _write_text(out_dir / o.file, o.render(data, NAV)) for o in OUTPUTS}
    written["archive"] = archive_dir
    return written
