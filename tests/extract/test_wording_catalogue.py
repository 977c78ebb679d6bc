"""The wording catalogue: each short case laid out as a tiny policy page and run through
the real ``extract()``; the clause read from the case text must have the expected drug(s),
stance and type, and distractors must give no clause at all.

``python -m tests.extract.test_wording_catalogue`` prints the pass count (used to compare
the extractor of two branches on the same catalogue).
"""

from __future__ import annotations

import html
from typing import Any

import pytest

from crawler.extract import Clause, extract
from crawler.extract.text import norm

from .conftest import load_cases

CASES: list[dict[str, Any]] = load_cases("wording_catalogue.toml")["case"]
DEFAULT_TITLE = "Behavioral Health Medical Policy"
FAMILIES = {"C", "MP", "MN", "MC", "TV"}


def _row(text: str, caption: str | None) -> tuple[str, str]:
    """A one-row table from "Column=cell | Column=cell"; returns (html, visible row text)."""
    pairs = [part.split("=", 1) for part in text.split(" | ")]
    head = "".join(f"<th>{html.escape(k.strip())}</th>" for k, _ in pairs)
    cells = "".join(f"<td>{html.escape(v.strip())}</td>" for _, v in pairs)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    visible = " | ".join(v.strip() for _, v in pairs)
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody><tr>{cells}</tr></tbody></table>", (
        visible
    )


def page(case: dict[str, Any]) -> tuple[bytes, str]:
    """The case as an HTML page, and the visible text its clause must come from."""
    title = case.get("title", DEFAULT_TITLE)
    parts = [f"<html><head><title>{html.escape(title)}</title></head><body><main>"]
    parts.append(f"<h1>{html.escape(title)}</h1>")
    for level, heading in enumerate(filter(None, case.get("head", "").split(" > ")), start=2):
        parts.append(f"<h{level}>{html.escape(heading)}</h{level}>")
    for para in filter(None, case.get("before", "").split("||")):
        parts.append(f"<p>{html.escape(para.strip())}</p>")
    if "sub" in case:
        parts.append(f"<h4>{html.escape(case['sub'])}</h4>")
    layout, text = case.get("lay", "p"), case["text"]
    if layout == "li":
        parts.append(f"<ul><li>{html.escape(text)}</li></ul>")
        visible = text
    elif layout == "row":
        table, visible = _row(text, case.get("caption"))
        parts.append(table)
    else:
        parts.append(f"<p>{html.escape(text)}</p>")
        visible = text
    parts.append("<p>Page last updated by the policy team.</p></main></body></html>")
    return "".join(parts).encode(), visible


def clauses_from_text(case: dict[str, Any]) -> list[Clause]:
    body, visible = page(case)
    result = extract(body, "text/html; charset=utf-8")
    target = norm(visible)
    return [c for c in result.clauses if norm(c.text) in target]


def verdict(case: dict[str, Any]) -> str | None:
    """None when the extractor reads the case as expected, else what went wrong."""
    found = clauses_from_text(case)
    want = case["drug"]
    if want == "none":
        return f"distractor extracted: {[(c.drug, c.stance) for c in found]}" if found else None
    drugs = ["esketamine", "ketamine"] if want == "both" else [want]
    got_drugs = sorted({c.drug for c in found})
    if got_drugs != sorted(drugs):
        return f"drugs {got_drugs}, expected {sorted(drugs)}"
    for clause in found:
        if (clause.stance, clause.type) != (case["stance"], case["type"]):
            return f"{clause.drug}: {clause.stance}/{clause.type}"
    return None


def test_catalogue_shape() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 200
    assert {c["fam"] for c in CASES} == FAMILIES
    assert sum(c["drug"] == "none" for c in CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_wording_case(case: dict[str, Any]) -> None:
    problem = verdict(case)
    assert problem is None, f"{case['text']!r}: {problem}"


if __name__ == "__main__":  # pragma: no cover - a measuring aid, not a test
    failed = [(c["id"], verdict(c)) for c in CASES]
    bad = [(i, v) for i, v in failed if v]
    for case_id, problem in bad:
        print(f"FAIL {case_id}: {problem}")
    print(f"{len(CASES) - len(bad)}/{len(CASES)} catalogue cases read as expected")
