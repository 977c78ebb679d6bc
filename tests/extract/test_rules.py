"""Rule tables and helpers: stance wording, drug names, text, format sniffing, dates."""

from __future__ import annotations

import pytest

from crawler.extract import sniff_format
from crawler.extract.criteria import parse_clause
from crawler.extract.drugs import codes_in, diagnosis_codes, drugs_in, first_drug
from crawler.extract.facts import parse_date
from crawler.extract.model import Clause
from crawler.extract.outcome import is_retirement, no_clause_outcome, page_failure
from crawler.extract.stance import RULES, classify
from crawler.extract.text import is_connector, sentences, strip_connector

from .conftest import load_cases

STANCE_CASES = load_cases("stance_cases.toml")["cases"]


@pytest.mark.parametrize(("text", "stance"), STANCE_CASES, ids=[c[0][:40] for c in STANCE_CASES])
def test_stance_rule_table(text: str, stance: str) -> None:
    assert classify(text) == (stance or None)


def test_rule_names_are_unique() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("text", "drugs"),
    [
        ("Esketamine nasal spray", ["esketamine"]),
        ("SPRAVATO is covered", ["esketamine"]),
        ("S-ketamine", ["esketamine"]),
        ("Ketalar (ketamine hydrochloride)", ["ketamine"]),
        ("R,S-ketamine infusion", ["ketamine"]),
        ("arketamine", ["ketamine"]),
        ("esketamine is the S-enantiomer of ketamine", ["esketamine", "ketamine"]),
        ("transcranial magnetic stimulation", []),
    ],
)
def test_drug_names(text: str, drugs: list[str]) -> None:
    assert drugs_in(text) == drugs


def test_first_drug_is_the_subject() -> None:
    assert first_drug("Ketamine, unlike esketamine, is unproven") == "ketamine"
    assert first_drug("Esketamine, unlike ketamine, is covered") == "esketamine"


def test_codes_need_context_for_unlisted() -> None:
    assert codes_in("J3490 Unclassified drugs") == []
    assert codes_in("J3490 Unclassified drugs (ketamine)") == ["J3490"]
    assert codes_in("G2082, G2083 and S0013; J0013 from 2026") == [
        "G2082",
        "G2083",
        "S0013",
        "J0013",
    ]
    assert diagnosis_codes("F3340 F32A F32.89 R45.851 XF321") == [
        "F33.40",
        "F32.A",
        "F32.89",
        "R45.851",
    ]


def test_connectors() -> None:
    assert strip_connector("Age 18 years or older; and") == "Age 18 years or older"
    assert strip_connector("Patient is an adult; AND") == "Patient is an adult"
    assert strip_connector("Psychiatrist or psychiatric nurse practitioner") == (
        "Psychiatrist or psychiatric nurse practitioner"
    )
    assert is_connector("OR") and is_connector(" and ") and not is_connector("Oregon")


def test_sentences_keep_abbreviations() -> None:
    text = "Dosing follows the U.S. label, e.g. 56 mg. Initial approval is for 6 months."
    assert sentences(text) == [
        "Dosing follows the U.S. label, e.g. 56 mg.",
        "Initial approval is for 6 months.",
    ]


@pytest.mark.parametrize(
    ("body", "ctype", "fmt"),
    [
        (b"%PDF-1.7 ...", None, "pdf"),
        (b"%PDF-1.4 ...", "text/html", "pdf"),
        (b'  {"meta": {}, "data": []}', "text/plain", "json"),
        (b"<html><body>Error</body></html>", "application/json", "html"),
        (b"<!DOCTYPE html><html></html>", "application/pdf", "html"),
        (b"garbage", "application/pdf", "pdf"),
    ],
)
def test_sniff_format(body: bytes, ctype: str | None, fmt: str) -> None:
    assert sniff_format(body, ctype) == fmt


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("01/15/2026", "2026-01-15"),
        ("June 1, 2024", "2024-06-01"),
        ("Sept. 3, 2025", "2025-09-03"),
        ("2025-10-01 08:00:00", "2025-10-01"),
        ("08/2026", "2026-08"),
        ("no date here", None),
    ],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


MONOTHERAPY_CASES = load_cases("criteria_cases.toml")["monotherapy"]


@pytest.mark.parametrize(
    ("text", "expected"), MONOTHERAPY_CASES, ids=[c[0][:50] for c in MONOTHERAPY_CASES]
)
def test_monotherapy_wording(text: str, expected: str) -> None:
    clause = Clause(text=text, drug="esketamine", stance="covered_with_criteria", type="criterion")
    values = parse_clause(clause).get("monotherapy_allowed")
    if expected:
        assert values == [expected == "allowed"]
    else:
        assert values is None


OUTCOME_CASES = load_cases("outcome_cases.toml")["cases"]


@pytest.mark.parametrize(
    ("text", "expected"), OUTCOME_CASES, ids=[c[0][:50] for c in OUTCOME_CASES]
)
def test_short_page_outcome(text: str, expected: str) -> None:
    title = "Clinical Policies | Example Health Plan"
    outcome, message = page_failure(text, title) or no_clause_outcome(text, False, title)
    if expected == "retired":
        assert (outcome, message.split(":")[0]) == ("no_drug_content", "policy retired")
        assert is_retirement(outcome, message)
    else:
        assert outcome == expected, message
        assert not is_retirement(outcome, message)


INDICATION_CASES = load_cases("criteria_cases.toml")["indications"]


@pytest.mark.parametrize(
    ("text", "expected"), INDICATION_CASES, ids=[c[0][:50] for c in INDICATION_CASES]
)
def test_indication_wording(text: str, expected: list[str]) -> None:
    clause = Clause(text=text, drug="ketamine", stance="experimental", type="statement")
    assert parse_clause(clause).get("indications", []) == expected
