"""`policywatch extract --explain` and the ``why`` collector behind it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from crawler.extract import extract
from crawler.extract.context import Why
from crawler.extract.stance import match_rule
from monitor.cli.extraction import extract as extract_command

PAGE = b"""<html><head><title>Spravato (esketamine) nasal spray</title></head><body><main>
<h1>Spravato (esketamine) nasal spray</h1>
<h2>Coverage Criteria</h2>
<p>The requested product may be approved when the criteria below are met.</p>
<ul><li>Age 18 or older</li><li>Approval duration: 6 months</li></ul>
<h2>Ketamine</h2>
<p>It is considered investigational except when used for anesthesia.</p>
</main></body></html>"""


def test_why_is_parallel_to_the_clauses_and_changes_nothing_stored() -> None:
    why: list[Why] = []
    explained = extract(PAGE, "text/html", why=why)
    assert explained == extract(PAGE, "text/html")
    assert len(why) == len(explained.clauses) == 4
    first, criterion, _, ketamine = why
    assert (first.rule, first.cue, first.drug_from) == (
        "approvable when criteria",
        "may be approved when",
        "title",
    )
    assert first.context == "Spravato (esketamine) nasal spray"
    assert criterion.drug_from == "governing statement"
    assert criterion.context.startswith("The requested product")
    assert (ketamine.rule, ketamine.cue, ketamine.drug_from, ketamine.context) == (
        "experimental",
        "investigational",
        "heading",
        "Ketamine",
    )


def test_cli_explain_names_rule_cue_and_drug_source(tmp_path: Path) -> None:
    page = tmp_path / "policy.html"
    page.write_bytes(PAGE)
    result = CliRunner().invoke(extract_command, [str(page), "--explain"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "rule 'approvable when criteria', cue \"may be approved when\"" in result.output
    assert 'drug: from the title "Spravato (esketamine) nasal spray"' in result.output
    assert 'drug: from the heading "Ketamine"' in result.output


def test_cli_explain_json_is_optional(tmp_path: Path) -> None:
    page = tmp_path / "policy.html"
    page.write_bytes(PAGE)
    runner = CliRunner()
    plain = json.loads(runner.invoke(extract_command, [str(page), "--json"]).output)
    assert "explain" not in plain
    data = json.loads(runner.invoke(extract_command, [str(page), "--json", "--explain"]).output)
    assert [e["drug_from"] for e in data["explain"]] == [
        "title",
        "governing statement",
        "governing statement",
        "heading",
    ]


def test_match_rule_returns_rule_and_cue() -> None:
    found = match_rule("Esketamine is no longer considered investigational.")
    assert found is not None
    assert (found.stance, found.rule, found.cue, found.negated) == (
        "covered",
        "negated exclusion",
        "investigational",
        True,
    )
    assert match_rule("Ketamine is an anesthetic agent.") is None
