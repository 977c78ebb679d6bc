"""An extract function that, on a marked page, holds its worker until every page was requested.

If parsing blocked downloads, the other pages would never be requested while it waits; the
verdict file says which happened. The sentinel and verdict paths come from the environment,
which the crawl process and its workers inherit.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from crawler.extract import extract as real_extract

MARK = b"HOLD-UNTIL-EVERY-PAGE-WAS-REQUESTED"
SENTINEL = "POLICYWATCH_TEST_SENTINEL"
PATIENCE = 30.0  # seconds; only reached when downloads stalled


def extract(body: bytes, content_type: str | None = None) -> Any:
    if MARK in body:
        sentinel = Path(os.environ[SENTINEL])
        give_up = time.monotonic() + PATIENCE
        while not sentinel.exists() and time.monotonic() < give_up:
            time.sleep(0.02)
        verdict = "downloads went on" if sentinel.exists() else "downloads stalled"
        sentinel.with_suffix(".verdict").write_text(verdict)
    return real_extract(body, content_type)
