"""Reports at scale: week pages with an index, the newest N in the feed, one archive file per
distinct content, and nothing rewritten when nothing changed (events inserted directly)."""

from __future__ import annotations

import hashlib
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy import select

from monitor.reports import write_all_reports
from monitor.reports.archive import EXPORTED
from monitor.reports.feed import entry_id
from monitor.reports.manifest import MANIFEST
from monitor.reports.weeks import iso_week
from storage.db import Database
from storage.models import ChangeEventRecord, Snapshot
from tests.reports.helpers import week_pages
from tests.reports.synthetic import fill

END = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
OLD = 1_000_000_000  # an mtime long past: a file that keeps it was not rewritten


@pytest.fixture
def many(tmp_path: Path) -> Iterator[Database]:
    """300 events (270 coverage changes) over 40 days: six or seven ISO weeks."""
    db = Database(f"sqlite:///{tmp_path / 'many.sqlite'}")
    fill(db, events=300, sources=30, end=END, days=40, bodies_per_source=3, payers=12)
    yield db
    db.dispose()


def write(db: Database, out: Path, **kw: object) -> dict[str, Path]:
    args: dict[str, object] = {"since": None, "now": END, "require_review": False, **kw}
    with db.session() as s:
        return write_all_reports(s, out, **args)  # type: ignore[arg-type]


def _events(db: Database) -> list[ChangeEventRecord]:
    with db.session() as s:
        return list(s.scalars(select(ChangeEventRecord)))


def _age(out: Path) -> None:
    for path in out.rglob("*"):
        os.utime(path, (OLD, OLD))


def _fresh(out: Path) -> set[str]:
    """Files written since ``_age``."""
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.stat().st_mtime > OLD}


def test_change_report_is_split_per_week_and_the_index_links_every_page(
    many: Database, tmp_path: Path
) -> None:
    index = write(many, tmp_path)["changes.html"]
    stored = _events(many)
    weeks = Counter(iso_week(e.detected_at) for e in stored)
    assert len(weeks) >= 6
    assert [p.name for p in week_pages(index)] == [
        f"changes-{w}.html" for w in sorted(weeks, reverse=True)
    ]
    doc = lxml.html.fromstring(index.read_text(encoding="utf-8"))
    assert doc.cssselect("article.change") == []  # the index holds counts, not changes
    rows = doc.cssselect("table.weeks tbody tr")
    per_week = {}
    for tr in rows:
        cells = [td.text_content() for td in tr.cssselect("td")]
        href = tr.cssselect("a")[0].get("href")
        assert (tmp_path / href).is_file()
        per_week[cells[0]] = int(cells[2]) + int(cells[3])
    assert per_week == dict(weeks)
    payer_rows = doc.cssselect("table.payers tbody tr")
    assert len(payer_rows) == 12
    assert sum(int(tr.cssselect("td")[1].text_content()) for tr in payer_rows) == 270
    for a in doc.cssselect("table.payers a"):
        assert (tmp_path / a.get("href")).is_file()
    # Each change is on its week's page, once, with its redline.
    cards: dict[str, str] = {}
    for page in week_pages(index):
        week = page.stem.removeprefix("changes-")
        html = lxml.html.fromstring(page.read_text(encoding="utf-8"))
        for card in html.cssselect("article.change"):
            cards[card.get("id")] = week
            assert card.cssselect("td.before del") and card.cssselect("td.after ins")
        nav = [a.get("href") for a in html.cssselect("nav.reports a")]
        assert nav[0] == "changes.html"
    expected = {f"event-{e.id}": iso_week(e.detected_at) for e in stored if e.significant}
    assert cards == expected


def test_evidence_links_open_the_archived_bytes_and_identical_bytes_are_stored_once(
    many: Database, tmp_path: Path
) -> None:
    index = write(many, tmp_path)["changes.html"]
    with many.session() as s:
        snaps = {snap.id: snap.sha256 for snap in s.scalars(select(Snapshot))}
    hrefs = set()
    for page in week_pages(index):
        doc = lxml.html.fromstring(page.read_text(encoding="utf-8"))
        hrefs |= {a.get("href") for a in doc.cssselect("a") if a.get("href").startswith("arc")}
    for href in hrefs:
        match = re.fullmatch(r"archive/([0-9a-f]{64})\.html\.txt", href)
        assert match, href
        assert hashlib.sha256((tmp_path / href).read_bytes()).hexdigest() == match.group(1)
    files = [p for p in (tmp_path / "archive").iterdir() if p.name != EXPORTED]
    # 330 snapshots cite 90 distinct bodies (30 sources x 3): one file each.
    assert len(snaps) == 330 and len(set(snaps.values())) == 90
    assert len(files) == len(hrefs) == 90


