"""Discovery end to end: real Scrapy in a child process against index pages on 127.0.0.1.

discover -> proposals stored -> accept -> registry file + discovered source -> crawl -> the first
version is an ``added`` event. Change notices are crawled by the generic spider too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.config import Config
from crawler.registry import load_file
from monitor.changes import detect_changes
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import ChangeEventRecord, ProposedSource, Snapshot, Source
from tests.discovery.conftest import DISCOVERY_FIXTURES
from tests.discovery.helpers import cli, cli_json, config_file
from tests.support.crawling import crawl, source, write_registry
from tests.support.samples import SAMPLE_HTML, sample_pdf


def _site_and_registry(site: LocalSite, tmp_path: Path) -> Path:
    site.set("/aetna/cpb/index.html", (DISCOVERY_FIXTURES / "aetna-cpb-index.html").read_bytes())
    site.set(
        "/cigna/policyUpdates/july-2025.html",
        (DISCOVERY_FIXTURES / "cigna-policy-updates.html").read_bytes(),
    )
    site.set("/medicaid/pharmacy/pdl.html", (DISCOVERY_FIXTURES / "state-pdl.html").read_bytes())
    site.set("/cpb/medical/data/900_999/0938.html", SAMPLE_HTML)
    site.set(
        "/medicaid/pharmacy/docs/criteria/spravato-esketamine.pdf",
        sample_pdf(),
        content_type="application/pdf",
    )
    return write_registry(
        tmp_path / "registry.toml",
        [
            source(
                "aetna-cpb-index",
                site.url("/aetna/cpb/index.html"),
                document_type="index",
                payer="Aetna",
                drugs=[],
            ),
            source(
                "cigna-updates-2025-07",
                site.url("/cigna/policyUpdates/july-2025.html"),
                document_type="change_notice",
                payer="Cigna",
                drugs=[],
            ),
            source(
                "xx-medicaid-pdl",
                site.url("/medicaid/pharmacy/pdl.html"),
                document_type="index",
                payer="Example State Medicaid",
                plan_type="medicaid",
                state="TX",
                drugs=[],
            ),
            # Already watched: must not come back as a proposal.
            source("aetna-cpb-0938", site.url("/cpb/medical/data/900_999/0938.html")),
        ],
    )


def test_discover_accept_crawl_reports_added(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _site_and_registry(site, tmp_path)
    cfg_path = config_file(tmp_path, sqlite_url)
    common = ("--config", str(cfg_path), "--sources", str(registry))

    out = cli_json("sources", "discover", "--json", *common)
    assert out["failures"] == []
    urls = {p["url"]: p for p in out["proposals"]}
    assert site.url("/cpb/medical/data/900_999/0938.html") not in urls  # known
    assert out["known"] == 1
    pdf = site.url("/medicaid/pharmacy/docs/criteria/spravato-esketamine.pdf")
    assert urls[pdf]["proposed_id"] == "xx-medicaid-pdl-spravato-esketamine-pa-criteria-pdf"
    assert urls[pdf]["state"] == "TX" and urls[pdf]["plan_type"] == "medicaid"
    assert urls[pdf]["found_via"] == f"xx-medicaid-pdl: {site.url('/medicaid/pharmacy/pdl.html')}"
    assert urls[pdf]["new"] is True
    # Aetna 3 links less the watched one, Cigna 3, state PDL 4 (see cases.toml).
    assert out["new"] == len(out["proposals"]) == 9
    # Index pages were read once each; the linked documents were not fetched.
    assert len(site.hits("/medicaid/pharmacy/docs/criteria/spravato-esketamine.pdf")) == 0

    again = cli_json("sources", "discover", "--json", *common)
    assert again["new"] == 0 and again["known"] == out["new"] + 1
    listed = cli_json("sources", "discover", "--list", "--json", *common)
    assert [p["url"] for p in listed["proposals"]] == [p["url"] for p in out["proposals"]]

    user_file = tmp_path / "mine.toml"
    user_file.write_text("# my sources: keep this comment\n")
    result = cli("sources", "accept", urls[pdf]["proposed_id"], "--to", str(user_file), *common)
    assert result.exit_code == 0, result.output
    assert user_file.read_text().startswith("# my sources: keep this comment\n")
    (entry,) = load_file(user_file)
    assert entry.id == "xx-medicaid-pdl-spravato-esketamine-pa-criteria-pdf"
    assert (entry.url, entry.format, entry.drugs) == (pdf, "pdf", ("esketamine",))
    assert entry.found_via.startswith("discovery xx-medicaid-pdl: ")

    db = Database(sqlite_url)
    with db.session() as s:
        assert s.get(Source, entry.id).discovered is True  # type: ignore[union-attr]
        row = s.scalars(select(ProposedSource).where(ProposedSource.url == pdf)).one()
        assert row.status == "accepted"
    again_accept = cli("sources", "accept", entry.id, "--to", str(user_file), *common)
    assert again_accept.exit_code != 0 and "already accepted" in again_accept.output

    fast_config.database = sqlite_url
    summary = crawl(fast_config, user_file)
    assert summary.new_versions == 1
    with db.session() as s:
        stats = detect_changes(s, now=datetime.now(UTC))
        kinds = {(e.kind, e.drug) for e in stats.events}
    assert ("added", "esketamine") in kinds
    with db.session() as s:
        assert s.scalars(select(ChangeEventRecord)).all()
    db.dispose()


def test_change_notice_is_crawled_by_the_generic_spider_too(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _site_and_registry(site, tmp_path)
    fast_config.database = sqlite_url
    summary = crawl(fast_config, registry)
    assert summary.failed == 0 and summary.new_versions == 4
    db = Database(sqlite_url)
    with db.session() as s:
        snaps = {x.source_id for x in s.scalars(select(Snapshot))}
    db.dispose()
    assert {"cigna-updates-2025-07", "aetna-cpb-index", "xx-medicaid-pdl"} <= snaps


def test_discover_one_source_and_reject_non_index(
    site: LocalSite, tmp_path: Path, sqlite_url: str
) -> None:
    registry = _site_and_registry(site, tmp_path)
    common = ("--config", str(config_file(tmp_path, sqlite_url)), "--sources", str(registry))
    out = cli_json("sources", "discover", "--json", "--source", "cigna-updates-2025-07", *common)
    assert out["indexes"] == ["cigna-updates-2025-07"] and out["new"] == 3
    bad = cli("sources", "discover", "--source", "aetna-cpb-0938", *common)
    assert bad.exit_code == 2 and "not an index" in bad.output


def test_accept_defaults_to_policywatch_sources_toml_in_cwd(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(sqlite_url)
    with db.session() as s:
        s.add(
            ProposedSource(
                url="https://medicaid.state.example/docs/spravato.pdf",
                proposed_id="xx-medicaid-pdl-spravato",
                title="Spravato criteria",
                payer="Example State Medicaid",
                plan_type="medicaid",
                state="TX",
                document_type="pa_criteria",
                format="pdf",
                drugs=["esketamine"],
                found_via="xx-medicaid-pdl: https://medicaid.state.example/pdl.html",
                found_at=datetime.now(UTC),
            )
        )
    db.dispose()
    monkeypatch.chdir(tmp_path)
    cfg = config_file(tmp_path, sqlite_url)
    result = cli("sources", "accept", "xx-medicaid-pdl-spravato", "--config", str(cfg))
    assert result.exit_code == 0, result.output
    (entry,) = load_file(tmp_path / "policywatch-sources.toml")
    assert (entry.id, entry.state, entry.enabled, entry.verified) == (
        "xx-medicaid-pdl-spravato",
        "TX",
        True,
        "",
    )
    missing = cli("sources", "accept", "no-such-proposal", "--config", str(cfg))
    assert missing.exit_code == 1 and "no proposal" in missing.output
