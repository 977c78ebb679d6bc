"""Extraction on saved documents, one test per case in cases.toml."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.extract import EXTRACTOR_VERSION, Extraction, extract
from crawler.extract.model import DRUGS, STANCES
from crawler.extract.sections import CONTEXT, section_kind
from crawler.extract.text import norm
from monitor.sites.demo import document

from .conftest import FIXTURES, load_cases

CASES: list[dict[str, Any]] = load_cases("cases.toml")["case"]
IDS = [c["id"] for c in CASES]
_cache: dict[str, Extraction] = {}


def body(case: dict[str, Any]) -> bytes:
    """A case's document: a test fixture, or a demo document ("round1/bayside-spravato.pdf")."""
    if "demo" in case:
        round_name, filename = case["demo"].split("/")
        return document(round_name, filename)
    return (FIXTURES / case["fixture"]).read_bytes()


def run(case: dict[str, Any]) -> Extraction:
    if case["id"] not in _cache:
        _cache[case["id"]] = extract(body(case), case.get("content_type"))
    return _cache[case["id"]]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_outcome_and_facts(case: dict[str, Any]) -> None:
    result = run(case)
    assert result.outcome == case["outcome"], result.message
    assert result.format == case["format"]
    if "message_contains" in case:
        assert case["message_contains"] in result.message
    for key in ("title", "policy_number", "effective_date", "last_reviewed"):
        if key in case:
            assert getattr(result, key) == case[key], key


@pytest.mark.parametrize("case", [c for c in CASES if c.get("clauses")], ids=lambda c: c["id"])
def test_expected_clauses(case: dict[str, Any]) -> None:
    result = run(case)
    got = {(c.drug, norm(c.text)): c for c in result.clauses}
    for want in case["clauses"]:
        key = (want["drug"], norm(want["text"]))
        assert key in got, f"missing clause: {want['text']}"
        assert got[key].stance == want["stance"], f"stance of: {want['text']}"
        if "type" in want:
            assert got[key].type == want["type"], f"type of: {want['text']}"


@pytest.mark.parametrize("case", [c for c in CASES if c.get("absent")], ids=lambda c: c["id"])
def test_distractors_not_extracted(case: dict[str, Any]) -> None:
    texts = [norm(c.text) for c in run(case).clauses]
    for distractor in case["absent"]:
        assert not any(norm(distractor) in t for t in texts), distractor


@pytest.mark.parametrize("case", [c for c in CASES if c.get("summary")], ids=lambda c: c["id"])
def test_summary_values(case: dict[str, Any]) -> None:
    result = run(case)
    for drug, expected in case["summary"].items():
        summary = result.summaries[drug]
        for key, value in expected.items():
            if key == "stance":
                assert summary.stance == value
            elif key == "no_values":
                for absent in value:
                    assert absent not in summary.criteria, absent
            elif key == "codes":
                assert summary.codes == value
            else:
                assert summary.criteria.get(key) == value, key


# -- invariants over every case ---------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_invariants(case: dict[str, Any]) -> None:
    result = run(case)
    assert EXTRACTOR_VERSION
    if not result.good:
        assert result.clauses == []
        assert result.message, "a failure outcome must say why"
    if result.outcome == "ok":
        assert result.clauses
    if result.outcome == "no_drug_content":
        assert result.clauses == []
    seen = set()
    for clause in result.clauses:
        assert clause.drug in DRUGS
        assert clause.stance in STANCES
        assert clause.type in ("statement", "criterion", "limitation", "listing")
        assert clause.text == clause.text.strip() and clause.text
        assert not clause.text.lower().endswith(("; and", "; or", " and", " or"))
        key = (clause.drug, norm(clause.text))
        assert key not in seen, f"duplicate clause {clause.text}"
        seen.add(key)
        assert section_kind(clause.section.split(" > ") if clause.section else []) != CONTEXT
        if clause.type == "statement":
            assert (
                norm(clause.drug[-8:]) in norm(clause.text)
                or "spravato" in norm(clause.text)
                or "ketalar" in norm(clause.text)
            )
    for block in result.blocks:
        assert block.text and block.text == " ".join(block.text.split())


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["format"] != "pdf" and "fixture" in c], ids=lambda c: c["id"]
)
def test_clause_text_is_in_the_document(case: dict[str, Any]) -> None:
    import html

    raw = (FIXTURES / case["fixture"]).read_text(encoding="utf-8")
    for _ in range(3):
        raw = html.unescape(raw)
    import re

    visible = norm(re.sub(r"<[^>]+>", " ", raw))
    for clause in run(case).clauses:
        assert norm(clause.text) in visible, clause.text


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_roundtrip(case: dict[str, Any]) -> None:
    result = run(case)
    again = Extraction.from_dict(result.to_dict())
    assert again == result
    assert extract(body(case), case.get("content_type")) == result