def test_two_snapshots_with_identical_bytes_give_one_archive_file(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'two.sqlite'}")
    # One source, one event: before and after are different snapshots of the same bytes.
    fill(db, events=1, sources=1, end=END, bodies_per_source=1)
    with db.session() as s:
        ev = s.scalars(select(ChangeEventRecord)).one()
        before, after = (
            s.get(Snapshot, ev.before_snapshot_id),
            s.get(Snapshot, ev.after_snapshot_id),
        )
        assert before and after and before.id != after.id and before.sha256 == after.sha256
        sha = after.sha256
    write(db, tmp_path / "out")
    db.dispose()
    files = sorted(p.name for p in (tmp_path / "out" / "archive").iterdir())
    assert files == [EXPORTED, f"{sha}.html.txt"]
    assert (tmp_path / "out" / "archive" / EXPORTED).read_text() == f"{sha}.html.txt\n"


def test_the_feed_holds_the_newest_n_changes(many: Database, tmp_path: Path) -> None:
    feed = write(many, tmp_path, feed_size=25)["feed.atom"]
    root = ET.parse(feed).getroot()
    ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    significant = sorted(
        (e for e in _events(many) if e.significant), key=lambda e: (e.detected_at, e.id)
    )
    assert ids == [entry_id(e.id) for e in reversed(significant[-25:])]
    assert "270 coverage change(s)" in (root.findtext(f"{ATOM}subtitle") or "")
    assert "the newest 25 here" in (root.findtext(f"{ATOM}subtitle") or "")
    # The default is 100.
    again = ET.parse(write(many, tmp_path / "default")["feed.atom"]).getroot()
    assert len(again.findall(f"{ATOM}entry")) == 100


