"""Reports rendered from a database built by the real crawl → extract → diff cycle."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
from sqlalchemy import select

from monitor.diff.model import ChangeEvent
from monitor.reports import FILES, write_report
from monitor.reports.feed import entry_id
from monitor.reports.queries import load_matrix
from storage.db import Database
from storage.models import ChangeEventRecord, Snapshot
from tests.reports.helpers import change_pages_text, week_pages, write_all
from tests.support.hostile import NOW

ATOM = "{http://www.w3.org/2005/Atom}"


def _significant(db: Database) -> list[ChangeEventRecord]:
    with db.session() as s:
        return list(
            s.scalars(select(ChangeEventRecord).where(ChangeEventRecord.significant.is_(True)))
        )


def test_write_all_reports_writes_every_report_and_the_archive(
    db: Database, tmp_path: Path
) -> None:
    written = write_all(db, tmp_path / "out")
    assert list(written) == [*FILES, "archive"]
    for name in FILES:
        assert written[name] == tmp_path / "out" / name
        assert written[name].stat().st_size > 200
    # One file per distinct content: the demo refetches identical bytes under new snapshot ids.
    with db.session() as s:
        cited = {
            (snap.sha256, snap.content_type)
            for snap in s.scalars(select(Snapshot))
            if snap.source_id != "demo-ridgeline-ketamine" or snap.http_status == 200
        }
    files = [p for p in written["archive"].iterdir() if not p.name.startswith(".")]
    assert len({p.name.split(".")[0] for p in files}) == len(files) <= len(cited)
    assert {"".join(p.suffixes[-2:]) for p in files} == {".html.txt", ".json", ".pdf"}
    assert week_pages(written["changes.html"])  # the index links one page per ISO week


def test_change_report_shows_each_change_with_summary_redline_criteria_and_stances(
    db: Database, tmp_path: Path
) -> None:
    index = write_all(db, tmp_path)["changes.html"]
    pages = [lxml.html.fromstring(p.read_text(encoding="utf-8")) for p in week_pages(index)]
    cards = [c for doc in pages for c in doc.cssselect("article.change")]
    assert len(cards) == len(_significant(db)) == 2
    by_payer = {c.cssselect("h2")[0].text_content(): c for c in cards}
    evergreen = by_payer["Evergreen Mutual Health (sample) · Esketamine (Spravato)"]
    assert "esketamine TRD now allows monotherapy; failed trials 3 → 2" in (
        evergreen.cssselect("p.summary")[0].text_content()
    )
    assert [d.text for d in evergreen.cssselect("td.before del")] == [
        "three (3)",
        "eight (8)",
        "will",
        "a newly initiated",
    ]
    assert [i.text for i in evergreen.cssselect("td.after ins")] == [
        "two (2)",
        "six (6)",
        "may",
        "as monotherapy or",
        "an",
    ]
    changed = {
        tuple(td.text_content() for td in tr.cssselect("td"))
        for tr in evergreen.cssselect("table.criteria tr.changed")
    }
    assert ("Failed antidepressant trials", "3", "2") in changed
    assert ("Monotherapy", "not allowed", "allowed") in changed
    facts = evergreen.cssselect("dl.facts")[0].text_content()
    assert "Commercial" in facts and "2026-03-01" in facts and "MP-7.14.02" in facts
    columbia = by_payer["Columbia River Medicaid (sample) · Esketamine (Spravato)"]
    badges = [b.text_content() for b in columbia.cssselect("p.stances .badge")]
    assert badges == ["non-preferred", "preferred"]
    assert "OR" in columbia.cssselect("dl.facts")[0].text_content()
    # The maintenance page is an operator event: collapsed, never a coverage card.
    (doc,) = pages  # the demo's events are all of one week
    operator = doc.cssselect("details.operator")[0]
    assert "open" not in operator.attrib
    assert "unavailable" in operator.text_content() and "Ridgeline Care" in operator.text_content()
    assert "Ridgeline Care" not in " ".join(c.text_content() for c in cards)


def test_every_evidence_link_opens_the_archived_bytes_of_its_snapshot(
    db: Database, tmp_path: Path
) -> None:
    written = write_all(db, tmp_path)
    with db.session() as s:
        snaps = {snap.id: snap.sha256 for snap in s.scalars(select(Snapshot))}
    (week,) = week_pages(written["changes.html"])
    for page in (week, written["matrix.html"]):
        doc = lxml.html.fromstring(page.read_text(encoding="utf-8"))
        hrefs = [a.get("href") for a in doc.cssselect("a") if a.get("href", "").startswith("arc")]
        assert hrefs, page
        for href in hrefs:
            # Named by content: the file's sha256 is its name, and a stored snapshot's.
            match = re.fullmatch(r"archive/([0-9a-f]{64})\.(html\.txt|pdf|json)", href)
            assert match, href
            body = (tmp_path / href).read_bytes()
            assert hashlib.sha256(body).hexdigest() == match.group(1)
            assert match.group(1) in snaps.values()
    # The full sha256 printed beside each change's links is the file's.
    doc = lxml.html.fromstring(week.read_text(encoding="utf-8"))
    for li in doc.cssselect("article.change ul.evidence li"):
        links = [a.get("href") for a in li.cssselect("a") if a.get("href").startswith("archive/")]
        if links:
            shown = li.cssselect(".hash")[0].text_content().split()[-1]
            assert hashlib.sha256((tmp_path / links[0]).read_bytes()).hexdigest() == shown


def test_links_point_at_the_published_archive_when_a_base_url_is_set(
    db: Database, tmp_path: Path
) -> None:
    written = write_all(db, tmp_path, archive_base_url="https://reports.example.org/archive/")
    html = change_pages_text(written["changes.html"])
    assert 'href="https://reports.example.org/archive/' in html
    assert 'href="archive/' not in html
    assert any(written["archive"].iterdir())  # still exported, for publishing


def test_matrix_gives_each_sources_current_stance_from_its_latest_good_version(
    db: Database, tmp_path: Path
) -> None:
    with db.session() as s:
        rows = {(r.source.id, r.drug): r for r in load_matrix(s)}
        ridgeline_ids = s.scalars(
            select(Snapshot.id)
            .where(Snapshot.source_id == "demo-ridgeline-ketamine")
            .order_by(Snapshot.id)
        ).all()
    assert rows[("demo-columbia-pdl", "esketamine")].stance == "preferred"
    evergreen = rows[("demo-evergreen-ketamine", "esketamine")]
    assert evergreen.stance == "covered_with_criteria"
    assert evergreen.criteria["failed_trials"] == 2
    assert evergreen.criteria["monotherapy_allowed"] is True
    assert rows[("demo-evergreen-ketamine", "ketamine")].stance == "experimental"
    # Under maintenance: the last good version governs, and the row says so.
    ridgeline = rows[("demo-ridgeline-ketamine", "ketamine")]
    assert ridgeline.stance == "experimental" and ridgeline.status == "unavailable"
    assert ridgeline.evidence is not None and ridgeline.evidence.snapshot_id == ridgeline_ids[0]
    assert len(ridgeline_ids) == 2  # the maintenance page is archived, but not evidence
    assert all(r.status == "current" for k, r in rows.items() if k[0] != "demo-ridgeline-ketamine")

    written = write_all(db, tmp_path)
    table = list(csv.DictReader(io.StringIO(written["matrix.csv"].read_text(encoding="utf-8"))))
    assert len(table) == len(rows) == 7
    columbia = next(r for r in table if r["source_id"] == "demo-columbia-pdl")
    assert (columbia["section"], columbia["state"], columbia["stance"]) == (
        "Medicaid by state",
        "OR",
        "preferred",
    )
    nw = next(
        r for r in table if r["source_id"] == "demo-evergreen-ketamine" and r["drug"] != "Ketamine"
    )
    assert (nw["failed_trials"], nw["trial_weeks"], nw["monotherapy_allowed"]) == ("2", "6", "yes")
    assert (tmp_path / nw["evidence_link"]).is_file()
    html = written["matrix.html"].read_text(encoding="utf-8")
    doc = lxml.html.fromstring(html)
    titles = [h.text_content() for h in doc.cssselect("section.group > h2")]
    assert titles == ["Commercial", "Medicare", "Medicaid by state"]
    assert "Medicaid coverage varies by state." in doc.cssselect(".spread")[0].text_content()
    assert "latest version is not a usable policy (maintenance)" in html


def test_matrix_marks_a_source_without_any_good_version(db: Database) -> None:
    from storage.models import Source

    with db.session() as s:
        s.add(
            Source(
                id="never-good", payer="Nowhere Health", plan_type="medicaid", state="AK",
                document_type="pdl", title="PDL", url="https://example.org/pdl",
                consecutive_failures=3, last_error_kind="dns",
            )
        )  # fmt: skip
    with db.session() as s:
        row = next(r for r in load_matrix(s) if r.source.id == "never-good")
    assert (row.drug, row.status, row.evidence) == (None, "no_good_version", None)
    assert "dns" in row.note


def test_digest_groups_by_drug_then_plan_type_with_evidence_links(
    db: Database, tmp_path: Path
) -> None:
    md = write_all(db, tmp_path)["digest.md"].read_text(encoding="utf-8")
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings[1:] == [
        "## Esketamine (Spravato)",
        "### Commercial",
        "### Medicaid (fee-for-service)",
    ]
    block = md.split("### Medicaid")[1]
    assert (
        "**Columbia River Medicaid (sample)** (OR): esketamine non-preferred → preferred" in block
    )
    for target in re.findall(r"\]\((archive/[^)]+)\)", md):
        assert (tmp_path / target).is_file()
    assert "[live page](http://127.0.0.1:" in block


def test_atom_feed_has_one_stable_entry_per_significant_change(
    db: Database, tmp_path: Path
) -> None:
    feed = write_all(db, tmp_path)["feed.atom"]
    root = ET.parse(feed).getroot()
    entries = root.findall(f"{ATOM}entry")
    ids = sorted(e.findtext(f"{ATOM}id") or "" for e in entries)
    assert ids == sorted(entry_id(e.id) for e in _significant(db))
    assert all(i.startswith("tag:policywatch,2026:event/") for i in ids)
    content = entries[0].findtext(f"{ATOM}content") or ""
    assert "archive/" in content and "sha256" in content
    # Writing again later gives the same ids: readers do not see duplicates.
    again = write_all(db, tmp_path / "again")["feed.atom"]
    again_ids = [e.findtext(f"{ATOM}id") for e in ET.parse(again).getroot().iter(f"{ATOM}entry")]
    assert sorted(again_ids) == ids  # type: ignore[type-var]


def test_json_has_every_event_with_source_snapshots_and_detail(
    db: Database, tmp_path: Path
) -> None:
    data = json.loads(write_all(db, tmp_path)["changes.json"].read_text(encoding="utf-8"))
    with db.session() as s:
        stored = {e.id: e for e in s.scalars(select(ChangeEventRecord))}
        events = {e["id"]: e for e in data["events"]}
        assert set(events) == set(stored) and data["significant"] == 2
        for event_id, rec in stored.items():
            out = events[event_id]
            assert out["detail"] == rec.detail
            assert ChangeEvent.from_dict(out["detail"]).summary == rec.summary
            assert out["source"]["id"] == rec.source_id
            assert out["after"]["id"] == out["after_snapshot_id"] == rec.after_snapshot_id
            assert (tmp_path / out["after"]["archive_href"]).is_file()
            snap = s.get(Snapshot, rec.after_snapshot_id)
            assert snap is not None and out["after"]["sha256"] == snap.sha256
    assert data["generated_at"] == "2026-12-01T08:00:00Z"  # ISO-8601 UTC, as every timestamp
    assert datetime.fromisoformat(data["generated_at"]) == NOW


def test_an_empty_period_gives_valid_reports_that_say_so(db: Database, tmp_path: Path) -> None:
    future = datetime(2031, 1, 1, tzinfo=UTC)
    with db.session() as s:
        for fmt, name in (
            ("html", "c.html"),
            ("md", "d.md"),
            ("atom", "f.atom"),
            ("json", "e.json"),
        ):
            write_report(s, fmt, tmp_path / name, since=future, until=None, now=NOW)
    assert "No coverage changes in this period." in (tmp_path / "c.html").read_text()
    assert "No coverage changes in this period." in (tmp_path / "d.md").read_text()
    root = ET.parse(tmp_path / "f.atom").getroot()
    assert root.findall(f"{ATOM}entry") == []
    assert root.findtext(f"{ATOM}subtitle") == "No coverage changes in this period."
    data = json.loads((tmp_path / "e.json").read_text())
    assert data["events"] == [] and data["message"] == "no coverage changes in this period"


def test_dismissed_and_flip_back_changes_are_not_published(db: Database, tmp_path: Path) -> None:
    from sqlalchemy import select

    from storage.models import ChangeEventRecord

    with db.session() as s:
        events = s.scalars(
            select(ChangeEventRecord).where(ChangeEventRecord.significant.is_(True))
        ).all()
        assert len(events) == 2
        events[0].review_status = "dismissed"
        events[1].review_status = "flapping"
        summaries = [e.summary for e in events]
    files = write_all(db, tmp_path)
    digest = files["digest.md"].read_text(encoding="utf-8")
    feed = ET.parse(files["feed.atom"]).getroot()
    html = change_pages_text(files["changes.html"])
    for summary in summaries:
        assert summary not in digest
    assert feed.findall("{http://www.w3.org/2005/Atom}entry") == []
    assert 'class="card change"' not in html
    assert "dismissed" in html and "flapping" in html
