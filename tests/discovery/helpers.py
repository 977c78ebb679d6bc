"""Helpers for discovery tests: a config file for the CLI and a CLI runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from monitor.cli import main


def config_file(tmp_path: Path, db_url: str, **crawl: Any) -> Path:
    """policywatch.toml for a local site: no politeness delay, quick timeouts."""
    settings = {"download_delay": 0.0, "timeout": 5.0, "retries": 1, **crawl}
    lines = [f'database = "{db_url}"', "[crawl]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path = tmp_path / "policywatch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def cli_json(*args: str) -> Any:
    result = cli(*args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)
