"""Stage 2: extract clauses from each new version (pure function; failures become outcomes).

By default the parsing runs in a process pool (crawler/pipelines/pool.py), one worker per core,
so downloads go on while pages are parsed. ``POLICYWATCH_EXTRACT_WORKERS = 0`` parses in the
crawl process instead: no worker processes for a handful of pages.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.utils.asyncio import is_asyncio_available

from crawler.items import FetchResult
from crawler.pipelines.pool import (
    DEFAULT_EXTRACTOR,
    ExtractorPool,
    default_workers,
    prepare,
)

log = logging.getLogger(__name__)


class ExtractPipeline:
    def __init__(
        self,
        extractor: str | None,
        version: str,
        workers: int = 0,
        stats: Any = None,
        timeout: float | None = None,
    ) -> None:
        self.extractor = extractor  # module.function; None: extraction is off
        self.version = version
        self.workers = workers
        self.stats = stats
        self.timeout = timeout
        self.pool: ExtractorPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        settings = crawler.settings
        if not settings.getbool("POLICYWATCH_EXTRACT", True):
            return cls(None, "")
        # Imported here so a fetch-only crawl never loads the parsers.
        from crawler.extract import EXTRACTOR_VERSION

        workers = settings.getint("POLICYWATCH_EXTRACT_WORKERS", -1)
        if workers < 0:
            workers = default_workers()
        if workers and not is_asyncio_available():
            log.warning("extracting in the crawl process: the pool needs the asyncio reactor")
            workers = 0
        extractor = settings.get("POLICYWATCH_EXTRACTOR") or DEFAULT_EXTRACTOR
        timeout = settings.getfloat("POLICYWATCH_EXTRACT_TIMEOUT", 0.0) or None
        return cls(extractor, EXTRACTOR_VERSION, workers, crawler.stats, timeout)

    def open_spider(self) -> None:
        if self.extractor is not None and self.workers > 0:
            self.pool = ExtractorPool(self.workers, self.extractor, self.timeout).start()

    async def process_item(self, item: FetchResult) -> FetchResult:
        if self.extractor is None or not item.is_new:
            return item
        if self.pool is not None:
            prepared = await self.pool.extract(item.body, item.content_type, item.final_url)
        else:
            prepared = prepare(self.extractor, item.body, item.content_type)
        item.extraction, item.extraction_fields = prepared
        item.extractor_version = self.version
        return item

    def close_spider(self) -> None:
        if self.pool is not None:
            if self.stats is not None:
                self.stats.set_value("policywatch/extract_workers", self.pool.workers)
                self.stats.set_value("policywatch/extract_worker_crashes", self.pool.crashes)
            self.pool.close()
            self.pool = None
