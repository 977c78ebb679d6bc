"""Downloader middleware: the CMS Coverage API licence token for detail endpoints.

``/v1/data/...`` answers 401 without ``Authorization: Bearer <token>``; the token comes from
``/v1/metadata/license-agreement`` and expires (public clients refresh it hourly). The token is
fetched through the engine, so robots.txt, delays and retries apply to it like to any request;
it is cached until shortly before it expires, and a 401 drops it and retries the request once
with a fresh one. Hosts are a setting (``CMS_API_HOSTS``) so tests can point it at 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler import cmsapi

logger = logging.getLogger(__name__)
RETRIED = "cms_auth_retried"
TOKEN_REQUEST = "cms_auth_token_request"


@dataclass
class TokenCache:
    """One token per API origin, valid until ``expires_at`` (monotonic seconds)."""

    token: str | None = None
    expires_at: float = 0.0

    def get(self, now: float) -> str | None:
        return self.token if self.token and now < self.expires_at else None

    def put(self, token: str, now: float, ttl: float) -> None:
        self.token, self.expires_at = token, now + ttl

    def invalidate(self, token: str | None) -> None:
        # Only drop the token the failed request carried: another request may have refreshed it.
        if token is None or token == self.token:
            self.token, self.expires_at = None, 0.0


class CmsAuthMiddleware:
    """Adds the CMS licence bearer token to detail requests; refreshes on expiry and on 401."""

    def __init__(self, crawler: Any, clock: Callable[[], float] = time.monotonic) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.hosts = {h.lower() for h in settings.getlist("CMS_API_HOSTS", cmsapi.DEFAULT_HOSTS)}
        self.token_path = settings.get("CMS_API_TOKEN_PATH", cmsapi.TOKEN_PATH)
        self.auth_prefix = settings.get("CMS_API_AUTH_PATH_PREFIX", cmsapi.AUTH_PATH_PREFIX)
        # Refresh a little before the hour public clients assume, rather than after a 401.
        self.ttl = settings.getfloat("CMS_API_TOKEN_TTL", 55 * 60)
        self.clock = clock
        self.caches: dict[str, TokenCache] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> CmsAuthMiddleware:
        return cls(crawler)

    def _origin(self, request: Request) -> str | None:
        parts = urlparse_cached(request)
        host, netloc = (parts.hostname or "").lower(), parts.netloc.lower()
        if host not in self.hosts and netloc not in self.hosts:
            return None
        return f"{parts.scheme}://{parts.netloc}"

    def _needs_token(self, request: Request) -> str | None:
        if request.meta.get(TOKEN_REQUEST):
            return None
        origin = self._origin(request)
        if origin is None or not urlparse_cached(request).path.startswith(self.auth_prefix):
            return None
        return origin

    async def process_request(self, request: Request) -> None:
        origin = self._needs_token(request)
        if origin is None or b"Authorization" in request.headers:
            return None
        token = await self.token(origin)
        if token:
            request.headers[b"Authorization"] = f"Bearer {token}".encode()
        return None

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 401 or request.meta.get(RETRIED):
            return response
        origin = self._needs_token(request)
        if origin is None:
            return response
        sent = request.headers.get(b"Authorization")
        used = sent.decode().removeprefix("Bearer ") if sent else None
        self.caches.setdefault(origin, TokenCache()).invalidate(used)
        self.crawler.stats.inc_value("cms_auth/refresh_after_401")
        retry = request.replace(dont_filter=True)
        retry.headers.pop(b"Authorization", None)
        retry.meta[RETRIED] = True
        return retry

    async def token(self, origin: str) -> str | None:
        """The cached token for ``origin``, fetching a new one when missing or expired."""
        cache = self.caches.setdefault(origin, TokenCache())
        lock = self.locks.setdefault(origin, asyncio.Lock())
        async with lock:  # many detail requests at once must share one token fetch
            token = cache.get(self.clock())
            if token:
                return token
            token = await self._fetch_token(origin)
            if token:
                cache.put(token, self.clock(), self.ttl)
            return token

    async def _fetch_token(self, origin: str) -> str | None:
        request = Request(
            origin + self.token_path,
            dont_filter=True,
            meta={TOKEN_REQUEST: True},
            headers={"Accept": "application/json"},
        )
        response = await self.crawler.engine.download_async(request)
        self.crawler.stats.inc_value("cms_auth/token_fetched")
        if response.status != 200:
            logger.warning("CMS licence token: HTTP %s from %s", response.status, request.url)
            return None
        try:
            token = cmsapi.token_from(cmsapi.envelope(response.body))
        except cmsapi.NotAnEnvelope as exc:
            logger.warning("CMS licence token: %s from %s", exc, request.url)
            return None
        if token is None:
            logger.warning("CMS licence token: no data[0].Token in %s", request.url)
        return token
