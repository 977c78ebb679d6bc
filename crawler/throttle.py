"""LatencyThrottle: a per-site delay that follows the site's latency on every answer.

Scrapy's AutoThrottle lowers the delay only on 200 replies (an error page is small and fast, so
it would pull the delay down while a site struggles). An unchanged cycle is nearly all 304s, so
once a slow answer or a 503 had raised a site's delay, the whole cycle stayed at it. Here:

- 2xx, 3xx (304 included) and 4xx answers are the site's real latency: the delay moves towards
  ``latency / AUTOTHROTTLE_TARGET_CONCURRENCY`` both ways, as AutoThrottle does on a 200;
- 429 and 503 mean "slow down": the delay doubles, at least to ``Retry-After``;
- other 5xx answers may raise the delay but never lower it;
- the delay never goes below ``DOWNLOAD_DELAY`` nor below the site's robots.txt ``Crawl-delay``
  for our user agent, and never above ``AUTOTHROTTLE_MAX_DELAY`` (which also caps a
  ``Crawl-delay`` or ``Retry-After`` so large it would stall the crawl).

Same settings as AutoThrottle (``AUTOTHROTTLE_ENABLED`` and the others), so turning it off for a
local test is unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from scrapy.utils.misc import load_object

from crawler.middlewares import retry_after_seconds

log = logging.getLogger(__name__)

BACKOFF_STATUSES = frozenset({429, 503})
BACKOFF_START = 1.0  # seconds: the least delay after a 429/503, even with DOWNLOAD_DELAY = 0


class LatencyThrottle(AutoThrottle):
    """AutoThrottle whose delay adapts to every answer and honours robots.txt Crawl-delay."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.user_agent: str = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.robots_parser: Any = load_object(settings.get("ROBOTSTXT_PARSER"))
        self.crawl_delays: dict[str, float] = {}  # download slot -> robots.txt Crawl-delay

    def floor(self, key: str) -> float:
        """The least delay allowed for a site: DOWNLOAD_DELAY or its robots.txt Crawl-delay."""
        return max(self.mindelay, self.crawl_delays.get(key, 0.0))

    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        key, slot = self._get_slot(request, spider)
        if key is None or slot is None:
            return
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            self._read_crawl_delay(key, response)
        latency = request.meta.get("download_latency")
        if latency is None or request.meta.get("autothrottle_dont_adjust_delay", False) is True:
            slot.delay = max(slot.delay, self.floor(key))
            return
        old = slot.delay
        slot.delay = self.next_delay(key, old, latency, response)
        if self.debug:
            log.info(
                "slot %s: delay %.3fs -> %.3fs (HTTP %d, latency %.3fs)",
                key,
                old,
                slot.delay,
                response.status,
                latency,
                extra={"spider": spider},
            )

    def next_delay(self, key: str, delay: float, latency: float, response: Response) -> float:
        """The slot's delay after ``response`` arrived in ``latency`` seconds."""
        floor = self.floor(key)
        if response.status in BACKOFF_STATUSES:
            hinted = retry_after_seconds(response.headers.get(b"Retry-After")) or 0.0
            wanted = max(delay * 2, BACKOFF_START, hinted, latency / self.target_concurrency, floor)
            return min(wanted, self.maxdelay)
        target = latency / self.target_concurrency
        # Halfway towards the target, or straight up to it: AutoThrottle's rule.
        new = max(target, (delay + target) / 2.0)
        new = min(max(floor, new), self.maxdelay)
        if response.status >= 500 and new < delay:
            return delay
        return new

    def _read_crawl_delay(self, key: str, response: Response) -> None:
        if response.status != 200 or not response.body:
            return
        try:
            parser = self.robots_parser.from_crawler(self.crawler, response.body)
            wanted = parser.crawl_delay(self.user_agent)
        except Exception as exc:  # a robots.txt the parser cannot read limits nothing
            log.debug("robots.txt of %s: no Crawl-delay read (%s)", key, exc)
            return
        if wanted:
            self.crawl_delays[key] = min(float(wanted), self.maxdelay)
