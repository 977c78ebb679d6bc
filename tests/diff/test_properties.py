"""Property tests: a version diffed with itself or a perturbed copy of itself yields no event."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.model import DRUGS, STANCES, Clause, Extraction
from monitor.diff import diff_versions

# Fragments of coverage wording, combined at random; numbers and codes make clauses differ.
_SUBJECTS = ("Esketamine nasal spray", "IV ketamine", "The member", "The prescriber", "Spravato")
_PREDICATES = (
    "is medically necessary for treatment\u2011resistant depression when",
    "has tried at least {n} antidepressants for {n} weeks",
    "is considered \u201cinvestigational\u201d for PTSD, OCD and chronic pain",
    "is approved for up to {n} months",
    "must score \u2265 {n} on the MADRS",
    "is billed with J0013 and diagnosis F33.{n}",
    "is used with an oral antidepressant",
)
_SECTIONS = ("Coverage", "Criteria > Initial", "Not Covered", "")
_TYPES = ("statement", "criterion", "limitation", "listing")


@st.composite
def clauses(draw: st.DrawFn) -> Clause:
    n = draw(st.integers(min_value=1, max_value=12))
    text = f"{draw(st.sampled_from(_SUBJECTS))} {draw(st.sampled_from(_PREDICATES)).format(n=n)}"
    return Clause(
        text=text,
        drug=draw(st.sampled_from(DRUGS)),
        stance=draw(st.sampled_from(STANCES)),
        type=draw(st.sampled_from(_TYPES)),
        section=draw(st.sampled_from(_SECTIONS)),
        path=draw(st.lists(st.sampled_from(("TRD", "MDSI", "ALL of the following")), max_size=2)),
        indication=draw(st.sampled_from((None, "TRD", "MDSI"))),
    )


extractions = st.builds(
    lambda cs, eff: Extraction(outcome="ok", format="html", clauses=cs, effective_date=eff),
    st.lists(clauses(), min_size=0, max_size=40),
    st.sampled_from((None, "2025-01-01", "2026-07-01")),
)

_SPACES = (" ", "  ", "\n", "\u00a0", "\t", " \n ")


def _respace(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    out = words[0]
    for w in words[1:]:
        out += rng.choice(_SPACES) + w
    return rng.choice(("", " ", "\n")) + out + rng.choice(("", " ", "\n"))


def _copy(ext: Extraction, cs: list[Clause], effective_date: str | None = None) -> Extraction:
    return Extraction(
        outcome=ext.outcome,
        format=ext.format,
        clauses=cs,
        effective_date=effective_date or ext.effective_date,
    )


@settings(max_examples=150, deadline=None)
@given(extractions)
def test_self_diff_is_empty(ext: Extraction) -> None:
    assert diff_versions(ext, ext) == []


@settings(max_examples=150, deadline=None)
@given(extractions, st.randoms(use_true_random=False))
def test_whitespace_perturbed_copy_is_empty(ext: Extraction, rng: random.Random) -> None:
    cs = [
        Clause(**{**vars(c), "text": _respace(c.text, rng), "section": _respace(c.section, rng)})
        for c in ext.clauses
    ]
    assert diff_versions(ext, _copy(ext, cs, effective_date="2030-01-01")) == []


@settings(max_examples=150, deadline=None)
@given(extractions, st.randoms(use_true_random=False))
def test_order_perturbed_copy_is_empty(ext: Extraction, rng: random.Random) -> None:
    cs = list(ext.clauses)
    rng.shuffle(cs)
    assert diff_versions(ext, _copy(ext, cs)) == []


@settings(max_examples=100, deadline=None)
@given(extractions, st.randoms(use_true_random=False))
def test_whitespace_and_order_perturbed_copy_is_empty(ext: Extraction, rng: random.Random) -> None:
    cs = [Clause(**{**vars(c), "text": _respace(c.text, rng)}) for c in ext.clauses]
    rng.shuffle(cs)
    assert diff_versions(ext, _copy(ext, cs)) == []


@settings(max_examples=100, deadline=None)
@given(extractions, st.data())
def test_number_change_in_one_clause_is_significant(ext: Extraction, data: st.DataObject) -> None:
    with_numbers = [i for i, c in enumerate(ext.clauses) if any(ch.isdigit() for ch in c.text)]
    if not with_numbers:
        return
    i = data.draw(st.sampled_from(with_numbers))
    cs = list(ext.clauses)
    c = cs[i]
    changed = "".join("9" if ch.isdigit() else ch for ch in c.text) + " 77"
    cs[i] = Clause(**{**vars(c), "text": changed})
    events = diff_versions(ext, _copy(ext, cs))
    assert [e.drug for e in events if e.significant] == [c.drug]
