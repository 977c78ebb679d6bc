"""Item pipeline (after the store): mark each source done for the cycle once its fetch is stored.

A batch taken again after its worker died skips the sources marked here, so only the page that
was being downloaded at the moment of the kill is fetched twice. The worker's crawl stores every
item in its own transaction (``POLICYWATCH_BATCH_SIZE = 1``), so "marked" implies "stored".
"""

from __future__ import annotations

import json
from typing import Any

from scrapy.exceptions import NotConfigured

from crawler.items import FetchResult
from crawler.queue.keys import CYCLE_TTL, Keys


def result_of(item: FetchResult) -> dict[str, Any]:
    if item.status == "failed":
        result = "failed"
    elif item.status == "not_modified":
        result = "not_modified"
    else:
        result = "new_version" if item.is_new else "unchanged"
    return {"result": result, "kind": item.error_kind, "error": item.error, "url": item.url}


class CycleDonePipeline:
    def __init__(self, crawler: Any) -> None:
        import redis

        settings = crawler.settings
        url = settings.get("POLICYWATCH_QUEUE_URL")
        cycle = settings.get("POLICYWATCH_CYCLE_ID")
        if not (url and cycle):
            raise NotConfigured("not a cluster crawl")
        self.client = redis.Redis.from_url(url)
        self.key = Keys(settings.get("POLICYWATCH_QUEUE_NAMESPACE", "policywatch")).done(cycle)
        self.worker = settings.get("POLICYWATCH_WORKER_ID", "")

    @classmethod
    def from_crawler(cls, crawler: Any) -> CycleDonePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchResult):
            record = {**result_of(item), "worker": self.worker}
            with self.client.pipeline() as pipe:
                pipe.hset(self.key, item.source_id, json.dumps(record))
                pipe.expire(self.key, CYCLE_TTL)
                pipe.execute()
        return item
