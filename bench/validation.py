"""Time registry and config validation (pydantic models, every error with its line).

    python bench/validation.py [--entries 5000] [--repeat 5]

Prints, as the median of ``--repeat`` runs (CPU seconds of this process):

- the shipped registry loaded and validated (what every command does at start);
- a generated registry of ``--entries`` valid entries;
- the same file with one entry in ten broken (bad URL, state, date): every error collected and
  mapped to its line;
- a config file with three mistakes.

Target: the shipped registry under 0.1 s; 5,000 entries under 1 s; reporting every error of the
broken file costs at most a few times the clean load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.config import ConfigError, load_config
from crawler.registry import RegistryError, load_file, load_sources


def timed(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        runs.append(time.process_time() - start)
    return statistics.median(runs)


def entry(i: int, broken: bool) -> str:
    url = "ftp://x.example/" if broken else f"https://payer{i % 50}.example/policy/{i}"
    state = "XX" if broken else "US"
    verified = '"2025-02-30"' if broken else "2025-01-31"
    return (
        f'[[source]]\nid = "bench-source-{i}"\npayer = "Payer {i % 50}"\n'
        f'plan_type = "commercial"\nstate = "{state}"\ndocument_type = "drug_policy"\n'
        f'title = "Ketamine policy {i}"\nurl = "{url}"\nverified = {verified}\n\n'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        good = Path(tmp) / "good.toml"
        good.write_text("".join(entry(i, False) for i in range(args.entries)))
        bad = Path(tmp) / "bad.toml"
        bad.write_text("".join(entry(i, i % 10 == 0) for i in range(args.entries)))
        config = Path(tmp) / "policywatch.toml"
        config.write_text(
            '[crawl]\nconcurrency = "8"\n[schedule]\ncycle = "daily"\n[notify]\nanalyst = []\n'
        )

        def broken() -> None:
            try:
                load_file(bad)
            except RegistryError as exc:
                assert str(exc).count("\n") == 3 * (args.entries // 10)
            else:
                raise AssertionError("the broken file loaded")

        def bad_config() -> None:
            try:
                load_config(config, env={})
            except ConfigError as exc:
                assert str(exc).count("\n") == 3
            else:
                raise AssertionError("the broken config loaded")

        shipped = len(load_sources())
        print(f"shipped registry ({shipped} sources): {timed(load_sources, args.repeat):.3f} s")
        clean = timed(lambda: load_file(good), args.repeat)
        print(f"{args.entries} valid entries: {clean:.3f} s")
        errors = timed(broken, args.repeat)
        print(
            f"{args.entries} entries, {3 * (args.entries // 10)} errors with lines: "
            f"{errors:.3f} s ({errors / clean:.1f}x the clean load)"
        )
        print(f"config with 3 mistakes: {timed(bad_config, args.repeat) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
