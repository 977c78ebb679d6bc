"""Run the discovery and check spiders, here or in a forked child (the reactor cannot restart).

Both use the crawl's polite settings (crawler/runner.py: ``scrapy_settings``): robots.txt,
one request at a time per site, delays, the configured User-Agent and contact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from crawler.checks import CheckResult
from crawler.proposals import Proposal
from crawler.registry import PolicySource
from crawler.runner import CrawlError, in_child, scrapy_settings
from monitor.config import Config

T = TypeVar("T")


@dataclass
class SpiderRun:
    items: list[Any] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    empty_details: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def run_spider_here(
    cfg: Config, spider_cls: type, sources: Sequence[PolicySource], **overrides: Any
) -> SpiderRun:
    """Run one spider over ``sources`` in this process (starts the reactor: once per process)."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    settings = scrapy_settings(cfg, [], **overrides)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_cls)
    run = SpiderRun()
    errors: list[str] = []

    def on_item(item: Any, **_: Any) -> None:
        run.items.append(item)

    def on_error(failure: Any, **_: Any) -> None:
        errors.append(failure.getTraceback())

    crawler.signals.connect(on_item, signal=signals.item_scraped)
    crawler.signals.connect(on_error, signal=signals.spider_error)
    process.crawl(crawler, sources=list(sources))
    process.start()
    if errors:
        raise CrawlError("; ".join(errors))
    spider = crawler.spider
    run.failures = list(getattr(spider, "failures", []))
    run.empty_details = list(getattr(spider, "empty_details", []))
    run.stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return run


def discover_in_child(cfg: Config, indexes: Sequence[PolicySource], **overrides: Any) -> SpiderRun:
    from crawler.spiders.discover import DiscoverySpider

    run = in_child(run_spider_here, cfg, DiscoverySpider, list(indexes), **overrides)
    run.items = [i for i in run.items if isinstance(i, Proposal)]
    return run


def check_in_child(
    cfg: Config, sources: Sequence[PolicySource], **overrides: Any
) -> list[CheckResult]:
    from crawler.spiders.check import CheckSpider

    run = in_child(run_spider_here, cfg, CheckSpider, list(sources), **overrides)
    return [i for i in run.items if isinstance(i, CheckResult)]
