"""The public site, published from a database of real crawls of local pages."""

from __future__ import annotations

import os
import re
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
from click.testing import CliRunner

from crawler.config import ConfigError, load_config
from monitor.cli import main
from monitor.publish import publish_site
from monitor.publish.gate import published_changes
from monitor.publish.glossary import GROUP_FILL, stance_words
from monitor.publish.model import STATE_NAMES
from monitor.reports.queries import load_matrix
from storage.db import Database
from tests.publish.conftest import BASE_URL, review
from tests.support.hostile import EVIL_SCRIPT, add_hostile

SVG = "{http://www.w3.org/2000/svg}"
RAW_ENUMS = re.compile(
    r"\b(covered_with_criteria|prior_authorization|non_preferred|not_covered|step_therapy|"
    r"stance_change|criteria_change|medicaid_mco|failed_trials|monotherapy_allowed)\b"
)


def publish(db: Database, out: Path, base_url: str = BASE_URL) -> object:
    with db.session() as s:
        return publish_site(s, out, base_url)


def front_matter(text: str) -> dict[str, str]:
    assert text.startswith("---\n")
    block = text.split("---\n", 2)[1]
    return dict(line.split(": ", 1) for line in block.strip().splitlines())


def visible_text(path: Path) -> str:
    doc = lxml.html.fromstring(path.read_bytes())
    for bad in doc.xpath("//style|//title"):
        bad.drop_tree()
    return doc.text_content()


def test_51_state_pages_and_payer_pages_with_front_matter(pdb: Database, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(pdb, out)
    html = sorted(p.stem for p in (out / "states").glob("*.html"))
    md = sorted(p.stem for p in (out / "states").glob("*.md"))
    assert html == md == sorted(STATE_NAMES) and len(html) == 51
    tx = (out / "states" / "TX.md").read_text(encoding="utf-8")
    meta = front_matter(tx)
    assert set(meta) == {"title", "date", "tags", "state", "payer", "drug"}
    assert meta["state"] == '"TX"' and re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["date"])
    # The Texas program's answer, in plain words, with what a patient needs.
    assert "Spravato is covered when you meet the plan's criteria" in tx
    assert "to have tried at least 2 antidepressants without enough improvement" in tx
    assert "effective 2026-05-01" in tx
    payer_pages = {p.stem for p in (out / "payers").glob("*.html")} - {"index"}
    assert {"lone-star-medicaid-sample", "prairie-health-plan-sample"} <= payer_pages
    assert payer_pages == {p.stem for p in (out / "payers").glob("*.md")}
    evergreen = (out / "payers" / "evergreen-mutual-health-sample.md").read_text("utf-8")
    assert front_matter(evergreen)["payer"] == '"Evergreen Mutual Health (sample)"'
    assert "Ketamine is not covered for these uses" in evergreen
    # A state with no source says so, and never pretends to know.
    wy = visible_text(out / "states" / "WY.html")
    assert "We have no source for Spravato here yet." in wy


MEDICAID = ("medicaid", "medicaid_mco")


def _expected_group(rows: list, state: str, drug: str) -> str:
    """What the matrix says for a state's Medicaid program: the program's own document first."""
    mine = [r for r in rows if r.source.state == state and r.source.plan_type in MEDICAID]
    if not mine:
        return "nosource"
    stated = [r for r in mine if r.drug == drug]
    if not stated:
        return "silent"
    ffs = [r for r in stated if r.source.plan_type == "medicaid"]
    return stance_words((ffs or stated)[0].stance).group


