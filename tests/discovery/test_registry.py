"""The shipped registry: all 51 Medicaid programs, every entry valid, and a contract per source."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler import cmsapi
from crawler.registry import (
    ALLOWED,
    DOCUMENT_TYPES,
    DRUG_NAMES,
    FORMATS,
    ID_RE,
    PLAN_TYPES,
    STATES,
    US_STATES,
    PolicySource,
    RegistryError,
    check_url,
    load_file,
    load_sources,
    shipped_registry_files,
)
from crawler.spiders.discover import discovery_targets, is_discovery_source
from monitor.cli import main

SHIPPED = load_sources()
MEDICAID = ("medicaid", "medicaid_mco")


def test_all_51_medicaid_programs_have_an_enabled_entry() -> None:
    assert len(US_STATES) == 51 and "DC" in US_STATES
    covered = {s.state for s in SHIPPED if s.plan_type in MEDICAID and s.enabled}
    assert sorted(set(US_STATES) - covered) == []


def test_every_shipped_file_validates_and_ids_are_unique_across_files() -> None:
    files = shipped_registry_files()
    assert {f.name for f in files} >= {"medicaid.toml", "medicare.toml", "indexes.toml"}
    per_file = [s for f in files for s in load_file(f)]
    assert len(per_file) == len(SHIPPED) == len({s.id for s in SHIPPED})


def test_sources_list_by_state_shows_no_gap() -> None:
    result = CliRunner().invoke(main, ["sources", "list", "--by", "state", "--json"])
    assert result.exit_code == 0, result.output
    groups = json.loads(result.stdout)["groups"]
    assert [code for code in US_STATES if not groups.get(code)] == []


def test_unknown_key_names_the_key_and_the_allowed_ones(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[source]]\nid = "x-doc"\npayer = "P"\nplan_type = "commercial"\nstate = "US"\n'
        'document_type = "index"\ntitle = "T"\nurl = "https://x.example/"\nverfied = ""\n'
    )
    with pytest.raises(RegistryError, match=r"unknown key 'verfied'; allowed keys: id, payer"):
        load_file(bad)


def test_discovery_scans_indexes_change_notices_and_cms_reports() -> None:
    targets = {s.id for s in discovery_targets(SHIPPED)}
    assert targets
    for src in SHIPPED:
        if src.enabled and src.document_type in ("index", "change_notice"):
            assert src.id in targets
    assert any(cmsapi.is_report_url(s.url) for s in SHIPPED if s.id in targets)


_PDF_URL = re.compile(r"\.pdf(?:$|[?#])", re.I)


@pytest.mark.parametrize("src", SHIPPED, ids=[s.id for s in SHIPPED])
def test_source_contract(src: PolicySource) -> None:
    """What every registered source promises (STYLE note 3)."""
    assert ID_RE.match(src.id)
    assert set(src.to_dict()) - {"origin"} <= set(ALLOWED)
    assert src.plan_type in PLAN_TYPES and src.state in STATES
    assert src.document_type in DOCUMENT_TYPES
    assert check_url(src.url) is None
    assert src.format is None or src.format in FORMATS
    if src.format and _PDF_URL.search(src.url):
        assert src.format == "pdf", "a .pdf URL declared as another format"
    assert set(src.drugs) <= set(DRUG_NAMES) and len(set(src.drugs)) == len(src.drugs)
    assert src.found_via.strip(), "found_via must say how the URL was found"
    assert src.verified == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", src.verified)
    if src.document_type in ("index", "change_notice"):
        assert is_discovery_source(src)
