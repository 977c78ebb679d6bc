"""One request at a time per site across every worker of the cluster, then the politeness delay.

Scrapy's own per-site limit (``CONCURRENT_REQUESTS_PER_DOMAIN = 1``, ``DOWNLOAD_DELAY``) holds
inside one process only. Here each download first takes a lease on its host in Redis
(``SET NX PX``); when the response or error comes back the lease is not deleted but shortened to
the download delay, so the next request to that site, from any worker, waits that long. A worker
that dies holding a lease loses it after the download timeout.
"""

from __future__ import annotations

import uuid
from typing import Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

from crawler.queue.keys import Keys

# Keep the delay if we still hold the lease; never touch a lease someone else holds.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    if tonumber(ARGV[2]) > 0 then return redis.call('pexpire', KEYS[1], ARGV[2]) end
    return redis.call('del', KEYS[1])
end
return 0
"""
META = "policywatch_host_lease"


class HostLeaseMiddleware:
    """Downloader middleware, placed next to the downloader so every retry takes a new lease."""

    def __init__(self, crawler: Any) -> None:
        import redis

        settings = crawler.settings
        url = settings.get("POLICYWATCH_QUEUE_URL")
        if not url:
            raise NotConfigured("no cluster queue")
        self.client = redis.Redis.from_url(url)
        self.keys = Keys(settings.get("POLICYWATCH_QUEUE_NAMESPACE", "policywatch"))
        self.delay_ms = int(settings.getfloat("DOWNLOAD_DELAY") * 1000)
        self.lease_ms = int((settings.getfloat("DOWNLOAD_TIMEOUT") + 30) * 1000)
        self.release_script = self.client.register_script(_RELEASE)

    @classmethod
    def from_crawler(cls, crawler: Any) -> HostLeaseMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        key = self.keys.host(urlparse_cached(request).hostname or "")
        token = uuid.uuid4().hex
        wait = 0.01
        # Plain redis calls take well under a millisecond; waiting is asynchronous.
        while not self.client.set(key, token, nx=True, px=self.lease_ms):
            await sleep(wait)
            wait = min(wait * 2, 0.25)
        request.meta[META] = (key, token)

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)

    def _release(self, request: Request) -> None:
        lease = request.meta.pop(META, None)
        if lease is not None:
            key, token = lease
            self.release_script(keys=[key], args=[token, self.delay_ms])
