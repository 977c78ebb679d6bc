"""Crawled text is hostile: markup, formulas and Markdown must reach readers as inert text."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import lxml.html
import pytest
from markdown_it import MarkdownIt

from monitor.reports.safe import csv_cell, md_text, md_url, safe_url, xml_text
from storage.db import Database
from tests.reports.helpers import week_pages, write_all
from tests.support.hostile import EVIL_PAYER, add_hostile

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def reports(db: Database, tmp_path: Path) -> dict[str, Path]:
    add_hostile(db)
    return write_all(db, tmp_path)


def test_html_reports_escape_crawled_markup_and_refuse_script_links(
    reports: dict[str, Path],
) -> None:
    (week,) = week_pages(reports["changes.html"])
    for page in (reports["changes.html"], week, reports["matrix.html"]):
        html = page.read_text(encoding="utf-8")
        doc = lxml.html.fromstring(html)
        assert doc.cssselect("script") == [], page
        assert not [e for e in doc.iter() if any(a.startswith("on") for a in e.attrib)], page
        if page is not reports["changes.html"]:  # the index names payers, not documents
            assert "&lt;script&gt;document.body.setAttribute" in html, page
        assert not [a for a in doc.cssselect("a") if "javascript" in a.get("href", "")], page
    assert "HYPERLINK" in reports["changes.html"].read_text(encoding="utf-8")
    changes = lxml.html.fromstring(week.read_text(encoding="utf-8"))
    evil = next(c for c in changes.cssselect("article.change") if "HYPERLINK" in c.text_content())
    assert "<img src=x onerror=" in evil.cssselect("td.before del")[0].text_content()
    assert evil.cssselect("img") == []


def test_csv_cells_that_a_spreadsheet_would_evaluate_are_quoted(
    reports: dict[str, Path],
) -> None:
    rows = list(csv.reader(io.StringIO(reports["matrix.csv"].read_text(encoding="utf-8"))))
    evil = next(r for r in rows if "evil" in r)
    assert "'" + EVIL_PAYER in evil
    assert "'@SUM(1+1)" in evil and "'+2026-01-01" in evil and "'-1+1" in evil
    formula = re.compile(r"^[=+\-@\t\r]")
    assert not [cell for row in rows for cell in row if formula.match(cell)]


def test_markdown_digest_neutralises_links_headings_and_html(reports: dict[str, Path]) -> None:
    md = reports["digest.md"].read_text(encoding="utf-8")
    # Render it as an editor's tool would (CommonMark, raw HTML allowed) and inspect the result.
    html = MarkdownIt("commonmark").render(md)
    doc = lxml.html.fromstring(html)
    assert doc.cssselect("script, img") == []
    assert not [a for a in doc.cssselect("a") if not a.get("href", "").startswith(("http", "arc"))]
    assert [h.text_content() for h in doc.cssselect("h1")] == [md.splitlines()[0][2:]]
    evil = next(li for li in doc.cssselect("li") if "HYPERLINK" in li.text_content())
    assert "<script>document.body" in evil.text_content()
    assert "[click me](javascript:alert(1)) **bold** # heading # injected heading" in (
        evil.text_content()
    )
    assert doc.cssselect("li strong")[0].text_content() != ""


def test_atom_feed_stays_well_formed_and_escaped(reports: dict[str, Path]) -> None:
    root = ET.parse(reports["feed.atom"]).getroot()  # \x0b in the summary must not break XML
    evil = next(
        e for e in root.iter(f"{ATOM}entry") if "HYPERLINK" in (e.findtext(f"{ATOM}title") or "")
    )
    content = evil.findtext(f"{ATOM}content") or ""
    # The html content, once unescaped by a reader, still shows the script as text.
    assert "<script>" not in content and "&lt;script&gt;" in content
    body = lxml.html.fromstring(content)
    assert body.cssselect("script, img") == []
    assert not [a for a in body.cssselect("a") if "javascript" in a.get("href", "")]
    assert not [link for link in evil.iter(f"{ATOM}link") if "javascript" in link.get("href", "")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Aetna", "Aetna"),
        (None, ""),
        (3, "3"),
    ],
    ids=["eq", "plus", "minus", "at", "tab", "cr", "plain", "none", "int"],
)
def test_csv_cell(value: object, expected: str) -> None:
    assert csv_cell(value) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.aetna.com/cpb/0938.html", "https://www.aetna.com/cpb/0938.html"),
        ("archive/3-abc.html", "archive/3-abc.html"),
        ("javascript:alert(1)", ""),
        ("JaVaScRiPt:alert(1)", ""),
        ("data:text/html,<script>", ""),
        ("//evil.example/x", ""),
        ('https://x.example/"onmouseover="a', ""),
        ("", ""),
    ],
    ids=["https", "relative", "js", "js-case", "data", "protocol-relative", "quote", "empty"],
)
def test_safe_url(url: str, expected: str) -> None:
    assert safe_url(url) == expected


def test_md_text_and_url() -> None:
    assert md_text("- [x](y) *a* <b>\n# h") == "\\- \\[x\\](y) \\*a\\* \\<b\\> \\# h"
    assert md_url("https://x.example/a (b)") == ""  # a space: not a URL we link
    assert md_url("https://x.example/a(b)") == "https://x.example/a%28b%29"
    assert xml_text("a\x00b\x0bc") == "a\ufffdb\ufffdc"


def test_archived_html_is_exported_inert_and_byte_exact(tmp_path: Path) -> None:
    """Defect 6: an archived page with scripts must not run when opened from archive/."""
    import hashlib
    import mimetypes
    from datetime import UTC, datetime

    from monitor.reports.archive import archive_name, export_snapshots
    from monitor.reports.model import VersionRef
    from storage.blobs import put_blob
    from storage.db import Database

    hostile = b"<html><script>fetch('/steal?'+document.cookie)</script><p>ketamine</p></html>"
    digest = hashlib.sha256(hostile).hexdigest()
    db = Database(f"sqlite:///{tmp_path / 'a.sqlite'}")
    refs = [
        VersionRef(
            snapshot_id=i,
            sha256=digest,
            fetched_at=datetime.now(UTC),
            url=url,
            content_type=ctype,
            size=len(hostile),
        )
        for i, (url, ctype) in enumerate(
            [
                ("https://x.example/p.html", "text/html; charset=utf-8"),
                ("https://x.example/p", "application/xhtml+xml"),
                ("https://x.example/p.htm", None),
                ("https://x.example/feed.xml", "text/xml"),
            ],
            1,
        )
    ]
    with db.session() as s:
        put_blob(s, hostile)
        paths = export_snapshots(s, refs, tmp_path / "archive")
    db.dispose()
    # The same bytes are one file per format: the two HTML types share theirs.
    assert [p.name for p in paths] == list(dict.fromkeys(archive_name(r) for r in refs))
    assert len(paths) == 3
    for path in paths:
        assert path.suffix == ".txt"
        assert mimetypes.guess_type(path.name)[0] == "text/plain"  # what web servers send
        assert path.read_bytes() == hostile  # evidence stays byte-exact: the sha256 checks
