"""Before/after pairs from tests/fixtures/diff/pairs.toml: every pair asserts its kinds."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from crawler.extract import extract
from crawler.extract.model import Clause, DrugSummary, Extraction
from monitor.diff import diff_versions

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "diff" / "pairs.toml"
EXTRACT_FIXTURES = FIXTURE.parents[1] / "extract"
DATA = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))
DOCS: dict[str, dict[str, Any]] = DATA["docs"]
PAIRS: list[dict[str, Any]] = DATA["pair"]
FACT_KEYS = ("outcome", "title", "policy_number", "effective_date", "last_reviewed")


def build(spec: str | dict[str, Any]) -> Extraction | None:
    """An Extraction from a doc name or an inline {base = ..., edits} table."""
    if spec == "":
        return None
    edits: dict[str, Any] = {} if isinstance(spec, str) else dict(spec)
    base = copy.deepcopy(DOCS[spec if isinstance(spec, str) else edits.pop("base")])
    if "fixture" in base:
        # A saved document, read by the real extractor (edits do not apply).
        assert not edits, "a fixture document takes no edits"
        body = (EXTRACT_FIXTURES / base["fixture"]).read_bytes()
        ext = extract(body, base.get("content_type", "text/html"))
        assert ext.outcome == base["outcome"], ext.message
        return ext
    clauses = [dict(c) for c in base.pop("clauses", [])]
    for old, new in edits.get("replace", []):
        for c in clauses:
            c["text"] = c["text"].replace(old, new)
    for sub in edits.get("drop", []):
        clauses = [c for c in clauses if sub not in c["text"]]
    clauses += [dict(c) for c in edits.get("add", [])]
    if edits.get("reverse"):
        clauses.reverse()
    if "section" in edits:
        for c in clauses:
            c["section"] = edits["section"]
    for sub, stance in edits.get("stance", []):
        for c in clauses:
            if sub in c["text"]:
                c["stance"] = stance
    fact = {k: edits.get(k, base.get(k)) for k in FACT_KEYS}
    return Extraction(
        outcome=str(fact["outcome"]),
        format="html",
        title=fact["title"],
        policy_number=fact["policy_number"],
        effective_date=fact["effective_date"],
        last_reviewed=fact["last_reviewed"],
        clauses=[Clause(**c) for c in clauses],
        # Code tables the extractor read outside clauses (its summaries carry only codes here).
        summaries={
            drug: DrugSummary(
                drug=drug,
                stance=None,
                codes=edits.get("codes", {}).get(drug, []),
                criteria={"diagnosis_codes": dx} if (dx := edits.get("dx", {}).get(drug)) else {},
            )
            for drug in sorted({*edits.get("codes", {}), *edits.get("dx", {})})
        },
    )


def run(pair: dict[str, Any]) -> list[Any]:
    after = build(pair["after"])
    assert after is not None
    return diff_versions(
        build(pair["before"]),
        after,
        url_before=pair.get("url_before"),
        url_after=pair.get("url_after"),
        payer="Acme Health",
    )


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_pair_kinds(pair: dict[str, Any]) -> None:
    events = run(pair)
    got = {(ev.drug or "none"): ev.kind for ev in events}
    assert len(got) == len(events), f"one event per drug expected, got {events}"
    assert got == pair["expect"]


@pytest.mark.parametrize(
    "pair", [p for p in PAIRS if p["expect"]], ids=[p["id"] for p in PAIRS if p["expect"]]
)
def test_pair_event_contents(pair: dict[str, Any]) -> None:
    events = run(pair)
    after = build(pair["after"])
    assert after is not None
    for ev in events:
        assert ev.summary.startswith("Acme Health: ")
        assert ev.url_changed == pair.get("url_changed", ev.kind == "moved")
        for text in pair.get("summary_contains", []):
            assert text in ev.summary
        if ev.kind == "unavailable":
            assert ev.stance_after == "unknown"
            assert not ev.clause_changes
            continue
        assert ev.effective_date == after.effective_date
        assert ev.facts_after.get("title") == after.title
        if ev.kind in ("criteria_change", "coding_change", "stance_change", "added", "removed"):
            assert ev.clause_changes, "a content change carries its clause changes"
            for cc in ev.clause_changes:
                assert cc.redline
                if cc.op == "modified":
                    assert cc.before is not None and cc.after is not None


def test_failed_trials_event_details() -> None:
    pair = next(p for p in PAIRS if p["id"] == "failed-trials-3-to-2")
    (ev,) = run(pair)
    assert ev.criteria_before["failed_trials"] == 3
    assert ev.criteria_after["failed_trials"] == 2
    assert ev.stance_before == ev.stance_after == "covered_with_criteria"
    (cc,) = ev.clause_changes
    assert cc.op == "modified"
    assert "[-three-] {+two+}" in cc.redline
    assert ("delete", "three") in cc.tokens and ("insert", "two") in cc.tokens
    assert ev.facts_before["policy_number"] == "RX-2207.B"


def test_unavailable_is_exactly_one_event_without_coverage() -> None:
    before = build("esk_trd")
    after = build("maintenance")
    assert after is not None
    events = diff_versions(before, after)
    assert [(e.kind, e.drug, e.significant) for e in events] == [("unavailable", None, False)]


def test_before_must_be_good() -> None:
    bad = build("maintenance")
    after = build("esk_trd")
    assert after is not None
    with pytest.raises(ValueError, match="previous good version"):
        diff_versions(bad, after)


def test_event_round_trips_through_dict() -> None:
    from monitor.diff.model import ChangeEvent

    pair = next(p for p in PAIRS if p["id"] == "monotherapy-now-allowed")
    (ev,) = run(pair)
    assert ChangeEvent.from_dict(ev.to_dict()) == ev
