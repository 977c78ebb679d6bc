"""Defect 1: one bad registry URL must not stop the crawl, nor pass validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from crawler.config import Config
from crawler.registry import RegistryError, load_sources
from crawler.runner import crawl_in_child, prepare
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import Source
from tests.support.crawling import FAST, source, write_registry
from tests.support.samples import SAMPLE_HTML


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:99999/x",
        "http://[::1",
        "http://example.org:0/x",
        "http://exa mple.org/x",
        "http://a..b.example/x",
        "ftp://example.org/x",
        "http://user:secret@example.org/x",
    ],
)
def test_bad_registry_urls_are_load_errors_naming_the_entry(tmp_path: Path, url: str) -> None:
    registry = write_registry(tmp_path / "s.toml", [source("bad-url-entry", url)])
    with pytest.raises(RegistryError, match=r"entry 1 \(id 'bad-url-entry'\): key 'url'"):
        load_sources([registry])


def test_good_urls_still_load(tmp_path: Path) -> None:
    registry = write_registry(
        tmp_path / "s.toml",
        [
            source("ipv6", "http://[::1]:8080/x"),
            source("idna", "https://bücher.example/x"),
            source("port", "https://example.org:8443/x?a=1"),
        ],
    )
    assert [s.id for s in load_sources([registry])] == ["ipv6", "idna", "port"]


def test_a_request_that_cannot_be_built_fails_that_source_only(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    fast_config.database = sqlite_url
    site.set("/a.html", SAMPLE_HTML)
    site.set("/b.html", SAMPLE_HTML.replace("Ketamine", "Ketamine ").encode())
    registry = write_registry(
        tmp_path / "s.toml",
        [
            source("first", site.url("/a.html")),
            source("broken", site.url("/x.html")),
            source("last", site.url("/b.html")),
        ],
    )
    ids = prepare(fast_config, load_sources([registry]))
    # A row written before URLs were validated (or edited by hand) holds an unusable URL.
    db = Database(sqlite_url)
    with db.session() as s:
        s.execute(
            update(Source).where(Source.id == "broken").values(url="http://127.0.0.1:99999/x")
        )
    summary = crawl_in_child(fast_config, ids, **FAST)
    assert summary.new_versions == 2
    assert summary.failed == 1
    assert summary.failures[0]["source_id"] == "broken"
    assert summary.failures[0]["kind"] == "bad_url"
    assert not summary.ok
    with db.session() as s:
        assert s.get(Source, "broken").consecutive_failures == 1  # type: ignore[union-attr]
    db.dispose()
