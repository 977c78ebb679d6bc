"""Stage 1: hash each body and decide whether it is a new version of its source."""

from __future__ import annotations

from typing import Any

from crawler.items import FetchResult
from storage.blobs import sha256_hex


class DedupePipeline:
    """Marks ``is_new`` when the body differs from the source's latest stored version."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: FetchResult) -> FetchResult:
        if item.status != "fetched":
            return item
        item.sha256 = sha256_hex(item.body)
        known = getattr(self.crawler.spider, "known", {})
        last = known.get(item.source_id)
        item.is_new = last is None or last.sha256 != item.sha256
        return item
