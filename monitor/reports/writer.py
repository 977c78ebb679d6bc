"""Query, render and write the reports: the only module here that touches both DB and disk."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from monitor.reports.archive import ARCHIVE_DIR, Links, export_snapshots, write_atomic
from monitor.reports.digest import render_digest_md
from monitor.reports.feed import FEED_SIZE, newest, render_atom
from monitor.reports.gate import awaiting_review, publishable
from monitor.reports.html import (
    render_changes_html,
    render_changes_index,
    render_matrix_html,
    render_week_html,
)
from monitor.reports.jsondump import iter_events_json, render_events_json
from monitor.reports.manifest import Manifest, events_key, key
from monitor.reports.matrix import render_matrix_csv
from monitor.reports.model import EventView, MatrixRow, Period, VersionRef
from monitor.reports.queries import load_events, load_matrix, with_details
from monitor.reports.weeks import PAGE_SIZE, index_lines, pages


@dataclass(frozen=True)
class ReportOutput:
    """One report: its ``--format`` name, its file in a report folder, its navigation label."""

    format: str
    file: str  # the name `report --all`, every cycle and the digest job give it
    label: str  # its link in the HTML reports' navigation


# Every report, once, in the order `report --all` writes and lists them.
OUTPUTS: tuple[ReportOutput, ...] = (
    ReportOutput("html", "changes.html", "Changes"),
    ReportOutput("matrix", "matrix.html", "Coverage matrix"),
    ReportOutput("csv", "matrix.csv", "Matrix CSV"),
    ReportOutput("md", "digest.md", "Digest"),
    ReportOutput("atom", "feed.atom", "Atom feed"),
    ReportOutput("json", "changes.json", "JSON"),
)
BY_FORMAT = {o.format: o for o in OUTPUTS}
FILES: tuple[str, ...] = tuple(o.file for o in OUTPUTS)
NAV: tuple[tuple[str, str], ...] = tuple((o.label, o.file) for o in OUTPUTS)


def report_output(fmt: str) -> ReportOutput:
    """The report of a ``--format`` name."""
    try:
        return BY_FORMAT[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(BY_FORMAT)}") from None


EventRenderer = Callable[[Sequence[EventView], Period, Links], str]
MatrixRenderer = Callable[[Sequence[MatrixRow], Period, Links], str | Iterable[str]]


def _matrix_csv(rows: Sequence[MatrixRow], period: Period, links: Links) -> str:
    return render_matrix_csv(rows, links)


# One renderer per --format: the event reports take the period's events, the matrix reports
# take the current state of every source.
EVENT_FORMATS: dict[str, EventRenderer] = {
    "html": render_changes_html,
    "md": render_digest_md,
    "atom": render_atom,
    "json": render_events_json,
}
MATRIX_FORMATS: dict[str, MatrixRenderer] = {
    "matrix": render_matrix_html,
    "csv": _matrix_csv,
}
FORMATS: tuple[str, ...] = (*EVENT_FORMATS, *MATRIX_FORMATS)


def _refs(events: Iterable[EventView], rows: Iterable[MatrixRow]) -> list[VersionRef]:
    refs = [r for e in events for r in (e.before, e.after) if r is not None]
    refs += [r.evidence for r in rows if r.evidence is not None]
    return refs


def _write_text(path: Path, text: str | Iterable[str]) -> Path:
    # Crawled text may hold lone surrogates that UTF-8 cannot encode; never fail a report on it.
    if isinstance(text, str):
        write_atomic(path, text.encode("utf-8", errors="replace"))
    else:
        write_atomic(path, (piece.encode("utf-8", errors="replace") for piece in text))
    return path


def _period_key(period: Period) -> list[object]:
    """What a report shows of its period: not the time it was generated."""
    return [
        period.since.isoformat() if period.since else None,
        period.until.isoformat() if period.until else None,
        period.awaiting_review,
    ]


def _write_if_changed(
    out: Path, file_key: str, render: Callable[[], str | Iterable[str]], manifest: Manifest
) -> bool:
    """Render and write ``out`` unless the manifest says it already holds this data."""
    if manifest.current(out.name, file_key):
        return False
    _write_text(out, render())
    manifest.record(out.name, file_key)
    return True


def write_change_pages(
    out: Path,
    events: Sequence[EventView],
    period: Period,
    links: Links,
    manifest: Manifest,
    *,
    nav: Sequence[tuple[str, str]] = (),
    page_size: int = PAGE_SIZE,
    details: Callable[[Sequence[EventView]], list[EventView]] = list,
) -> list[Path]:
    """The change report as an index at ``out`` and a page per ISO week (or part) beside it.

    Only pages whose events (ids, review states, wording, evidence) changed are rendered, and
    only their events get their detail (``details``); pages that left the period are removed.
    Returns the index, then the pages.
    """
    stem, suffix = out.stem, out.suffix or ".html"
    report = pages(events, stem, suffix, page_size)
    page_lines, payer_lines = index_lines(report)
    back = [("All weeks", out.name), *[(label, href) for label, href in nav if href != out.name]]
    written: list[Path] = []
    for page in report:
        siblings = [(f"Part {p.part}", p.name) for p in report if p.week == page.week]
        page_nav = back + (sorted(siblings) if page.parts > 1 else [])
        _write_if_changed(
            out.with_name(page.name),
            events_key(page.events, page.title, links.base, page_nav),
            lambda p=page, n=page_nav: render_week_html(  # type: ignore[misc]
                replace(p, events=details(p.events)), period.generated_at, links, nav=n
            ),
            manifest,
        )
        written.append(out.with_name(page.name))
    wanted = {p.name for p in report}
    own = re.compile(re.escape(stem) + r"-\d{4}-W\d{2}(-\d+)?" + re.escape(suffix))
    for name in [n for n in manifest.files if own.fullmatch(n) and n not in wanted]:
        out.with_name(name).unlink(missing_ok=True)  # its events left the period
        manifest.forget(name)
    _write_if_changed(
        out,
        key(page_lines, payer_lines, _period_key(period), links.base, list(nav)),
        lambda: render_changes_index(page_lines, payer_lines, period, links, nav=nav),
        manifest,
    )
    return [out, *written]


def render_events_report(
    session: Session,
    fmt: str,
    *,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    archive_base_url: str = "",
    require_review: bool = True,
    feed_size: int = FEED_SIZE,
) -> tuple[str, list[VersionRef]]:
    """One event report (html, md, atom, json) as one text, and the snapshots it cites."""
    links = Links.for_base_url(archive_base_url)
    stored = load_events(session, since=since, until=until)
    events = publishable(stored, require_review=require_review)
    period = Period(since, until, now, awaiting_review(stored) if require_review else 0)
    if fmt == "atom":
        return render_atom(events, period, links, size=feed_size), _refs(
            newest(events, feed_size), []
        )
    return EVENT_FORMATS[fmt](events, period, links), _refs(events, [])


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
    feed_size: int = FEED_SIZE,
) -> list[Path]:
    """Write one report to ``out`` and the snapshots it cites to ``out``'s ``archive/``.

    The change report (html) is an index at ``out`` with one page per ISO week beside it.
    With ``require_review`` (``[publish] require_review``), only confirmed coverage changes.
    Returns ``out``, then the archived snapshots.
    """
    if fmt == "html":
        links = Links.for_base_url(archive_base_url)
        # Details (redlines, criteria) are read only for the pages that are rendered again.
        stored = load_events(session, since=since, until=until, with_detail=False)
        events = publishable(stored, require_review=require_review)
        period = Period(since, until, now, awaiting_review(stored) if require_review else 0)
        manifest = Manifest(out.parent)
        write_change_pages(
            out, events, period, links, manifest, details=lambda some: with_details(session, some)
        )
        archive = export_snapshots(session, _refs(events, []), out.parent / ARCHIVE_DIR)
        manifest.save()
        return [out, *archive]
    text: str | Iterable[str]
    if fmt in EVENT_FORMATS:
        text, refs = render_events_report(
            session,
            fmt,
            since=since,
            until=until,
            now=now,
            archive_base_url=archive_base_url,
            require_review=require_review,
            feed_size=feed_size,
        )
    elif fmt in MATRIX_FORMATS:
        period = Period(since=since, until=until, generated_at=now)
        rows = load_matrix(session)
        links = Links.for_base_url(archive_base_url)
        text, refs = MATRIX_FORMATS[fmt](rows, period, links), _refs([], rows)
    else:
        raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}")
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
    feed_size: int = FEED_SIZE,
    page_size: int = PAGE_SIZE,
) -> dict[str, Path]:
    """Write every report and the archived snapshots they cite into ``out_dir``.

    Returns file name → path for the six reports, plus ``"archive"`` → the snapshot directory
    (``changes.html`` is an index; each ISO week's changes are on ``changes-YYYY-Www.html``,
    a week of more than ``page_size`` events continues on ``changes-YYYY-Www-2.html``, ...).
    Events are those detected at or after ``since`` (all when None); the matrix is as of now.
    With ``require_review``, coverage changes appear only once an analyst confirmed them.
    A report whose data did not change since the last write into ``out_dir`` is not rendered
    again (see ``manifest``); the feed holds the ``feed_size`` newest coverage changes.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out_dir)
    # Details (redlines, criteria) are read only for the pages that are rendered again.
    stored = load_events(session, since=since, with_detail=False)
    events = publishable(stored, require_review=require_review)
    waiting = awaiting_review(stored) if require_review else 0
    period = Period(since=since, until=None, generated_at=now, awaiting_review=waiting)

    def details(some: Sequence[EventView]) -> list[EventView]:
        return with_details(session, some)

    links = Links.for_base_url(archive_base_url)
    rows = load_matrix(session)
    archive_dir = out_dir / ARCHIVE_DIR
    export_snapshots(session, _refs(events, rows), archive_dir)
    shown = _period_key(period)
    all_events = events_key(events, shown, links.base)
    matrix = key([repr(r) for r in rows], links.base)
    in_feed = newest(events, feed_size)
    feed = events_key(in_feed, shown, links.base, sum(1 for e in events if e.published))
    changes = BY_FORMAT["html"].file
    written = {changes: write_change_pages(
        out_dir / changes, events, period, links, manifest, nav=NAV, details=details,
        page_size=page_size,
    )[0]}  # fmt: skip
    # By --format: the key that says whether the file must be written again, and its renderer.
    others: dict[str, tuple[str, Callable[[], str | Iterable[str]]]] = {
        "matrix": (matrix, lambda: render_matrix_html(rows, period, links, nav=NAV)),
        "csv": (matrix, lambda: render_matrix_csv(rows, links)),
        "md": (all_events, lambda: render_digest_md(events, period, links)),
        "atom": (feed, lambda: render_atom(events, period, links, size=feed_size)),
        "json": (
            all_events,
            # In pieces, a batch of events (with their detail) at a time: the biggest report.
            lambda: iter_events_json(events, period, links, details=details),
        ),
    }
    for fmt, (file_key, render) in others.items():
        name = BY_FORMAT[fmt].file
        _write_if_changed(out_dir / name, file_key, render, manifest)
        written[name] = out_dir / name
    manifest.save()
    written = {name: written[name] for name in FILES}
    written["archive"] = archive_dir
    return written
