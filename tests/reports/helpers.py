"""Small helpers shared by the report tests."""

from __future__ import annotations

from pathlib import Path

from monitor.reports import write_all_reports
from storage.db import Database
from tests.support.hostile import NOW


def write_all(
    db: Database, out: Path, archive_base_url: str = "", *, require_review: bool = False
) -> dict[str, Path]:
    """All reports; ungated unless asked, so rendering tests see every stored change."""
    with db.session() as s:
        return write_all_reports(
            s,
            out,
            since=None,
            now=NOW,
            archive_base_url=archive_base_url,
            require_review=require_review,
        )
