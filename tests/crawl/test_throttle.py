"""LatencyThrottle on real answers from a local site: the per-site delay after each response.

A spider asks for one URL at a time (the next from the previous callback) and records its
site's download delay as each answer arrives. Delays are compared, never times: the local site
answers in about a millisecond, far below every delay used here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import pytest
import scrapy
from scrapy.http import Response

from crawler.runner import in_child
from monitor.sites.localsite import LocalSite

FLOOR = 0.05  # DOWNLOAD_DELAY
START = 1.0  # AUTOTHROTTLE_START_DELAY
MAX = 3.0  # AUTOTHROTTLE_MAX_DELAY

LATENCY_THROTTLE = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.throttle.LatencyThrottle": 0,
}
STOCK_AUTOTHROTTLE: dict[str, Any] = {}


class OneByOne(scrapy.Spider):
    name = "one_by_one"
    custom_settings = {"HTTPERROR_ALLOWED_CODES": [304, 429, 500, 503]}  # noqa: RUF012

    def __init__(self, steps: list[tuple[str, dict[str, str]]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.steps = list(steps)
        self.delays: list[tuple[int, float]] = []

    async def start(self) -> AsyncIterator[Any]:
        yield self._next()

    def _next(self) -> scrapy.Request:
        url, headers = self.steps.pop(0)
        return scrapy.Request(url, headers=headers, dont_filter=True, meta={"dont_retry": True})

    def parse(self, response: Response, **_: Any) -> Any:
        assert self.crawler.engine is not None
        slot = self.crawler.engine.downloader.slots[response.meta["download_slot"]]
        self.delays.append((response.status, slot.delay))
        if self.steps:
            yield self._next()


def _crawl(steps: list[tuple[str, dict[str, str]]], extensions: dict[str, Any]) -> Any:
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(
        {
            "EXTENSIONS": extensions,
            "AUTOTHROTTLE_ENABLED": True,
            "AUTOTHROTTLE_START_DELAY": START,
            "AUTOTHROTTLE_MAX_DELAY": MAX,
            "DOWNLOAD_DELAY": FLOOR,
            "DOWNLOAD_DELAY_JITTER": 0,
            "ROBOTSTXT_OBEY": True,
            "USER_AGENT": "policywatch/test",
            "LOG_LEVEL": "ERROR",
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    crawler = process.create_crawler(OneByOne)
    process.crawl(crawler, steps=steps)
    process.start()
    return crawler.spider.delays


def delays(steps: list[tuple[str, dict[str, str]]], extensions: dict[str, Any]) -> Any:
    return in_child(_crawl, steps, extensions)


@pytest.fixture
def unchanged(site: LocalSite) -> list[tuple[str, dict[str, str]]]:
    """A first fetch (200), then five conditional refetches answered 304."""
    page = site.set("/policy.html", "<html><body>Ketamine policy</body></html>")
    url = site.url("/policy.html")
    return [(url, {})] + [(url, {"If-None-Match": page.etag})] * 5


def test_a_run_of_304s_brings_the_delay_down_to_the_floor(
    unchanged: list[tuple[str, dict[str, str]]],
) -> None:
    ours = delays(unchanged, LATENCY_THROTTLE)
    assert [s for s, _ in ours] == [200, 304, 304, 304, 304, 304]
    after = [d for _, d in ours]
    # Halfway to the (millisecond) latency at each answer, never below DOWNLOAD_DELAY.
    assert all(later < earlier for earlier, later in pairwise(after[:4]))
    assert after[-1] == pytest.approx(FLOOR)
    assert all(d >= FLOOR for d in after)


def test_scrapy_autothrottle_keeps_the_delay_through_304s(
    unchanged: list[tuple[str, dict[str, str]]],
) -> None:
    """The defect LatencyThrottle fixes: only a 200 may lower the stock extension's delay."""
    stock = delays(unchanged, STOCK_AUTOTHROTTLE)
    after = [d for _, d in stock]
    assert after[0] < START  # the 200 lowered it
    assert after[1:] == [after[0]] * 5  # the 304s did not


def test_503_and_429_back_off_honouring_retry_after_up_to_the_maximum(site: LocalSite) -> None:
    site.set("/ok.html", "<html>fine</html>", validators=False)
    site.set("/busy", "busy", status=503, validators=False, headers={"Retry-After": "2"})
    site.set("/slow-down", "too many", status=429, validators=False)
    site.set("/broken", "oops", status=500, validators=False)
    ok, busy, slow, broken = (site.url(p) for p in ("/ok.html", "/busy", "/slow-down", "/broken"))
    result = delays([(ok, {}), (ok, {}), (busy, {}), (broken, {}), (slow, {})], LATENCY_THROTTLE)
    assert [s for s, _ in result] == [200, 200, 503, 500, 429]
    after = [d for _, d in result]
    assert after[1] < START / 2
    assert after[2] == pytest.approx(2.0)  # Retry-After, more than doubling
    assert after[3] == after[2]  # a 500 is fast but never lowers the delay
    assert after[4] == pytest.approx(MAX)  # doubled, capped by AUTOTHROTTLE_MAX_DELAY


def test_the_delay_never_goes_below_the_robots_txt_crawl_delay(
    site: LocalSite, unchanged: list[tuple[str, dict[str, str]]]
) -> None:
    site.set("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n", content_type="text/plain")
    after = [d for _, d in delays(unchanged, LATENCY_THROTTLE)]
    # robots.txt and the 200 already brought 1.0 halfway down twice; 0.25 is below 0.4.
    assert after == [pytest.approx(0.4)] * 6
