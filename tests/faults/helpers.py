"""Helpers for the fault suite: the CLI as a real process, and counting rows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Snapshot

ROOT = Path(__file__).resolve().parents[2]


def pw_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "monitor.cli", *args]


def pw(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Any:
    return subprocess.run(
        pw_cmd(*args),
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        cwd=ROOT,
        timeout=timeout,
    )


def fast_config(path: Path, **extra: str) -> Path:
    """A policywatch.toml for crawling 127.0.0.1 quickly."""
    lines = [
        "[crawl]",
        "download_delay = 0.0",
        "timeout = 5.0",
        "retries = 0",
        f'log_file = "{path.parent / "crawl.log"}"',
        "[report]",
        f'out_dir = "{path.parent / "reports"}"',
    ]
    for section_key, value in extra.items():
        section, key = section_key.split("__")
        lines += [f"[{section}]", f"{key} = {value}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def duplicate_runs(db: Database) -> int:
    """Snapshots whose source's previous snapshot has the same sha256 (a version stored twice)."""
    with db.session() as s:
        rows = s.execute(select(Snapshot.source_id, Snapshot.sha256).order_by(Snapshot.id)).all()
    last: dict[str, str] = {}
    dups = 0
    for source_id, sha in rows:
        dups += last.get(source_id) == sha
        last[source_id] = sha
    return dups


def count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())
