"""`policywatch report` through click, against the demo database."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main
from monitor.reports import FILES, OUTPUTS
from storage.db import Database


def test_report_all_writes_every_report_and_prints_the_paths(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["report", "--db", db.url, "--all", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in FILES:
        assert (out / name).is_file()
        assert str(out / name) in result.output
    assert str(out / "archive") in result.output


def test_report_one_format_with_a_period(db: Database, tmp_path: Path) -> None:
    target = tmp_path / "x" / "events.json"
    args = ["report", "--db", db.url, "--format", "json", "--out", str(target)]
    result = CliRunner().invoke(main, [*args, "--since", "2000-01-01", "--until", "2099-12-31"])
    assert result.exit_code == 0, result.output
    gated = json.loads(target.read_text())  # [publish] require_review: nothing confirmed yet
    assert [e["significant"] for e in gated["events"]] == [False]
    assert gated["awaiting_review"] == 2
    config = tmp_path / "policywatch.toml"
    config.write_text("[publish]\nrequire_review = false\n")
    args += ["--config", str(config)]
    result = CliRunner().invoke(main, [*args, "--since", "2000-01-01", "--until", "2099-12-31"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(target.read_text())["events"]) == 3
    assert (tmp_path / "x" / "archive").is_dir()
    result = CliRunner().invoke(main, [*args, "--until", "2000-01-01"])
    assert json.loads(target.read_text())["events"] == []


def test_report_rejects_a_bad_date(db: Database, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["report", "--db", db.url, "--since", "last week", "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_one_report_without_out_has_the_name_report_all_gives_it(
    db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    config = tmp_path / "policywatch.toml"
    config.write_text(f'[report]\nout_dir = "{folder}"\n')
    for output in OUTPUTS:
        args = ["report", "--db", db.url, "--config", str(config), "--format", output.format]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert (folder / output.file).is_file(), output
    assert not [p.name for p in folder.iterdir() if p.name.startswith("changes.") and
                p.name not in FILES]  # fmt: skip
