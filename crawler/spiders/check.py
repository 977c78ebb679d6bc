"""Check registry entries live: one polite fetch each, nothing stored, a verdict per source."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.checks import CheckResult
from crawler.errors import classify_failure
from crawler.registry import PolicySource
from crawler.spiders.policies import PoliciesSpider


class CheckSpider(scrapy.Spider):
    """Fetch each given source once and report status, redirects, robots, type and drugs."""

    name = "check"
    custom_settings: dict[str, Any] | None = {  # noqa: RUF012
        # Results go back to the caller, not into the snapshot history: a check is a probe.
        "ITEM_PIPELINES": {},
        # Every status reaches the callback, so a 404 is reported as a 404, not a failure kind.
        "HTTPERROR_ALLOW_ALL": True,
    }

    def __init__(self, sources: Sequence[PolicySource] = (), *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = list(sources)

    async def start(self) -> AsyncIterator[Any]:
        for src in self.targets:
            yield scrapy.Request(
                src.url,
                callback=self.parse,
                errback=self.failed,
                dont_filter=True,
                meta={"source": src, "started": time.monotonic()},
            )

    def _robots_checked(self) -> bool | None:
        return True if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else None

    def parse(self, response: Response, **_: Any) -> CheckResult:
        from crawler.extract import extract  # the parsers load only when a check runs

        src: PolicySource = response.meta["source"]
        ctype = response.headers.get(b"Content-Type")
        result = CheckResult(
            source_id=src.id,
            url=src.url,
            http_status=response.status,
            final_url=response.url,
            redirects=PoliciesSpider._redirects(response),
            robots_allowed=self._robots_checked(),
            content_type=ctype.decode("latin-1") if ctype else None,
            expected_drugs=list(src.drugs),
            duration_s=time.monotonic() - response.meta["started"],
        )
        if 200 <= response.status < 300:
            ext = extract(response.body, result.content_type)
            result.outcome = ext.outcome
            result.message = ext.message
            result.found_drugs = sorted({c.drug for c in ext.clauses} | set(ext.summaries))
        else:
            result.message = f"HTTP {response.status}"
        return result

    def failed(self, failure: Failure) -> CheckResult:
        request = failure.request  # type: ignore[attr-defined]
        src: PolicySource = request.meta["source"]
        kind, message, status = classify_failure(failure)
        return CheckResult(
            source_id=src.id,
            url=src.url,
            http_status=status,
            robots_allowed=False if kind == "robots" else None,
            error_kind=kind,
            message=message,
            expected_drugs=list(src.drugs),
            duration_s=time.monotonic() - request.meta["started"],
        )
