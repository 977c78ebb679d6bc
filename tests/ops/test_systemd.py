"""The systemd units in deploy/systemd/: each parses, is hardened, and starts a real command."""

from __future__ import annotations

import configparser
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def parse(path: Path) -> configparser.RawConfigParser:
    # systemd allows repeated keys (Environment=); keep the last, as a reader would see them.
    unit = configparser.RawConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(path, encoding="utf-8")
    return unit


def test_the_three_units_are_shipped() -> None:
    assert {u.name for u in UNITS} >= {
        "policywatch-schedule.service",
        "policywatch-serve.service",
        "policywatch-worker@.service",
    }


@pytest.mark.parametrize("path", UNITS, ids=[u.name for u in UNITS])
def test_unit_is_hardened_and_runs_an_existing_command(path: Path) -> None:
    unit = parse(path)
    assert unit.sections() == ["Unit", "Service", "Install"]
    service = unit["Service"]
    assert service["User"] == "policywatch"
    assert service["EnvironmentFile"].lstrip("-") == "/etc/policywatch/env"
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    assert service["StateDirectory"] == "policywatch"
    # ProtectSystem=strict makes everything read-only: the state directory must be writable.
    assert "/var/lib/policywatch" in service["ReadWritePaths"].split()
    assert unit["Install"]["WantedBy"] == "multi-user.target"

    argv = shlex.split(service["ExecStart"])
    assert argv[0] == "/opt/policywatch/.venv/bin/policywatch"
    words = [a for a in argv[1:] if not a.startswith("-")][:1]
    assert words, argv
    # The same command line, with --help, must be accepted by this policywatch.
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli", *argv[1:], "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"Usage: python -m monitor.cli {words[0]}" in result.stdout
