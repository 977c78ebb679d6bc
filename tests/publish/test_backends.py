"""The publish gate and site on both backends: a real crawl of a local page, twice."""

from __future__ import annotations

from pathlib import Path

import feedparser
import lxml.etree
from sqlalchemy import select

from crawler.config import Config
from crawler.registry import load_sources
from monitor.cycle import run_cycle
from monitor.publish import publish_site
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import ChangeEventRecord
from tests.publish.conftest import BASE_URL, PAGES

REGISTRY = """
[[source]]
id = "test-ks-mco-spravato"
payer = "Prairie Health Plan (sample)"
plan_type = "medicaid_mco"
state = "KS"
document_type = "drug_policy"
title = "Spravato pharmacy coverage policy"
url = "{base}/ks/spravato.html"
"""


def test_confirmed_change_is_published_on_each_backend(
    db_url: str, site: LocalSite, fast_config: Config, tmp_path: Path
) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text(REGISTRY.replace("{base}", site.url("").rstrip("/")), encoding="utf-8")
    sources = load_sources([registry])
    fast_config.database = db_url
    denial = (PAGES / "prairie-mco-spravato.html").read_bytes()
    criteria = (PAGES / "lonestar-medicaid-esketamine.html").read_bytes()
    for body in (denial, criteria):
        site.set("/ks/spravato.html", body)
        run_cycle(fast_config, sources, AUTOTHROTTLE_ENABLED=False)
    db = Database(db_url)
    try:
        with db.session() as s:
            events = s.scalars(
                select(ChangeEventRecord).where(ChangeEventRecord.significant.is_(True))
            ).all()
            assert events, "the second version changed Spravato's coverage"
            for ev in events:
                ev.review_status = "confirmed"
        with db.session() as s:
            result = publish_site(s, tmp_path / "site", BASE_URL)
    finally:
        db.dispose()
    assert result.changes == len(events)
    feed = feedparser.parse((tmp_path / "site" / "feed.atom").read_bytes())
    assert not feed.bozo and len(feed.entries) == len(events)
    assert any("Prairie Health Plan" in e.title for e in feed.entries)
    svg = lxml.etree.parse(str(tmp_path / "site" / "map.svg")).getroot()
    ks = svg.xpath("//*[local-name()='g'][@data-state='KS'][@data-drug='esketamine']/@data-group")
    assert ks == ["conditions"]  # the current version: covered with criteria
