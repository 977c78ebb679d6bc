"""An extract function whose process dies on a marked page, as a crash in a C parser would."""

from __future__ import annotations

import os
from typing import Any

from crawler.extract import extract as real_extract

MARK = b"KILL-THE-EXTRACTOR-PROCESS"


def extract(body: bytes, content_type: str | None, url: str | None) -> Any:
    if MARK in body:
        os._exit(70)  # no exception, no cleanup: the worker is simply gone
    return real_extract(body, content_type, url)