def test_map_has_51_shapes_per_drug_coloured_as_the_matrix(pdb: Database, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(pdb, out)
    with pdb.session() as s:
        rows = load_matrix(s)
    svg = lxml.etree.parse(str(out / "map.svg")).getroot()
    seen = {}
    for panel in svg.iter(f"{SVG}g"):
        if panel.get("class") != "panel":
            continue
        drug = panel.get("data-drug")
        tiles = [g for g in panel.iter(f"{SVG}g") if g.get("class") == "state"]
        assert sorted(t.get("data-state") for t in tiles) == sorted(STATE_NAMES)
        for tile in tiles:
            state = tile.get("data-state")
            fill = tile.find(f"{SVG}use").get("fill")
            expected = _expected_group(rows, state, drug)
            assert (tile.get("data-group"), fill) == (expected, GROUP_FILL[expected]), state
            seen[(state, drug)] = expected
    assert len(seen) == 102
    # Every shape is drawn from the bundled state geometry.
    shapes = {p.get("id") for p in svg.iter(f"{SVG}path")}
    assert shapes == {f"shape-{code}" for code in STATE_NAMES}
    # The fixture's cases: a preferred PDL (OR, over its managed-care plan's denial), criteria
    # (TX), a managed-care plan's denial where the state has no document (KS), no source (WY).
    assert seen[("OR", "esketamine")] == "covered"
    assert seen[("TX", "esketamine")] == "conditions"
    assert seen[("TX", "ketamine")] == "denied"
    assert seen[("KS", "esketamine")] == "denied"
    assert seen[("KS", "ketamine")] == "silent"
    assert seen[("WY", "esketamine")] == "nosource"
    # The same map is inline on the home page, each tile a link to its state's page.
    index = lxml.html.fromstring((out / "index.html").read_bytes())
    links = index.xpath("//*[local-name()='svg']//*[local-name()='a']/@href")
    assert len(links) == 102 and "states/TX.html" in links


def test_feed_is_valid_atom_with_only_confirmed_changes(pdb: Database, tmp_path: Path) -> None:
    confirmed = review(pdb, "demo-columbia-pdl", "confirmed")
    review(pdb, "demo-evergreen-ketamine", "dismissed")
    out = tmp_path / "site"
    publish(pdb, out)
    raw = (out / "feed.atom").read_bytes()
    lxml.etree.fromstring(raw)  # well-formed XML
    feed = feedparser.parse(raw)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == [BASE_URL + "feed.atom"]
    assert len(feed.entries) == 1
    entry = feed.entries[0]
    assert "Columbia River Medicaid" in entry.title and "preferred" in entry.title
    assert entry.link.startswith(BASE_URL + "changes/")
    # The id is a hash of what the change is, never the database row number.
    assert re.fullmatch(r"tag:policywatch,2026:change/[0-9a-f]{64}", entry.id)
    assert f"/{confirmed}" not in entry.id
    hrefs = re.findall(r'href="([^"]+)"', entry.content[0].value)
    assert hrefs and all(h.startswith(BASE_URL) for h in hrefs)
    # The dismissed change has no page anywhere.
    assert not list((out / "changes").glob("*evergreen*"))


def test_feed_ids_do_not_depend_on_row_numbers(pdb: Database, tmp_path: Path) -> None:
    review(pdb, "demo-columbia-pdl", "confirmed")
    with pdb.session() as s:
        before = {c.uid for c in published_changes(s)}
        from storage.models import ChangeEventRecord

        ev = s.query(ChangeEventRecord).filter_by(source_id="demo-columbia-pdl").one()
        ev.id = ev.id + 1000  # the same change stored under another row number
    with pdb.session() as s:
        assert {c.uid for c in published_changes(s)} == before


def test_second_run_is_byte_identical_and_rewrites_nothing(pdb: Database, tmp_path: Path) -> None:
    review(pdb, "demo-columbia-pdl", "confirmed")
    review(pdb, "demo-evergreen-ketamine", "confirmed")
    out = tmp_path / "site"
    first = publish(pdb, out)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    snapshot = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    os.utime(out / "index.html", ns=(1, 1))  # a rewrite would move it
    snapshot[out / "index.html"] = ((out / "index.html").read_bytes(), 1)
    second = publish(pdb, out)
    assert first.stats.written and not second.stats.written  # type: ignore[attr-defined]
    assert sorted(p for p in out.rglob("*") if p.is_file()) == files
    for p in files:
        assert (p.read_bytes(), p.stat().st_mtime_ns) == snapshot[p], p
    # Into an empty folder, the same data gives the same bytes.
    other = tmp_path / "again"
    publish(pdb, other)
    for p in files:
        assert (other / p.relative_to(out)).read_bytes() == snapshot[p][0], p


def test_a_change_dismissed_later_loses_its_page(pdb: Database, tmp_path: Path) -> None:
    review(pdb, "demo-columbia-pdl", "confirmed")
    out = tmp_path / "site"
    publish(pdb, out)
    pages = list((out / "changes").glob("*columbia*"))
    assert len(pages) == 2  # .html and .md
    (out / "about.html").write_text("the blog's own page", encoding="utf-8")
    review(pdb, "demo-columbia-pdl", "dismissed")
    result = publish(pdb, out)
    assert not any(p.exists() for p in pages)
    removed = set(result.stats.removed)  # type: ignore[attr-defined]
    # Its pages go, and so does the earlier version it alone cited as evidence.
    assert {str(p.relative_to(out)) for p in pages} <= removed
    assert {r.split("/")[0] for r in removed} == {"changes", "archive"}
    assert (out / "about.html").read_text(encoding="utf-8") == "the blog's own page"


def test_every_statement_links_to_archived_evidence(pdb: Database, tmp_path: Path) -> None:
    review(pdb, "demo-columbia-pdl", "confirmed")
    out = tmp_path / "site"
    publish(pdb, out)
    checked = 0
    for page in out.rglob("*.html"):
        if "archive" in page.parts:
            continue
        doc = lxml.html.fromstring(page.read_bytes())
        for card in doc.cssselect(".answer[data-stance]"):
            if card.get("data-stance") == "none":
                continue
            hrefs = [a.get("href") for a in card.cssselect("a.evidence-link")]
            assert len(hrefs) == 1, page
        for a in doc.cssselect("a.evidence-link"):
            href = a.get("href")
            assert href.startswith(BASE_URL + "archive/"), (page, href)
            assert (out / href[len(BASE_URL) :]).is_file(), href
            checked += 1
        assert not RAW_ENUMS.search(visible_text(page)), page
    for md in out.rglob("*.md"):
        for target in re.findall(r"\]\(([^)]+)\)", md.read_text(encoding="utf-8")):
            assert target.startswith(BASE_URL), (md, target)
    assert checked > 20


def test_archive_is_exported_inert(pdb: Database, tmp_path: Path) -> None:
    add_hostile(pdb)
    out = tmp_path / "site"
    publish(pdb, out)
    html = [p for p in (out / "archive").iterdir() if p.suffix == ".html"]
    assert html
    for page in html:
        text = page.read_text(encoding="utf-8")
        assert text.startswith('<meta http-equiv="Content-Security-Policy" content="default-src')
        assert "sandbox" in text.split("\n", 1)[0]
        assert "<script" not in text.lower()
    # The hostile source's crawled text is text on every page, and its javascript: URL no link.
    tx = (out / "states" / "TX.html").read_text(encoding="utf-8")
    assert EVIL_SCRIPT not in tx and "&lt;script&gt;" in tx
    assert "javascript:" not in tx


def test_cli_publish_needs_a_base_url(pdb: Database, tmp_path: Path) -> None:
    url = str(pdb.engine.url)
    runner = CliRunner()
    res = runner.invoke(main, ["publish", "--db", url, "--out", str(tmp_path / "s")])
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and "--base-url" in res.output
    assert not (tmp_path / "s" / "index.html").exists()
    res = runner.invoke(
        main, ["publish", "--db", url, "--out", str(tmp_path / "s"), "--base-url", "coverage/"]
    )
    assert res.exit_code == 2 and "not absolute" in res.output
    res = runner.invoke(
        main, ["publish", "--db", url, "--out", str(tmp_path / "s"), "--base-url", BASE_URL]
    )
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines()[-1] == str(tmp_path / "s" / "index.html")


def test_config_publish_section(tmp_path: Path) -> None:
    cfg_file = tmp_path / "policywatch.toml"
    cfg_file.write_text('[publish]\nout_dir = "site"\nbase_url = "https://x.example/"\n')
    cfg = load_config(cfg_file, env={})
    assert (cfg.publish.out_dir, cfg.publish.base_url) == ("site", "https://x.example/")
    cfg_file.write_text('[publish]\nout_dir = "site"\n')
    with pytest.raises(ConfigError, match="base_url is empty"):
        load_config(cfg_file, env={})
    cfg_file.write_text('[publish]\nout_dir = "site"\nbase_url = "example.org/x"\n')
    with pytest.raises(ConfigError, match="not an absolute"):
        load_config(cfg_file, env={})


def test_the_cycle_publishes_when_configured(pdb: Database, tmp_path: Path) -> None:
    from crawler.config import Config
    from monitor.cycle import publish as cycle_publish

    cfg = Config()
    cfg.database = str(pdb.engine.url)
    assert cycle_publish(cfg) is None  # no [publish] out_dir: nothing published
    cfg.publish.out_dir = str(tmp_path / "site")
    cfg.publish.base_url = BASE_URL
    index = cycle_publish(cfg)
    assert index == tmp_path / "site" / "index.html" and index.is_file()
    assert (tmp_path / "site" / "states" / "DC.md").is_file()


def test_feed_keeps_the_newest_n(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from monitor.publish.evidence import Links
    from monitor.publish.feed import render_feed
    from monitor.publish.gate import PublishedChange, change_uid
    from monitor.reports.model import EventView, SourceInfo, VersionRef

    src = SourceInfo("s-1", "Payer", "medicaid", "TX", "pdl", "PDL", "https://p.example/pdl")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    changes = []
    for i in range(60):
        when = start + timedelta(days=i)
        ref = VersionRef(i + 1, f"{i:064x}", when, src.url, "text/html", 10)
        ev = EventView(i + 1, src, "stance_change", "esketamine", True, "non_preferred",
                       "preferred", "s", None, when, "confirmed", None, ref)  # fmt: skip
        changes.append(PublishedChange(ev, f"change {i}", change_uid(ev)))
    changes.reverse()  # newest first, as the gate returns them
    feed = feedparser.parse(render_feed(changes, Links(BASE_URL), start, size=50))
    assert not feed.bozo
    assert [e.title for e in feed.entries] == [f"change {i}" for i in range(59, 9, -1)]
    assert len({e.id for e in feed.entries}) == 50
    # [publish] feed_size defaults to 100: all 60 fit.
    assert len(feedparser.parse(render_feed(changes, Links(BASE_URL), start)).entries) == 60


def test_a_tampered_archive_is_a_one_line_error(pdb: Database, tmp_path: Path) -> None:
    import zlib

    from storage.models import Blob

    with pdb.session() as s:
        for blob in s.query(Blob):
            blob.data = zlib.compress(b"<html>not what was fetched</html>")
    res = CliRunner().invoke(
        main,
        ["publish", "--db", str(pdb.engine.url), "--out", str(tmp_path / "s"), "--base-url",
         BASE_URL],
    )  # fmt: skip
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0 and "do not match sha256" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_the_state_answer_is_its_programs_latest_notice() -> None:
    from datetime import UTC, datetime

    from monitor.publish.model import _governing
    from monitor.reports.model import MatrixRow, SourceInfo, VersionRef

    when = datetime(2026, 11, 1, tzinfo=UTC)

    def row(sid: str, plan: str, stance: str, effective: str, status: str = "current") -> MatrixRow:
        src = SourceInfo(sid, "P", plan, "TX", "change_notice", "T", "https://p.example/" + sid)
        ref = VersionRef(1, "0" * 64, when, src.url, "text/html", 1)
        return MatrixRow(src, "esketamine", stance, {}, effective, ref, status)

    old = row("notice-2019", "medicaid", "prior_authorization", "2019-10-01")
    new = row("notice-2025", "medicaid", "covered_with_criteria", "2025-10-01")
    mco = row("mco-2026", "medicaid_mco", "not_covered", "2026-01-01")
    stale = row("notice-2026", "medicaid", "not_covered", "2026-02-01", status="failing")
    assert _governing([old, mco, new, stale]) is new
    assert _governing([mco, stale]) is stale  # the program's own word, even if stale
    assert _governing([mco]) is mco
    assert _governing([]) is None


def test_archive_files_are_named_by_content_and_identical_bytes_are_one_file(
    pdb: Database, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from storage.models import Snapshot

    add_hostile(pdb)  # its change compares two snapshots of the very same bytes
    review(pdb, "evil", "confirmed")
    out = tmp_path / "site"
    publish(pdb, out)
    with pdb.session() as s:
        evil = s.scalars(select(Snapshot).where(Snapshot.source_id == "evil")).all()
        known = set(s.scalars(select(Snapshot.sha256)))
    assert len(evil) == 2 and evil[0].sha256 == evil[1].sha256
    names = [p.name for p in (out / "archive").iterdir()]
    assert [n for n in names if n.startswith(evil[0].sha256)] == [f"{evil[0].sha256}.html"]
    for name in names:
        match = re.fullmatch(r"([0-9a-f]{64})\.(html|pdf|json|txt)", name)
        assert match and match.group(1) in known, name
    tx = lxml.html.fromstring((out / "states" / "TX.html").read_bytes())
    hrefs = {a.get("href") for a in tx.cssselect("a.evidence-link")}
    assert BASE_URL + f"archive/{evil[0].sha256}.html" in hrefs
