"""An extract function that misbehaves on marked pages: its process dies, as on a crash in a C
parser, or it never returns, as a parser in an endless loop."""

from __future__ import annotations

import os
import time
from typing import Any

from crawler.extract import extract as real_extract

MARK = b"KILL-THE-EXTRACTOR-PROCESS"
STUCK = b"NEVER-FINISH-EXTRACTING"


def extract(body: bytes, content_type: str | None = None) -> Any:
    if MARK in body:
        os._exit(70)  # no exception, no cleanup: the worker is simply gone
    if STUCK in body:
        time.sleep(3600)
    return real_extract(body, content_type)
