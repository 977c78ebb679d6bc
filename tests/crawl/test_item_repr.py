"""An item's repr (what Scrapy's "Scraped from" log line prints) stays small."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.extract import extract
from crawler.items import FetchResult


def test_repr_names_the_fetch_but_not_the_body_or_extraction() -> None:
    body = (
        b"<html><body><h1>Esketamine</h1><p>Spravato (esketamine) requires prior "
        b"authorization.</p>" + b"<p>Background paragraph number one.</p>" * 200 + b"</body></html>"
    )
    item = FetchResult(
        source_id="acme-esketamine",
        url="https://payer.example/esketamine",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        body=body,
        is_new=True,
    )
    item.extraction = extract(body, "text/html; charset=utf-8")
    assert len(item.extraction.blocks) > 200
    text = repr(item)
    assert "acme-esketamine" in text and "https://payer.example/esketamine" in text
    assert "Background paragraph" not in text and "prior authorization" not in text
    assert len(text) < 1000


def test_below_log_level_scrapy_builds_no_debug_lines() -> None:
    """Scrapy sets its own logger to DEBUG; a crawl at INFO must not build its per-page lines
    (each one is formatted and redacted before a handler drops it)."""
    import logging

    from scrapy.utils.log import configure_logging

    from crawler.runner import quiet_below_log_level

    root, scrapy_logger = logging.getLogger(), logging.getLogger("scrapy")
    saved = root.level, scrapy_logger.level
    try:
        configure_logging({"LOG_INSTALL_ROOT_HANDLER": False})
        assert logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.DEBUG)
        quiet_below_log_level({"LOG_LEVEL": "INFO"})
        assert not logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("scrapy.core.engine").isEnabledFor(logging.INFO)
        quiet_below_log_level({"LOG_LEVEL": "DEBUG"})
        assert logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(saved[0])
        scrapy_logger.setLevel(saved[1])
