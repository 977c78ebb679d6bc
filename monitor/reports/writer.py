"""Query, render and write the reports: the only module here that touches both DB and disk."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

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

# What `report --all` writes, in the order it lists them.
FILES = (
    "changes.html",
    "matrix.html",
    "matrix.csv",
    "digest.md",
    "feed.atom",
    "changes.json",
)
NAV = (
    ("Changes", "changes.html"),
    ("Coverage matrix", "matrix.html"),
    ("Matrix CSV", "matrix.csv"),
    ("Digest", "digest.md"),
    ("Atom feed", "feed.atom"),
    ("JSON", "changes.json"),
)

EventRenderer = Callable[[Sequence[EventView], Period, Links], str]
MatrixRenderer = Callable[[Sequence[MatrixRow], Period, Links], str]


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
    links = Links.for_base_url(archive_base_url)
    stored = load_events(session, since=since, until=until)
    events = publishable(stored, require_review=require_review)
    period = Period(since, until, now, awaiting_review(stored) if require_review else 0)
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
) -> list[Path]:
    """Write one report to ``out`` and the snapshots it cites to ``out``'s ``archive/``.

    With ``require_review`` (``[publish] require_review``), only confirmed coverage changes.
    """
    if fmt in EVENT_FORMATS:
        text, refs = render_events_report(
            session,
            fmt,
            since=since,
            until=until,
            now=now,
            archive_base_url=archive_base_url,
            require_review=require_review,
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
    links = Links.for_base_url(archive_base_url)
    rows = load_matrix(session)
    archive_dir = out_dir / ARCHIVE_DIR
    export_snapshots(session, _refs(events, rows), archive_dir)
    texts = {
        "changes.html": render_changes_html(events, period, links, nav=NAV),
        "matrix.html": render_matrix_html(rows, period, links, nav=NAV),
        "matrix.csv": render_matrix_csv(rows, links),
        "digest.md": render_digest_md(events, period, links),
        "feed.atom": render_atom(events, period, links),
        "changes.json": render_events_json(events, period, links),
    }
    written = {name: _write_text(out_dir / name, texts[name]) for name in FILES}
    written["archive"] = archive_dir
    return written
