"""The command line imports only what the command in use needs."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from monitor.cli import COMMANDS, main
from monitor.cli.lazy import load_command
from storage.db import Database
from tests.cli.helpers import pw, python

HEAVY = ("sqlalchemy", "alembic", "scrapy", "twisted", "starlette", "lxml")

PROBE = """
import json, sys
from monitor.cli import main
try:
    main({args!r}, prog_name="policywatch")
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "loaded": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""


def _probe(*args: str) -> dict[str, object]:
    result = python(PROBE.format(args=list(args), heavy=HEAVY))
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def test_root_help_lists_every_command_without_importing_any_library() -> None:
    result = pw("--help")
    assert result.returncode == 0
    for name, entry in COMMANDS.items():
        assert name in result.stdout and entry.short_help[:30] in " ".join(result.stdout.split())
    assert _probe("--help") == {"code": 0, "loaded": []}


def test_changes_help_and_changes_import_no_crawler_nor_migrations(tmp_path: Path) -> None:
    assert _probe("changes", "--help") == {"code": 0, "loaded": []}
    url = f"sqlite:///{tmp_path / 'pw.sqlite'}"
    Database(url).dispose()
    listed = _probe("changes", "--db", url)
    assert listed["code"] == 0
    # The database layer, and nothing of the crawler (Scrapy, Twisted, lxml) or of Alembic.
    assert listed["loaded"] == ["sqlalchemy"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_says_what_each_command_says(name: str) -> None:
    command = load_command(COMMANDS[name].target)
    assert isinstance(command, click.Command) and command.name == name
    assert COMMANDS[name].short_help == command.get_short_help_str(limit=100)


def test_commands_still_run_through_the_group(tmp_path: Path) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["db", "upgrade", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 0, result.output
    assert "schema at revision" in result.output
    unknown = CliRunner().invoke(main, ["chnages"])
    assert unknown.exit_code == 2 and "No such command 'chnages'" in unknown.output
