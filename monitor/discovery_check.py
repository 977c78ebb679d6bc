"""`sources check`: fetch each entry once (politely, nothing stored) and date the ones that work."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import tomlkit

from crawler.checks import CheckResult
from crawler.config import Config
from crawler.registry import PolicySource
from crawler.runner import check_in_child


def run_check(cfg: Config, sources: Sequence[PolicySource], **overrides: Any) -> list[CheckResult]:
    """Check ``sources`` in a child process; results in registry order."""
    results = {r.source_id: r for r in check_in_child(cfg, sources, **overrides)}
    return [results[s.id] for s in sources if s.id in results]


def mark_verified(
    sources: Iterable[PolicySource], passed_ids: Iterable[str], today: date
) -> dict[str, int]:
    """Write ``today`` into ``verified`` of the passed entries, file by file; counts per file.

    tomlkit keeps every comment, blank line and key order of the files as they were.
    """
    wanted = set(passed_ids)
    by_file: dict[str, set[str]] = defaultdict(set)
    for src in sources:
        if src.id in wanted and src.origin:
            by_file[src.origin].add(src.id)
    counts: dict[str, int] = {}
    for name, ids in sorted(by_file.items()):
        path = Path(name)
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
        changed = 0
        for table in doc.get("source", []):
            if table.get("id") in ids:
                table["verified"] = today.isoformat()
                changed += 1
        path.write_text(tomlkit.dumps(doc), encoding="utf-8")
        counts[name] = changed
    return counts
