"""How the diff job reads a version next to its source's last good version (no crawl, no DB)."""

from __future__ import annotations

import pytest

from crawler.extract.model import Block, Clause, Extraction
from monitor.changes import judge

POLICY = Extraction(
    outcome="ok",
    format="html",
    title="Esketamine Nasal Spray",
    clauses=[
        Clause(
            text="Spravato is medically necessary when all of the following are met:",
            drug="esketamine",
            stance="covered_with_criteria",
            type="statement",
        )
    ],
    text_length=900,
)
ALERTS = Extraction(
    outcome="no_drug_content",
    format="html",
    title="Pharmacy Alerts",
    blocks=[Block("heading", "Pharmacy Alerts", level=1)],
    text_length=200,
)


def _short(outcome: str = "anchors_lost", title: str | None = "Pharmacy Alerts") -> Extraction:
    return Extraction(outcome=outcome, format="html", title=title, text_length=120)


@pytest.mark.parametrize(
    ("last_good", "version", "outcome", "set_aside"),
    [
        pytest.param(None, _short(), "no_drug_content", False, id="first-version-readable"),
        pytest.param(ALERTS, _short(), "no_drug_content", False, id="never-had-anchors"),
        pytest.param(POLICY, _short(), "anchors_lost", True, id="policy-lost-its-anchors"),
        pytest.param(POLICY, _short("maintenance"), "maintenance", True, id="maintenance"),
        pytest.param(
            POLICY,
            _short("no_drug_content", title="Member Portal"),
            "anchors_lost",
            True,
            id="other-page-at-the-address",
        ),
        pytest.param(
            POLICY,
            _short("no_drug_content", title="Esketamine Nasal Spray"),
            "no_drug_content",
            False,
            id="drug-dropped-document-kept",
        ),
        pytest.param(
            POLICY,
            Extraction(
                outcome="no_drug_content",
                format="html",
                title="Policy archive",
                message='policy retired: "This policy has been retired."',
            ),
            "no_drug_content",
            False,
            id="retirement-notice",
        ),
    ],
)
def test_judge(
    last_good: Extraction | None, version: Extraction, outcome: str, set_aside: bool
) -> None:
    ext, reason = judge(last_good, version)
    assert ext.outcome == outcome
    assert (reason is not None) == set_aside
    if set_aside:
        assert reason
