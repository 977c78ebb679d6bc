"""The repository's own labelled cases (tests/fixtures/corpus) obey the corpus format's rules.

Each label must occur in its version's visible text (normative rules in tests/corpus_text.py,
compared with the project's ``norm``), the labels must use the format's vocabularies, every
consecutive pair must be judged, and the generator must reproduce the committed bytes.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.evaluate import load_corpus
from monitor.scoring import norm, score_case, totals
from tests.corpus_text import visible_texts

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
CASES = load_corpus(CORPUS)
VERSIONS = [(c.case_id, v) for c in CASES for v in c.labels["versions"]]

STANCES = {
    "covered",
    "covered_with_criteria",
    "prior_authorization",
    "step_therapy",
    "preferred",
    "non_preferred",
    "not_covered",
    "experimental",
}
TYPES = {"statement", "criterion", "limitation", "listing"}
SIGNIFICANT = {"stance_change", "criteria_change", "added", "removed"}
KINDS = SIGNIFICANT | {"coding_change", "noise", "moved", "unavailable"}
DRUG_NAMED = ("ketamine", "ketalar", "spravato")


def _labels(case_id: str) -> dict:
    return next(c.labels for c in CASES if c.case_id == case_id)


def test_there_are_at_least_fifteen_multi_version_cases() -> None:
    assert len(CASES) >= 15
    assert all(len(c.labels["versions"]) >= 2 for c in CASES)


@pytest.mark.parametrize(("case_id", "version"), VERSIONS, ids=[f"{c}/{v}" for c, v in VERSIONS])
def test_every_label_occurs_in_the_visible_text(case_id: str, version: str) -> None:
    labels = _labels(case_id)
    texts = [norm(t) for t in visible_texts(CORPUS / case_id / version)]
    wanted = [c["text"] for c in labels["clauses"][version]] + labels["distractors"][version]
    missing = [w for w in wanted if any(norm(w) not in t for t in texts)]
    assert missing == []


@pytest.mark.parametrize("case_id", [c.case_id for c in CASES])
def test_labels_use_the_format_vocabulary(case_id: str) -> None:
    labels = _labels(case_id)
    versions = labels["versions"]
    keyed = (labels["fetches"], labels["clauses"], labels["distractors"])
    assert all(set(k) == set(versions) for k in keyed)
    for version, clauses in labels["clauses"].items():
        for c in clauses:
            assert c["drug"] in ("ketamine", "esketamine"), c
            assert c["stance"] in STANCES, c
            assert c["type"] in TYPES, c
            if c["type"] == "statement":  # a statement asserts a stance, so it names its drug
                assert any(name in c["text"].lower() for name in DRUG_NAMED), (version, c["text"])
    for ch in labels["changes"]:
        assert ch["from"] in versions and ch["to"] in versions
        assert ch["kind"] in KINDS
        assert ch["significant"] == (ch["kind"] in SIGNIFICANT)
        assert (ch["drug"] is not None) == (ch["kind"] in SIGNIFICANT | {"coding_change"})
    judged = {(ch["from"], ch["to"]) for ch in labels["changes"]}
    assert all(pair in judged for pair in itertools.pairwise(versions))


def test_the_gold_labels_score_perfectly_with_the_project_scorer() -> None:
    """The labels are in the shape `policywatch evaluate` scores: gold as predictions is 1.0."""
    scores = [score_case(c.case_id, c.labels, c.labels) for c in CASES]
    result = totals(scores)
    assert result["clauses"]["recall"] == result["clauses"]["precision"] == 1.0
    assert result["changes"]["significance_recall"] == 1.0
    assert result["changes"]["kind_and_drug_accuracy_on_significant"] == 1.0
    assert result["changes"]["fp"] == 0
    done, total = result["changes"]["unavailable_detected"].split("/")
    assert done == total != "0"


def test_the_generator_reproduces_the_committed_cases(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(CORPUS / "_make.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for case in CASES:
        for version in case.labels["versions"]:
            fresh = (tmp_path / case.case_id / version).read_bytes()
            committed = (CORPUS / case.case_id / version).read_bytes()
            assert fresh == committed, f"{case.case_id}/{version}"
        fresh_labels = json.loads((tmp_path / case.case_id / "labels.json").read_text("utf-8"))
        assert fresh_labels == case.labels
