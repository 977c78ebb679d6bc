"""The published site in headless Chromium at desktop and phone widths."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.publish import publish_site
from storage.db import Database
from tests.publish.conftest import BASE_URL, review

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("POLICYWATCH_REQUIRE_SERVICES") == "1":
            pytest.fail("chromium required (POLICYWATCH_REQUIRE_SERVICES=1): apt install chromium")
        pytest.skip("chromium not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def site(pdb: Database, tmp_path: Path) -> Path:
    review(pdb, "demo-columbia-pdl", "confirmed")
    review(pdb, "demo-evergreen-ketamine", "confirmed")
    out = tmp_path / "site"
    with pdb.session() as s:
        publish_site(s, out, BASE_URL)
    return out


def _pages(site: Path) -> list[Path]:
    change = sorted((site / "changes").glob("*columbia*.html"))[0]
    return [
        site / "index.html",
        site / "states" / "TX.html",
        site / "states" / "WY.html",
        site / "payers" / "evergreen-mutual-health-sample.html",
        change,
        site / "changes" / "index.html",
        site / "glossary.html",
    ]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_pages_fit_the_screen_and_run_nothing(
    browser: object, site: Path, tmp_path: Path, width: str
) -> None:
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h})  # type: ignore[attr-defined]
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    keep = os.environ.get("POLICYWATCH_SCREENSHOT_DIR")
    for path in _pages(site):
        page.goto(path.as_uri())
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{path.name} overflows at {width}: {scroll} > {inner}"
        assert page.locator("h1").first.is_visible()
        shot = tmp_path / f"{width}-{path.parent.name}-{path.stem}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes().startswith(b"\x89PNG")
        if keep:  # for a person to look at; the assertions do not depend on it
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, Path(keep) / shot.name)
    assert problems == []
    page.close()


def test_map_tiles_are_drawn_and_lead_to_state_pages(browser: object, site: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page.goto((site / "index.html").as_uri())
    tiles = page.locator("svg.usmap g.state")
    assert tiles.count() == 102
    box = tiles.first.bounding_box()
    assert box is not None and box["width"] > 15 and box["height"] > 15
    page.locator('svg.usmap g.state[data-state="TX"][data-drug="esketamine"]').click()
    page.wait_for_url("**/states/TX.html")
    assert "Texas" in page.locator("h1").inner_text()
    page.close()
