"""Helpers for crawl tests: registry files pointing at the local site, and crawling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

from crawler.config import Config
from crawler.registry import load_sources
from crawler.runner import CrawlSummary, crawl_in_child, prepare

# Short timeouts and backoff, no AutoThrottle: the local site answers in microseconds.
FAST = {"POLICYWATCH_RETRY_BACKOFF": 0.05, "AUTOTHROTTLE_ENABLED": False}


def source(sid: str, url: str, **extra: Any) -> dict[str, Any]:
    entry = {
        "id": sid,
        "payer": "Example Health",
        "plan_type": "commercial",
        "state": "US",
        "document_type": "drug_policy",
        "title": f"Policy {sid}",
        "url": url,
    }
    entry.update(extra)
    return entry


def write_registry(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_bytes(tomli_w.dumps({"source": entries}).encode())
    return path


def crawl(cfg: Config, registry: Path, **overrides: Any) -> CrawlSummary:
    srcs = load_sources([registry])
    ids = prepare(cfg, srcs)
    return crawl_in_child(cfg, ids, **{**FAST, **overrides})
