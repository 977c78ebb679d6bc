"""HTML bytes are decoded as a browser would: BOM, header, <meta>, then strict UTF-8, then 1252."""

from __future__ import annotations

import pytest

from crawler.extract import extract
from crawler.extract.html import body_encoding

PAGE = (
    "<html><head>{meta}<title>Esketamine</title></head><body><h1>SPRAVATO\u00ae nasal spray</h1>"
    "<p>SPRAVATO\u00ae is considered medically necessary for treatment-resistant depression "
    "when all of the following criteria are met:</p><ul><li>The member is 18 years of age or "
    "older</li></ul></body></html>"
)


@pytest.mark.parametrize(
    ("body", "header", "expected"),
    [
        pytest.param(PAGE.format(meta="").encode(), None, "utf-8", id="undeclared-utf8"),
        pytest.param(
            b"\xef\xbb\xbf" + PAGE.format(meta="").encode(), "iso-8859-1", "utf-8", id="bom-wins"
        ),
        pytest.param(
            PAGE.format(meta='<meta charset="windows-1252">').encode("cp1252"),
            None,
            "cp1252",
            id="meta-declared",
        ),
        pytest.param(PAGE.format(meta="").encode("cp1252"), None, "cp1252", id="undeclared-1252"),
        pytest.param(
            PAGE.format(meta='<meta charset="utf-8">').encode("cp1252"),
            "windows-1252",
            "cp1252",
            id="header-over-meta",
        ),
    ],
)
def test_body_encoding(body: bytes, header: str | None, expected: str) -> None:
    assert body_encoding(body, header) == expected


@pytest.mark.parametrize("content_type", ["text/html", None], ids=["no-charset", "no-header"])
def test_undeclared_utf8_page_reads_the_brand_name(content_type: str | None) -> None:
    ext = extract(PAGE.format(meta="").encode("utf-8"), content_type)
    assert ext.outcome == "ok", ext.message
    statement = ext.clauses[0]
    assert statement.drug == "esketamine"
    assert statement.text.startswith("SPRAVATO\u00ae is considered")
    assert "\u00c2" not in " ".join(c.text for c in ext.clauses)


def test_undeclared_windows_1252_page_still_reads() -> None:
    ext = extract(PAGE.format(meta="").encode("cp1252"), "text/html")
    assert [c.drug for c in ext.clauses] == ["esketamine", "esketamine"]
    assert "SPRAVATO\u00ae" in ext.clauses[0].text
