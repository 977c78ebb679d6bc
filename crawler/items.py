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
    # crawler.extract.model.Extraction for new versions, without its blocks (never stored;
    # crawler/pipelines/pool.py: prepare). Out of repr like the body: Scrapy
    # builds a "Scraped from" record with the item's repr for every page, and a page's blocks
    # made each one tens of KB to format and redact on the reactor thread.
    extraction: Any = field(default=None, repr=False)
    # The extraction record's columns (crawler/extract/record.py: record_columns), computed
    # beside the extraction in its worker process rather than by the store on the reactor thread.
    extraction_fields: dict[str, Any] | None = field(default=None, repr=False)
    extractor_version: str = ""
    snapshot_id: int | None = None
