"""The one item the crawler produces: the outcome of fetching one source once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class FetchResult:
    source_id: str
    url: str  # requested URL
    started_at: datetime
    duration_s: float = 0.0
    # fetched (a body arrived) | not_modified (304) | failed
    status: str = "fetched"
    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body: bytes = field(default=b"", repr=False)  # never printed whole into logs
    redirects: list[dict[str, Any]] = field(default_factory=list)
    error_kind: str | None = None
    error: str | None = None
    # Filled by the pipelines.
    sha256: str | None = None
    is_new: bool = False
    # crawler.extract.model.Extraction for new versions. Not in the repr: Scrapy's "Scraped
    # from" debug line formats every item, and an extraction's ~750 blocks made that line
    # (and the log redaction run over it) cost more CPU than extracting the page.
    extraction: Any = field(default=None, repr=False)
    extractor_version: str = ""
    snapshot_id: int | None = None
