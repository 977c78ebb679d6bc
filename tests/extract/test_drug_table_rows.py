"""Drug tables are read with lxml exactly as BeautifulSoup (lxml builder) read them before.

BeautifulSoup stays the reference here: the rows (header flag, span-expanded cell texts) of
every table below must be the ones its ``find_all("tr")`` / ``get_text(" ")`` reading gives.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from bs4.element import Tag
from lxml import etree

from crawler.extract.html import _int, _rows_bs, parse
from crawler.extract.text import clean


def _reference_rows(fragment: str) -> Iterator[tuple[bool, list[str]]]:
    """The BeautifulSoup reading policywatch 1.4.1 used for drug tables."""
    soup = BeautifulSoup(fragment, "lxml")
    carry: dict[int, tuple[int, str]] = {}
    for tr in soup.find_all("tr"):
        cells: list[str] = []
        col = 0
        tags = [c for c in tr.find_all(["td", "th"], recursive=False) if isinstance(c, Tag)]
        is_header = bool(tags) and all(c.name == "th" for c in tags)
        queue = list(tags)
        while queue or col in carry:
            if col in carry:
                left, text = carry.pop(col)
                cells.append(text)
                if left > 1:
                    carry[col] = (left - 1, text)
                col += 1
                continue
            cell = queue.pop(0)
            text = clean(cell.get_text(" "))
            span = _int(cell.get("colspan"))
            down = _int(cell.get("rowspan"))
            for _ in range(span):
                cells.append(text)
                if down > 1:
                    carry[col] = (down - 1, text)
                col += 1
        yield is_header, cells


TABLES = {
    "header and rows": "<table><tr><th>Drug</th><th>Status</th></tr>"
    "<tr><td>Spravato (esketamine)</td><td>PA</td></tr></table>",
    "thead tbody": "<table><thead><tr><th>Drug</th><th>Tier</th></tr></thead><tbody>"
    "<tr><td>ketamine</td><td>3</td></tr></tbody></table>",
    "colspan and rowspan": "<table><tr><th>Drug</th><th colspan='2'>Limits</th></tr>"
    "<tr><td rowspan='3'>Spravato</td><td>56 mg</td><td>twice weekly</td></tr>"
    "<tr><td colspan=2>84 mg weekly</td></tr><tr><td>x</td><td rowspan=' 2 '>y</td></tr>"
    "<tr><td>a</td><td>b</td><td>c</td></tr></table>",
    "bad spans": "<table><tr><td colspan='x'>esketamine</td><td rowspan='0'>b</td>"
    "<td colspan='-3'>c</td></tr><tr><td>d</td></tr></table>",
    "empty cells": "<table><tr><th></th><th>esketamine</th></tr><tr><td></td><td/>"
    "<td>PA</td></tr><tr></tr><tr><td><span></span>after</td></tr></table>",
    "inline markup": "<table><tr><td><b>Spravato</b>(esketamine)<br>nasal&nbsp;spray</td>"
    "<td><a href='#'>PA</a> <em>required</em>;<i>step</i>-therapy</td></tr></table>",
    "nested table": "<table><tr><td>ketamine<table><tr><td>inner 1</td><td>inner 2</td></tr>"
    "</table>tail text</td><td>outer</td></tr></table>",
    "blocks in cells": "<table><tr><td><p>Spravato</p><ul><li>one</li><li>two</li></ul></td>"
    "<td><div>x<div>y</div>z</div></td></tr></table>",
    "ruby and code": "<table><tr><td>ket<ruby>amine<rt>ah-meen</rt><rp>(</rp></ruby>tail"
    "</td><td><rt>only <b>ruby</b></rt>after</td><td><rt><table><tr><td>in ruby</td></tr>"
    "</table></rt></td><td>x<style>.a{}</style>y<script>z</script></td></tr></table>",
    "th and td mixed": "<table><tr><th>esketamine</th><td>covered</td></tr>"
    "<tr><th>ketamine</th><th>not covered</th></tr></table>",
    "unclosed markup": "<table><tr><td>Spravato <b>bold<td>next<tr><td>row 2<p>para</table>",
    "text outside cells": "<table>stray esketamine<tr>row text<td>cell</td> more</tr>"
    "</table>trailing",
    "entities and unicode": "<table><tr><td>SPRAVATO&reg; &amp; ketamine &lt;x&gt;</td>"
    "<td>caf\u00e9\u00a0\u2013 soft\u00adhyphen</td></tr></table>",
    "no rows": "<table><caption>esketamine</caption></table>",
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_rows_match_beautifulsoup(name: str) -> None:
    html = f"<html><body><div>{TABLES[name]}</div></body></html>"
    table = parse(html.encode(), "utf-8").find(".//table")
    assert table is not None
    # The extractor serialises the table element (with its tail) and re-reads it.
    fragment = etree.tostring(table, encoding="unicode")
    assert list(_rows_bs(fragment)) == list(_reference_rows(fragment))


def test_rows_match_beautifulsoup_on_raw_fragments() -> None:
    for fragment in TABLES.values():
        assert list(_rows_bs(fragment)) == list(_reference_rows(fragment)), fragment
