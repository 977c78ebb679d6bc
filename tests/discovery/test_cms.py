"""The CMS Coverage API: discovery from paged reports, and the licence token for detail URLs.

Everything runs against tests/discovery/fake_cms.py on 127.0.0.1 with real Scrapy in a child.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.cms_auth import TokenCache
from crawler.config import Config
from crawler.registry import load_sources
from monitor.discovery import run_discovery
from storage.db import Database
from storage.models import ChangeEventRecord, ExtractionRecord, ProposedSource, Snapshot, Source
from tests.discovery.fake_cms import FakeCmsApi
from tests.support.crawling import FAST, crawl, source, write_registry


def _cms_registry(api: FakeCmsApi, tmp_path: Path) -> Path:
    common = {"payer": "CMS Coverage API", "plan_type": "medicare", "format": "json"}
    return write_registry(
        tmp_path / "cms.toml",
        [
            source(
                "cms-api-report-local-articles",
                api.url("/v1/reports/local-coverage-articles/"),
                document_type="api",
                **common,
            ),
            source(
                "cms-api-report-final-lcds",
                api.url("/v1/reports/local-coverage-final-lcds/"),
                document_type="api",
                **common,
            ),
            # Watched already (another version): not proposed again.
            source(
                "cms-a58800",
                api.url("/v1/data/article?articleid=58800&articlever=2"),
                document_type="billing_article",
                **common,
            ),
        ],
    )


def _overrides(api: FakeCmsApi, **extra: Any) -> dict[str, Any]:
    return {**FAST, "CMS_API_HOSTS": [api.netloc], **extra}


def test_detail_endpoint_refuses_without_token_and_answers_empty_for_unknown_ids(
    cms_api: FakeCmsApi,
) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(cms_api.url("/v1/data/article?articleid=59250&articlever=6"))
    assert err.value.code == 401
    with urllib.request.urlopen(cms_api.url("/v1/metadata/license-agreement")) as r:
        token = json.load(r)["data"][0]["Token"]
    req = urllib.request.Request(
        cms_api.url("/v1/data/article?articleid=1&articlever=1"),
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(req) as r:
        assert r.status == 200 and json.load(r)["data"] == []


def test_discovery_pages_reports_uses_token_and_skips_missing_ids(
    cms_api: FakeCmsApi, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    fast_config.database = sqlite_url
    srcs = load_sources([_cms_registry(cms_api, tmp_path)])
    run = run_discovery(fast_config, srcs, **_overrides(cms_api))

    assert run.failures == []
    assert run.indexes == ["cms-api-report-local-articles", "cms-api-report-final-lcds"]
    new = {p.url.split("?", 1)[1]: p for p in run.new}
    assert sorted(new) == ["articleid=57130&articlever=19", "articleid=59250&articlever=6"]
    assert [p.url for p in run.known] == [
        cms_api.url("/v1/data/article?articleid=58800&articlever=3")
    ]
    esk = new["articleid=59250&articlever=6"]
    assert esk.proposed_id == "cms-api-report-local-articles-a59250-billing-and-coding-esketamine"
    assert (esk.document_type, esk.format, esk.drugs) == ("billing_article", "json", ["esketamine"])
    assert esk.matched_on == "cms-title"
    assert new["articleid=57130&articlever=19"].matched_on == "cms-text"
    # Unknown ids (200 + empty data) are not proposals.
    assert sorted(u.split("?", 1)[1] for u in run.empty_details) == [
        "articleid=99999&articlever=1",
        "lcdid=34616&lcdver=4",
    ]
    # Seven article rows, three per page: three report pages were read.
    pages = cms_api.hits("/v1/reports/local-coverage-articles/")
    assert [p for p, _ in pages] == [
        "/v1/reports/local-coverage-articles/",
        "/v1/reports/local-coverage-articles/?next_token=3",
        "/v1/reports/local-coverage-articles/?next_token=6",
    ]
    assert all(auth is None for _, auth in pages)  # reports need no token
    # One token for the whole run; every detail request carried it.
    assert len(cms_api.hits("/v1/metadata/license-agreement")) == 1
    assert all(auth and auth.startswith("Bearer ") for _, auth in cms_api.hits("/v1/data/"))

    db = Database(sqlite_url)
    with db.session() as s:
        stored = {r.proposed_id for r in s.scalars(select(ProposedSource))}
    db.dispose()
    assert stored == {p.proposed_id for p in run.new}


def _detail_registry(api: FakeCmsApi, tmp_path: Path, *ids: str) -> Path:
    return write_registry(
        tmp_path / "details.toml",
        [
            source(
                f"cms-article-{i}",
                api.url(f"/v1/data/article?articleid={i}&articlever=1"),
                plan_type="medicare",
                document_type="billing_article",
                format="json",
            )
            for i in ids
        ],
    )


def test_generic_spider_gets_token_and_empty_detail_is_soft_404_not_a_change(
    cms_api: FakeCmsApi, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    from datetime import UTC, datetime

    from monitor.changes import detect_changes

    fast_config.database = sqlite_url
    registry = _detail_registry(cms_api, tmp_path, "59250", "424242")
    summary = crawl(fast_config, registry, **_overrides(cms_api))
    assert (summary.new_versions, summary.failed) == (2, 0)
    db = Database(sqlite_url)
    with db.session() as s:
        outcomes = dict(
            s.execute(
                select(Snapshot.source_id, ExtractionRecord.outcome).join(
                    ExtractionRecord, ExtractionRecord.snapshot_id == Snapshot.id
                )
            ).all()
        )
        assert outcomes == {"cms-article-59250": "ok", "cms-article-424242": "soft_404"}
        assert s.get(Source, "cms-article-424242").health == "soft_404"  # type: ignore[union-attr]
        detect_changes(s, now=datetime.now(UTC))
        events = s.scalars(
            select(ChangeEventRecord).where(ChangeEventRecord.source_id == "cms-article-424242")
        ).all()
        assert not [e for e in events if e.significant]
    db.dispose()


def test_token_expiring_mid_crawl_is_refreshed_once_after_401(
    tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    fast_config.database = sqlite_url
    with FakeCmsApi(expire_after=2) as api:
        registry = _detail_registry(api, tmp_path, "59250", "57130", "52800")
        summary = crawl(fast_config, registry, **_overrides(api, CONCURRENT_REQUESTS=1))
        assert (summary.new_versions, summary.failed) == (3, 0)
        details = api.hits("/v1/data/")
        # The first token served two details, then expired: the third request got a 401,
        # the middleware fetched a new token and retried it once.
        assert len(api.hits("/v1/metadata/license-agreement")) == 2
        assert len(details) == 4
        assert len({auth for _, auth in details}) == 2


def test_token_is_refetched_when_its_ttl_has_passed(
    cms_api: FakeCmsApi, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    fast_config.database = sqlite_url
    registry = _detail_registry(cms_api, tmp_path, "59250", "57130")
    overrides = _overrides(cms_api, CMS_API_TOKEN_TTL=0.0, CONCURRENT_REQUESTS=1)
    summary = crawl(fast_config, registry, **overrides)
    assert summary.failed == 0
    # No 401 ever: the expired token was replaced before use.
    assert len(cms_api.hits("/v1/metadata/license-agreement")) == 2
    assert len(cms_api.hits("/v1/data/")) == 2


def test_token_cache() -> None:
    cache = TokenCache()
    assert cache.get(0.0) is None
    cache.put("a", now=10.0, ttl=5.0)
    assert cache.get(14.9) == "a" and cache.get(15.0) is None
    cache.put("b", now=20.0, ttl=5.0)
    cache.invalidate("a")  # a stale 401 does not drop the newer token
    assert cache.get(21.0) == "b"
    cache.invalidate("b")
    assert cache.get(21.0) is None
