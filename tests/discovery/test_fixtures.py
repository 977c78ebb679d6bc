"""Each spider family on its saved fixture: exact proposals, and what must not be proposed."""

from __future__ import annotations

from typing import Any

import pytest

from crawler import cmsapi
from crawler.proposals import guess_document_type, url_key
from crawler.registry import ID_RE
from crawler.spiders.discover import index_proposals
from tests.discovery.conftest import CASES, DISCOVERY_FIXTURES, index_source

HTML_CASES = [pytest.param(c, id=c["id"]) for c in CASES if c["family"] == "html_index"]
CMS_CASES = [pytest.param(c, id=c["id"]) for c in CASES if c["family"] == "cms_report"]


def test_every_family_has_a_case() -> None:
    assert {c["family"] for c in CASES} == {"html_index", "cms_report"}
    assert len(HTML_CASES) >= 3  # policy library, change notice, state PDL


@pytest.mark.parametrize("case", HTML_CASES)
def test_index_page_proposals(case: dict[str, Any]) -> None:
    index = index_source(case["index_id"], case["index_url"], payer="Payer X", state="TX")
    body = (DISCOVERY_FIXTURES / case["fixture"]).read_bytes()
    found = {p.url: p for p in index_proposals(index, body, case["index_url"])}

    assert sorted(found) == sorted(e["url"] for e in case["expect"])
    for expected in case["expect"]:
        got = found[expected["url"]]
        for key in ("proposed_id", "title", "matched_on", "drugs", "document_type", "format"):
            if key in expected:
                assert getattr(got, key) == expected[key], (expected["url"], key)
    assert not set(case["not_proposed"]) & set(found)


@pytest.mark.parametrize("case", HTML_CASES)
def test_index_proposals_inherit_from_the_index_and_have_valid_ids(case: dict[str, Any]) -> None:
    index = index_source(case["index_id"], case["index_url"], payer="Payer X", state="TX")
    body = (DISCOVERY_FIXTURES / case["fixture"]).read_bytes()
    proposals = index_proposals(index, body, case["index_url"])
    assert proposals
    for p in proposals:
        assert (p.payer, p.plan_type, p.state) == ("Payer X", "commercial", "TX")
        assert p.found_via == f"{case['index_id']}: {case['index_url']}"
        assert ID_RE.match(p.proposed_id) and p.proposed_id.startswith(case["index_id"])
        assert p.drugs and set(p.drugs) <= {"ketamine", "esketamine"}
    assert len({p.proposed_id for p in proposals}) == len(proposals)


@pytest.mark.parametrize("case", CMS_CASES)
def test_cms_report_rows(case: dict[str, Any]) -> None:
    doc = cmsapi.envelope((DISCOVERY_FIXTURES / case["fixture"]).read_bytes())
    rows = {r.detail_url: r for r in cmsapi.report_rows(case["index_url"], doc)}
    assert sorted(rows) == sorted(e["url"] for e in case["expect"])
    for expected in case["expect"]:
        row = rows[expected["url"]]
        assert row.drugs == expected["drugs"]
        assert row.check_detail is expected["check_detail"]
    assert not set(case["not_proposed"]) & set(rows)


def test_report_paging_follows_next_token_and_stops_on_empty() -> None:
    url = "https://api.coverage.cms.gov/v1/reports/local-coverage-articles/?x=1"
    assert cmsapi.next_page_url(url, {"meta": {"next_token": "abc"}, "data": []}) == (
        "https://api.coverage.cms.gov/v1/reports/local-coverage-articles/?x=1&next_token=abc"
    )
    again = url + "&next_token=abc"
    nxt = cmsapi.next_page_url(again, {"meta": {"next_token": "def"}, "data": []})
    assert nxt is not None and nxt.endswith("?x=1&next_token=def")
    assert cmsapi.next_page_url(url, {"meta": {"next_token": ""}, "data": []}) is None
    assert cmsapi.next_page_url(url, {"meta": {}, "data": []}) is None


def test_token_is_read_from_data_0_token() -> None:
    assert cmsapi.token_from({"data": [{"Token": "t0k"}]}) == "t0k"
    assert cmsapi.token_from({"data": []}) is None


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("http://www.aetna.com/cpb/0938.html", "https://aetna.com/cpb/0938.html#policy", True),
        ("https://x.example/p?utm_source=mail&id=3", "https://x.example/p?id=3", True),
        (
            "https://api.coverage.cms.gov/v1/data/article?articleid=59250&articlever=4",
            "https://api.coverage.cms.gov/v1/data/article?articlever=6&articleid=59250",
            True,
        ),
        ("https://x.example/p?id=3", "https://x.example/p?id=4", False),
        ("https://x.example/a.pdf", "https://y.example/a.pdf", False),
    ],
    ids=["host-variant-and-fragment", "tracking-params", "cms-version", "query", "host"],
)
def test_url_key_identity(a: str, b: str, same: bool) -> None:
    assert (url_key(a) == url_key(b)) is same


@pytest.mark.parametrize(
    ("title", "url", "fmt", "expected"),
    [
        ("Spravato (esketamine)", "https://x.example/docs/spravato.pdf", "pdf", "drug_policy"),
        ("Ketamine", "https://x.example/cpb/0938.html", "html", "medical_policy"),
        ("Provider bulletin: Spravato", "https://x.example/b.html", "html", "bulletin"),
        ("Preferred Drug List", "https://x.example/pdl.pdf", "pdf", "pdl"),
        ("Billing and Coding: Esketamine", "https://x.example/a", None, "billing_article"),
    ],
)
def test_document_type_guess(title: str, url: str, fmt: str | None, expected: str) -> None:
    assert guess_document_type(title, url, fmt) == expected
