"""content_root picks the element the XPath rules of policywatch 1.4.1 picked."""

from __future__ import annotations

import pytest
from lxml import etree

from crawler.extract.html import content_root, parse, prune, strip_site_frame, text_of

_XPATHS = (
    "//main",
    "//*[@role='main']",
    "//article",
    "//*[@id='content' or @id='main-content' or @id='maincontent' or @id='main']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' content ')]",
)


def _reference(root: etree._Element) -> etree._Element:
    for xp in _XPATHS:
        found = root.xpath(xp)
        if len(found) > 1:
            found.sort(key=lambda e: len(text_of(e)), reverse=True)
        if found and (len(found[0]) or (found[0].text or "").strip()):
            return found[0]
    body = root.find("body")
    return body if body is not None else root


PAGES = {
    "main": "<div id='content'><p>a</p></div><main><p>policy</p></main>",
    "empty main": "<main> </main><div role='main'><p>policy</p></div>",
    "two mains": "<main><p>short</p></main><main><p>the longer policy text</p></main>",
    "equal mains": "<main><p>one</p></main><main><p>two</p></main>",
    "role before article": "<article><p>news</p></article><section role='main'>x</section>",
    "article": "<article><p>policy</p></article><div id='main'><p>menu</p></div>",
    "ids": "<div id='maincontent'>short</div><div id='main-content'><p>longer text</p></div>",
    "id text only": "<div id='content'>just text</div>",
    "class tokens": "<div class='page\tcontent\nwide'><p>policy</p></div>"
    "<div class='contents'><p>not this one, though it is longer</p></div>",
    "class substring only": "<div class='main-content-area'><p>policy</p></div>",
    "class and id": "<div class='content'><p>by class, longer text here</p></div>"
    "<div id='content'><p>by id</p></div>",
    "role other": "<div role='mainx'><p>x</p></div><p>body text</p>",
    "nothing": "<p>just a body</p>",
    "nested": "<div id='content'><div class='content'><main><p>inner</p></main></div></div>",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_same_element_as_the_xpath_rules(name: str) -> None:
    html = f"<html><head><title>t</title></head><body>{PAGES[name]}</body></html>"
    root = parse(html.encode(), "utf-8")
    prune(root)
    strip_site_frame(root)
    assert content_root(root) is _reference(root)
