"""Exact asserts on the diff's building blocks: normalisation, redline, criteria, alignment."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.extract.criteria import governing_stance, parse_clause, summarize
from crawler.extract.model import Clause
from monitor.diff.align import align
from monitor.diff.normalize import compare_key, url_identity
from monitor.diff.redline import redline, redline_tokens


def cl(
    text: str, drug: str = "esketamine", stance: str = "covered_with_criteria", **kw: Any
) -> Clause:
    return Clause(text=text, drug=drug, stance=stance, type=kw.pop("type", "criterion"), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("MADRS \u2265 28", "MADRS >= 28"),
        ("\u201cinvestigational\u201d", '"investigational"'),
        ("treatment\u2013resistant", "treatment-resistant"),
        ("investi\u00adgational", "investigational"),
        ("Spravato\u00ae", "Spravato\u2122"),
        ("six  weeks\n", "six weeks"),
        ("1. The member is 18", "The member is 18; and"),
        ("a) prescriber is a psychiatrist, or", "prescriber is a psychiatrist"),
    ],
    ids=[
        "ge-sign",
        "curly-quotes",
        "en-dash",
        "soft-hyphen",
        "trademark",
        "whitespace",
        "marker-and",
        "letter-or",
    ],
)
def test_compare_key_equal(a: str, b: str) -> None:
    assert compare_key(a) == compare_key(b)


def test_compare_key_keeps_numbers_apart() -> None:
    assert compare_key("at least 3 antidepressants") != compare_key("at least 2 antidepressants")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://p.example/x?utm_source=a&id=1", "https://p.example/x/?id=1&utm_medium=b", True),
        ("http://P.example/x;jsessionid=Z", "https://p.example/x", True),
        (
            "https://api.example/a?articleid=9&articlever=3",
            "https://api.example/a?articleid=9&articlever=4",
            True,
        ),
        ("https://p.example/x", "https://q.example/x", False),
        ("https://p.example/x?id=1", "https://p.example/x?id=2", False),
        # Explicit version parameters and cache busters name the same document ...
        ("https://m.example/lcd?lcdid=7&lcdver=2", "https://m.example/lcd?lcdver=5&lcdid=7", True),
        ("https://p.example/doc?id=4&ver=1", "https://p.example/doc?id=4&version=9", True),
        ("https://p.example/doc?id=4&rev=3&v=2", "https://p.example/doc?id=4&revision=4", True),
        ("https://p.example/doc?id=4&_=1718000000", "https://p.example/doc?id=4&cb=99", True),
        ("https://p.example/doc?id=4&docVersion=2", "https://p.example/doc?id=4", True),
        # ... but a parameter that merely ends in "ver" is part of the address.
        ("https://p.example/doc?id=4&server=a", "https://p.example/doc?id=4&server=b", False),
        ("https://p.example/get?driver=pdf&id=4", "https://p.example/get?driver=html&id=4", False),
        ("https://p.example/doc?cover=front&id=4", "https://p.example/doc?id=4", False),
        ("https://p.example/doc?id=4&never=1", "https://p.example/doc?id=4&never=2", False),
    ],
)
def test_url_identity(a: str, b: str, same: bool) -> None:
    assert (url_identity(a) == url_identity(b)) is same


def test_redline_string_and_tokens() -> None:
    before = "at least three antidepressants for 8 weeks"
    after = "at least two antidepressants for 6 weeks"
    assert (
        redline(before, after) == "at least [-three-] {+two+} antidepressants for [-8-] {+6+} weeks"
    )
    assert redline_tokens(before, after)[:3] == [
        ("equal", "at least"),
        ("delete", "three"),
        ("insert", "two"),
    ]


def test_redline_ignores_typography() -> None:
    assert redline("the \u201cREMS\u201d  program", 'the "REMS" program') == 'the "REMS" program'


@pytest.mark.parametrize(
    ("text", "ctype", "expected"),
    [
        (
            "Failed at least three (3) antidepressants, each for at least 8 weeks",
            "criterion",
            {"failed_trials": [3], "trial_weeks": [8]},
        ),
        (
            "Inadequate response to 2 or more oral antidepressants",
            "criterion",
            {"failed_trials": [2]},
        ),
        (
            "Spravato may be used as monotherapy or with an oral antidepressant",
            "criterion",
            {"monotherapy_allowed": [True]},
        ),
        (
            "Esketamine must not be used as monotherapy",
            "criterion",
            {"monotherapy_allowed": [False]},
        ),
        (
            "Must be used in conjunction with an oral antidepressant",
            "criterion",
            {"monotherapy_allowed": [False]},
        ),
        (
            "Prescribed by or in consultation with a psychiatrist",
            "criterion",
            {"prescriber": ["psychiatrist"]},
        ),
        (
            "Initial authorization: up to six months",
            "limitation",
            {"approval_initial": ["6 months"]},
        ),
        (
            "Reauthorization approval is for 12 months",
            "limitation",
            {"approval_renewal": ["12 months"]},
        ),
        ("Bill with S0013 or G2082", "limitation", {"hcpcs_codes": ["S0013", "G2082"]}),
        (
            "Diagnosis codes F32.A, F33.1 or F3289",
            "criterion",
            {"diagnosis_codes": ["F32.A", "F33.1", "F3289"]},
        ),
    ],
)
def test_parse_clause(text: str, ctype: str, expected: dict[str, list[Any]]) -> None:
    values = parse_clause(cl(text, type=ctype))
    for key, val in expected.items():
        assert values.get(key) == val, key


def test_indications_do_not_double_count() -> None:
    values = parse_clause(
        cl("Ketamine is investigational for treatment-resistant depression", type="statement")
    )
    assert values["indications"] == ["TRD"]


def test_summarize_governing_stance_and_indications() -> None:
    cs = [
        cl(
            "Esketamine is medically necessary for treatment-resistant depression", type="statement"
        ),
        cl("Esketamine is investigational for PTSD", stance="experimental", type="statement"),
        cl(
            "Ketamine is not medically necessary for depression",
            drug="ketamine",
            stance="not_covered",
            type="statement",
        ),
    ]
    s = summarize(cs)
    assert s["esketamine"].stance == "covered_with_criteria"
    assert s["esketamine"].criteria["indications"] == {
        "covered_with_criteria": ["TRD"],
        "experimental": ["PTSD"],
    }
    assert s["ketamine"].stance == "not_covered"


def test_governing_stance_prefers_rows_over_criteria() -> None:
    cs = [
        cl("Spravato nasal spray", stance="non_preferred", type="listing"),
        cl("PA criteria apply", stance="prior_authorization", type="limitation"),
    ]
    assert governing_stance(cs) == "non_preferred"


def test_align_recognises_reorder_rewording_and_edits() -> None:
    before = [
        cl("Alpha criterion about REMS"),
        cl("Beta member is 18 years or older"),
        cl("Gamma row"),
    ]
    after = [
        cl("Beta member is 18 years or older", section="Moved"),
        cl("Alpha criterion about the REMS program"),
        cl("Delta new row"),
    ]
    ops = {(p.op, p.before, p.after) for p in align(before, after)}
    assert ("moved", 1, 0) in ops
    assert ("modified", 0, 1) in ops
    assert ("removed", 2, None) in ops
    assert ("added", None, 2) in ops
