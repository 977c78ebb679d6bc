"""The one generic spider: fetch every enabled source once, conditionally, and yield the outcome."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response
from sqlalchemy import select
from twisted.python.failure import Failure

from crawler.config import load_config
from crawler.errors import classify_failure
from crawler.items import FetchResult
from crawler.registry import check_url, configured_sources
from storage.db import Database
from storage.models import Source
from storage.repo import SnapshotRef, latest_snapshots, sync_sources


class PoliciesSpider(scrapy.Spider):
    """Fetch registered policy documents; a 304 or an identical body is recorded, not stored."""

    name = "policies"
    custom_settings: dict[str, Any] | None = {  # noqa: RUF012
        # 304 must reach the callback; everything else >= 400 goes to the errback via HttpError.
        "HTTPERROR_ALLOWED_CODES": [304],
        # Requests come only from the registry, never from a page: no link depth or length to
        # police, and each of these would wrap every response's output. (The referer one stays:
        # the redirect middlewares rely on it.)
        "SPIDER_MIDDLEWARES": {
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
        },
    }

    def __init__(self, source_ids: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only_ids = [s for s in (source_ids or "").split(",") if s]
        self.known: dict[str, SnapshotRef] = {}
        self.db: Database | None = None

    def _targets(self) -> list[Any]:
        settings = self.crawler.settings
        assert self.db is not None
        ids = self.only_ids or settings.getlist("POLICYWATCH_SOURCE_IDS")
        if ids:
            with self.db.session() as session:
                found = {r.id: r for r in session.scalars(select(Source))}
            missing = [i for i in ids if i not in found]
            if missing:
                raise ValueError(f"unknown source id(s): {', '.join(missing)}")
            return [found[i] for i in ids]
        # Run directly with `scrapy crawl policies`: the sources `policywatch crawl` would take
        # (policywatch.toml's, extra_sources included), POLICYWATCH_SOURCE_FILES replacing its
        # `sources`; load and sync them ourselves.
        cfg = load_config()
        files = settings.getlist("POLICYWATCH_SOURCE_FILES")
        if files:
            cfg.sources = list(files)
        sources = configured_sources(cfg)
        with self.db.session() as session:
            sync_sources(session, sources)
        return [s for s in sources if s.enabled]

    async def start(self) -> AsyncIterator[Any]:
        self.db = Database(self.crawler.settings.get("POLICYWATCH_DB_URL"))
        targets = self._targets()
        with self.db.session() as session:
            self.known = latest_snapshots(session, [t.id for t in targets])
        self.crawler.stats.set_value("policywatch/sources", len(targets))
        for src in targets:
            # A URL stored before validation existed (or edited in the database) may not make a
            # request: that source fails, recorded; the sources after it are still fetched.
            problem = check_url(src.url)
            if problem is None:
                try:
                    yield self.request_for(src.id, src.url)
                    continue
                except ValueError as exc:
                    problem = str(exc)
            yield self.bad_url(src.id, src.url, problem)

    @staticmethod
    def bad_url(source_id: str, url: str, problem: str) -> FetchResult:
        return FetchResult(
            source_id=source_id,
            url=url,
            started_at=datetime.now(UTC),
            status="failed",
            error_kind="bad_url",
            error=f"cannot request {url!r}: {problem}",
        )

    def request_for(self, source_id: str, url: str) -> scrapy.Request:
        headers: dict[str, str] = {}
        last = self.known.get(source_id)
        # Validators only describe the URL they came from; an edited registry URL starts afresh.
        if last is not None and last.requested_url == url:
            if last.etag:
                headers["If-None-Match"] = last.etag
            if last.last_modified:
                headers["If-Modified-Since"] = last.last_modified
        return scrapy.Request(
            url,
            headers=headers,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta={
                "source_id": source_id,
                "started": time.monotonic(),
                "started_at": datetime.now(UTC),
            },
        )

    @staticmethod
    def _redirects(response: Response) -> list[dict[str, Any]]:
        urls = response.meta.get("redirect_urls", [])
        reasons = response.meta.get("redirect_reasons", [])
        hops = [*urls, response.url]
        return [
            {"status": reasons[i] if i < len(reasons) else None, "from": hops[i], "to": hops[i + 1]}
            for i in range(len(urls))
        ]

    def parse(self, response: Response, **_: Any) -> Any:
        meta = response.meta
        urls = meta.get("redirect_urls") or [response.url]
        headers = response.headers
        result = FetchResult(
            source_id=meta["source_id"],
            url=urls[0],
            started_at=meta["started_at"],
            duration_s=time.monotonic() - meta["started"],
            final_url=response.url,
            http_status=response.status,
            redirects=self._redirects(response),
        )
        if response.status == 304:
            result.status = "not_modified"
            return result
        result.status = "fetched"
        result.body = response.body
        result.content_type = _header(headers, b"Content-Type")
        result.etag = _header(headers, b"ETag")
        result.last_modified = _header(headers, b"Last-Modified")
        return result

    def failed(self, failure: Failure) -> FetchResult:
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        kind, message, status = classify_failure(failure)
        return FetchResult(
            source_id=meta["source_id"],
            url=(meta.get("redirect_urls") or [request.url])[0],
            started_at=meta["started_at"],
            duration_s=time.monotonic() - meta["started"],
            status="failed",
            http_status=status,
            error_kind=kind,
            error=message,
        )

    def closed(self, reason: str) -> None:
        if self.db is not None:
            self.db.dispose()


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None