def test_a_second_write_with_nothing_new_rewrites_nothing(many: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(many, out)
    manifest = (out / MANIFEST).read_bytes()
    _age(out)
    written = write(many, out, now=END + timedelta(hours=6))
    assert _fresh(out) == set()
    assert (out / MANIFEST).read_bytes() == manifest
    assert all(p.exists() for p in written.values())


def test_a_review_rewrites_only_its_week_page_and_the_summaries(
    many: Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    write(many, out)
    _age(out)
    with many.session() as s:
        ev = s.scalars(
            select(ChangeEventRecord)
            .where(ChangeEventRecord.significant.is_(True))
            .order_by(ChangeEventRecord.id)
        ).first()
        assert ev is not None
        ev.review_status = "dismissed"
        week = iso_week(ev.detected_at)
    write(many, out)
    # The other weeks, the matrix and the archive are left alone; the feed's subtitle counts
    # the period's changes.
    assert _fresh(out) == {
        "changes.html",
        f"changes-{week}.html",
        "digest.md",
        "changes.json",
        "feed.atom",
        MANIFEST,
    }


def test_a_week_that_leaves_the_period_loses_its_page(many: Database, tmp_path: Path) -> None:
    index = write(many, tmp_path)["changes.html"]
    oldest = week_pages(index)[-1]
    write(many, tmp_path, since=END - timedelta(days=20))
    assert not oldest.exists()
    weeks = {
        iso_week(e.detected_at) for e in _events(many) if e.detected_at >= END - timedelta(days=20)
    }
    assert {p.stem.removeprefix("changes-") for p in week_pages(index)} == weeks
    html = index.read_text(encoding="utf-8")
    assert oldest.name not in html


def test_a_busy_week_is_split_in_parts_and_a_new_event_rewrites_only_the_last(
    many: Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    index = write(many, out, page_size=20)["changes.html"]
    stored = _events(many)
    per_week = Counter(iso_week(e.detected_at) for e in stored)
    names = {p.name for p in week_pages(index)}
    expected = {
        f"changes-{w}.html" if part == 1 else f"changes-{w}-{part}.html"
        for w, n in per_week.items()
        for part in range(1, -(-n // 20) + 1)
    }
    assert names == expected and len(names) > len(per_week)
    doc = lxml.html.fromstring(index.read_text(encoding="utf-8"))
    hrefs = [a.get("href") for a in doc.cssselect("table.weeks a")]
    assert sorted(hrefs) == sorted(names)
    cards = []
    for page in week_pages(index):
        html = lxml.html.fromstring(page.read_text(encoding="utf-8"))
        assert len(html.cssselect("article.change, details.operator tbody tr")) <= 20
        cards += [c.get("id") for c in html.cssselect("article.change")]
    assert sorted(cards) == sorted(f"event-{e.id}" for e in stored if e.significant)

    # One more event, the newest: only the newest week's last part changes.
    newest = max(stored, key=lambda e: (e.detected_at, e.id))
    week = iso_week(newest.detected_at)
    parts = -(-per_week[week] // 20)
    with many.session() as s:
        s.add(
            ChangeEventRecord(
                source_id=newest.source_id,
                before_snapshot_id=newest.before_snapshot_id,
                after_snapshot_id=newest.after_snapshot_id,
                detected_at=newest.detected_at + timedelta(seconds=1),
                kind="moved",
                drug="",
                significant=False,
                summary="the document moved",
                detail={},
            )
        )
    _age(out)
    write(many, out, page_size=20)
    last = f"changes-{week}.html" if parts == 1 else f"changes-{week}-{parts}.html"
    assert per_week[week] % 20 != 0  # it fits in the last part (a new part renumbers the week)
    assert _fresh(out) == {"changes.html", last, "digest.md", "changes.json", MANIFEST}


def test_changes_json_written_in_batches_is_the_document_json_dumps_gives(
    many: Database, tmp_path: Path
) -> None:
    import json

    from monitor.reports.archive import Links
    from monitor.reports.jsondump import event_dict, iter_events_json
    from monitor.reports.model import Period
    from monitor.reports.queries import load_events, with_details
    from monitor.schema import SCHEMA_VERSION, timestamp

    written = write(many, tmp_path)["changes.json"].read_text(encoding="utf-8")
    links = Links.for_base_url("")
    with many.session() as s:
        events = load_events(s)
        bare = load_events(s, with_detail=False)
        assert all(e.detail == {} for e in bare)
        period = Period(None, None, END)
        whole = {
            "schema_version": SCHEMA_VERSION,
            "generated_at": timestamp(END),
            "since": None,
            "until": None,
            "significant": 270,
            "awaiting_review": 0,
            "message": None,
            "events": [event_dict(e, links) for e in events],
        }
        expected = json.dumps(whole, indent=2, ensure_ascii=False) + "\n"
        assert written == expected
        pieces = list(
            iter_events_json(bare, period, links, details=lambda c: with_details(s, c), batch=7)
        )
    assert len(pieces) > 40 and "".join(pieces) == expected
    assert json.loads(expected)["events"][0]["detail"]["clause_changes"]
    assert (
        "".join(iter_events_json([], period, links))
        == json.dumps(
            {
                **whole,
                "significant": 0,
                "message": "no coverage changes in this period",
                "events": [],
            },
            indent=2,
        )
        + "\n"
    )


def test_cycles_of_one_day_with_nothing_new_rewrite_no_report(
    many: Database, tmp_path: Path
) -> None:
    from crawler.config import Config
    from monitor.cycle import REPORT_WINDOW, window_start, write_reports

    cfg = Config()
    cfg.database = many.engine.url.render_as_string(hide_password=False)
    cfg.report.out_dir = str(tmp_path / "out")
    morning, evening = END.replace(hour=6, minute=3), END.replace(hour=18, minute=41)
    assert window_start(morning, REPORT_WINDOW) == window_start(evening, REPORT_WINDOW)
    write_reports(cfg, now=morning, since=window_start(morning, REPORT_WINDOW))
    _age(tmp_path / "out")
    write_reports(cfg, now=evening, since=window_start(evening, REPORT_WINDOW))
    assert _fresh(tmp_path / "out") == set()
