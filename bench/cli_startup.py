"""Start-up cost of the command line: CPU seconds per command, and what it imports.

    python bench/cli_startup.py [--runs N] [--top K]

Runs each command N times (default 7) as a child process and prints the median CPU seconds
(user + sys of the child, from ``resource.getrusage(RUSAGE_CHILDREN)``), so the figures hold
on a busy machine, unlike wall time:

- ``python -c pass``: the interpreter alone, the floor;
- ``policywatch --help`` (target: under 0.3 s);
- ``policywatch changes --help``;
- ``policywatch changes`` on an empty database migrated beforehand (in a temporary folder).

Then the K biggest imports (cumulative microseconds) of ``policywatch --help`` and of
``policywatch changes`` from ``python -X importtime``. The commands run as
``python -m monitor.cli`` with this checkout first on PYTHONPATH. Always exits 0.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HELP_TARGET_S = 0.3


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def _cpu_seconds(argv: list[str]) -> float:
    """User + sys CPU seconds of one child process running ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(argv: list[str], runs: int) -> float:
    _cpu_seconds(argv)  # warm the file cache and the bytecode cache first
    return statistics.median(_cpu_seconds(argv) for _ in range(runs))


def _top_imports(argv: list[str], top: int) -> list[tuple[int, str]]:
    """The biggest imports by cumulative time, outermost first among equals."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    rows: list[tuple[int, str]] = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name.strip()))
    rows.sort(key=lambda row: -row[0])
    return rows[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (median kept)")
    parser.add_argument("--top", type=int, default=12, help="imports listed per command")
    args = parser.parse_args()

    from storage.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'empty.sqlite'}"
        Database(db_url).dispose()  # an empty, migrated database: `changes` only reads it
        cli = [sys.executable, "-m", "monitor.cli"]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "policywatch --help": [*cli, "--help"],
            "policywatch changes --help": [*cli, "changes", "--help"],
            "policywatch changes (empty db)": [*cli, "changes", "--db", db_url],
        }
        print(f"CPU seconds (user+sys of the child), median of {args.runs} runs")
        figures = {}
        for label, argv in commands.items():
            figures[label] = _median(argv, args.runs)
            print(f"  {label:32} {figures[label]:.3f} s")
        verdict = "PASS" if figures["policywatch --help"] < HELP_TARGET_S else "FAIL"
        print(f"policywatch --help under {HELP_TARGET_S} s of CPU: {verdict}")
        for label in ("policywatch --help", "policywatch changes (empty db)"):
            argv = commands[label][1:]  # without the interpreter: -X importtime goes first
            print(f"\nbiggest imports of `{label}` (cumulative µs, python -X importtime):")
            for micros, name in _top_imports(argv, args.top):
                print(f"  {micros:>9,}  {name}")


if __name__ == "__main__":
    main()
