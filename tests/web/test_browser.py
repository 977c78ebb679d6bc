"""The core review flow in a real headless Chromium (Playwright driving the system browser)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from monitor.reports.writer import render_events_report
from tests.support.hostile import add_hostile
from tests.web.conftest import PASSWORD, Served

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
# Nothing that would reach the network or persist state: the app is on 127.0.0.1.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("POLICYWATCH_REQUIRE_SERVICES") == "1":
            pytest.fail(
                "chromium required (POLICYWATCH_REQUIRE_SERVICES=1): apt-get install chromium"
            )
        pytest.skip("chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


def _published(served: Served, fmt: str) -> str:
    with served.db.session() as s:
        text, _ = render_events_report(s, fmt, since=None, until=None, now=datetime.now(UTC))
    return text


def _login(page: Any, served: Served, name: str) -> None:
    page.goto(served("/"))
    assert page.url.startswith(served("/login"))  # anonymous: sent to the form
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(served("/"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_analyst_filters_opens_confirms_and_dismisses_and_the_digest_and_feed_follow(
    browser: Any, served: Served, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, served, "ana")
    assert "0 significant change(s)" in _published(served, "md")  # the gate holds both

    # Filter: esketamine changes mentioning monotherapy.
    page.select_option("select[name=drug]", "esketamine")
    page.fill("input[name=q]", "monotherapy")
    page.click(".filters button[type=submit]")
    rows = page.locator("table.queue tr.row")
    assert rows.count() == 1
    assert "monotherapy" in rows.first.inner_text()
    rows.first.locator("a.open").click()

    # The change page: stances, redline, criteria; confirm with an edited summary and a note.
    assert page.locator("#stance-before").inner_text() == "covered with criteria"
    assert page.locator("table.redline ins").count() > 0
    assert page.locator("table.criteria tr.changed").count() >= 1
    page.fill("textarea[name=summary]", "Evergreen: Spravato now allowed as monotherapy")
    page.fill("textarea[name=note]", "Confirmed against section 2 of the policy")
    page.uncheck("input[name=go]")
    page.click("#confirm")
    page.wait_for_selector("p.notice")
    assert page.locator("#review-status").inner_text() == "confirmed"
    assert "ana" in page.locator("#audit").inner_text()

    # Back to the queue, another filter: the PDL stance change; dismiss it with a note.
    page.goto(served("/?kind=stance_change"))
    assert page.locator("table.queue tr.row").count() == 1
    page.locator("table.queue tr.row a.open").first.click()
    assert "Non-Preferred Agents" in page.locator("table.redline").inner_text()
    page.fill("textarea[name=note]", "Sample PDL, not a real payer")
    page.uncheck("input[name=go]")
    page.click("#dismiss")
    page.wait_for_selector("p.notice")
    assert page.locator("#review-status").inner_text() == "dismissed"

    # The digest and the feed carry the confirmed change only, in the reviewed wording.
    digest, feed = _published(served, "md"), _published(served, "atom")
    assert "Spravato now allowed as monotherapy" in digest
    assert "Confirmed against section 2" in digest and "Columbia" not in digest
    assert feed.count("<entry>") == 1 and "monotherapy" in feed and "Columbia" not in feed
    page.click("text=Publication")
    assert page.locator("#awaiting").inner_text() == "0"
    assert "Spravato now allowed as monotherapy" in page.locator("#digest").inner_text()

    # Nothing overflows the viewport sideways (tables scroll inside their own box).
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"] + 1
    assert errors == []  # the CSP blocked nothing the app itself needs
    context.close()


def test_keyboard_shortcuts_confirm_and_move_to_the_next_change(
    browser: Any, served: Served
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _login(page, served, "ana")
    page.keyboard.press("j")
    assert page.locator("table.queue tr.row.selected").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_selector("#review-form")
    first = page.url
    page.keyboard.press("c")  # confirm, then (the default) open the next change to review
    page.wait_for_url(lambda url: url != first and "/changes/" in url)
    page.wait_for_selector("#review-form")
    assert page.locator("#review-status").inner_text() == "new"
    page.keyboard.press("d")
    page.wait_for_selector("p.notice")  # the last one: back on it, saved
    assert page.locator("#review-status").inner_text() == "dismissed"
    context.close()


def test_a_viewer_sees_no_review_controls_and_crawled_scripts_never_run(
    browser: Any, served: Served
) -> None:
    add_hostile(served.db)  # a source whose every field, and its archived page, is an attack
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _login(page, served, "vic")
    assert page.locator("table.queue").inner_text().count("<script>") == 1  # shown as text
    page.goto(served("/?state=TX"))
    page.locator("table.queue tr.row a.open").first.click()
    assert page.locator("#review-form").count() == 0
    assert "Not covered <script>" in page.locator("table.redline").inner_text()
    page.locator("a[href^='/snapshots/']").last.click()
    frame = page.locator("iframe.archived")
    assert frame.get_attribute("sandbox") == ""  # no allow-scripts, no allow-same-origin
    page.wait_for_timeout(500)
    for doc in page.frames:
        # A sandboxed frame may refuse evaluation: it runs nothing either.
        with contextlib.suppress(PlaywrightError):
            assert doc.evaluate("document.body.getAttribute('data-pwned')") is None
    assert page.evaluate("document.body.getAttribute('data-pwned')") is None and dialogs == []
    context.close()
