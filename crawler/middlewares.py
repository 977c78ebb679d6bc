"""Downloader middlewares: retries that back off, robots.txt checked for every request, and the
address policy applied to every URL a server chose."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from crawler.addresses import AddressPolicy


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta-seconds or an HTTP date) into seconds, or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting before each retry instead of retrying at once."""

    def _delay(self, request: Request, response: Response | None) -> float:
        settings = self.crawler.settings
        base = settings.getfloat("POLICYWATCH_RETRY_BACKOFF", 2.0)
        cap = settings.getfloat("POLICYWATCH_RETRY_BACKOFF_MAX", 120.0)
        attempt = request.meta.get("retry_times", 0)
        delay = base * (2**attempt)
        if response is not None:
            hinted = retry_after_seconds(response.headers.get(b"Retry-After"))
            if hinted is not None:
                delay = hinted
        return min(delay, cap)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await sleep(self._delay(request, response))
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if request.meta.get("dont_retry", False) or not isinstance(
            exception, self.exceptions_to_retry
        ):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await sleep(self._delay(request, None))
        return retry


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, safe when many requests wait for one robots.txt.

    Scrapy 2.19 lets every waiting request await the same Deferred; converting it to an asyncio
    future consumes its result, so all waiters after the first saw ``None`` and were let through
    robots.txt unchecked. Each waiter here gets its own Deferred fed from the shared one.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            mine: Deferred[RobotParser | None] = Deferred()

            def relay(result: Any) -> Any:
                mine.callback(result)
                return result

            pending.addBoth(relay)
            return await maybe_deferred_to_future(mine)
        return await super().robot_parser(request)


class AddressBlocked(IgnoreRequest):
    """A server tried to send the crawler to an internal address (see crawler/addresses.py)."""


class AddressPolicyMiddleware:
    """Check every request a server chose (redirect, meta refresh, discovered link) against the
    address policy before anything is sent, robots.txt included."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Any) -> AddressPolicyMiddleware:
        settings = crawler.settings
        internal = settings.getlist("POLICYWATCH_INTERNAL_NETWORKS") or None
        return cls(AddressPolicy(settings.getlist("POLICYWATCH_ALLOW_PRIVATE"), internal))

    async def process_request(self, request: Request) -> None:
        origin = request.meta.get("policywatch_origin") or next(
            iter(request.meta.get("redirect_urls") or []), None
        )
        if origin is None or request.url.startswith(("data:", "file:")):
            return None  # the operator's own URL
        problem = await maybe_deferred_to_future(
            deferToThread(self.policy.hop_problem, origin, request.url)
        )
        if problem:
            raise AddressBlocked(f"blocked by the address policy: {problem}")
        return None
