"""Stage 2: extract clauses from each new version (pure function; failures become outcomes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crawler.items import FetchResult


class ExtractPipeline:
    def __init__(self, extract: Callable[..., Any] | None, version: str) -> None:
        self.extract = extract
        self.version = version

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        if not crawler.settings.getbool("POLICYWATCH_EXTRACT", True):
            return cls(None, "")
        # Imported here so a fetch-only crawl never loads the parsers.
        from crawler.extract import EXTRACTOR_VERSION, extract

        return cls(extract, EXTRACTOR_VERSION)

    def process_item(self, item: FetchResult) -> FetchResult:
        if self.extract is not None and item.is_new:
            try:
                item.extraction = self.extract(item.body, item.content_type)
            except Exception as exc:
                # A bug or a hostile body must not drop the item: its fetch record and bytes
                # are still stored, and the outcome says the extractor failed on it.
                from crawler.extract.model import Extraction

                item.extraction = Extraction(
                    outcome="unparseable",
                    format="unknown",
                    message=f"extractor failed: {type(exc).__name__}: {exc}",
                )
            item.extractor_version = self.version
        return item
