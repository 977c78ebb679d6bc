"""The change report in a real browser: headless Chromium renders it, runs no crawled script."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest

from storage.db import Database
from tests.reports.helpers import week_pages, write_all
from tests.support.hostile import add_hostile

REQUIRE_SERVICES = os.environ.get("POLICYWATCH_REQUIRE_SERVICES") == "1"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if REQUIRE_SERVICES:
        pytest.fail("chromium required (POLICYWATCH_REQUIRE_SERVICES=1): apt-get install chromium")
    pytest.skip("chromium not installed (apt-get install chromium)")


def _run(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    # Everything that would reach the network or persist state is off: the page is local.
    cmd = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True)


@pytest.fixture
def report(db: Database, tmp_path: Path) -> Path:
    add_hostile(db)
    (week,) = week_pages(write_all(db, tmp_path / "out")["changes.html"])
    return week


def test_chromium_renders_redlines_and_stances_and_runs_no_crawled_script(
    report: Path, tmp_path: Path
) -> None:
    dom = _run(["--dump-dom", report.as_uri()], tmp_path / "profile").stdout
    doc = lxml.html.fromstring(dom)
    # The hostile event's scripts would set data-pwned on <body> if they ran.
    assert doc.body.get("data-pwned") is None
    assert doc.cssselect("script, img") == []
    assert "two (2)" in [e.text for e in doc.cssselect("td.after ins")]
    assert "three (3)" in [e.text for e in doc.cssselect("td.before del")]
    stances = [b.text_content() for b in doc.cssselect("article.change p.stances .badge")]
    assert "preferred" in stances and "non-preferred" in stances
    assert "Other events (1)" in doc.cssselect("details.operator summary")[0].text_content()


def test_chromium_screenshot_of_the_report(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "changes.png"
    _run(
        ["--window-size=1280,2400", f"--screenshot={shot}", report.as_uri()],
        tmp_path / "profile",
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 50_000  # a rendered page, not a blank one
    keep = os.environ.get("POLICYWATCH_SCREENSHOT")
    if keep:  # for a person to look at; the assertions above do not depend on it
        shutil.copyfile(shot, keep)
