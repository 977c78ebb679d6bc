"""Small helpers shared by the report tests."""

from __future__ import annotations

from pathlib import Path

from monitor.reports import write_all_reports
from storage.db import Database
from tests.support.hostile import NOW


def week_pages(index: Path) -> list[Path]:
    """The change report's week pages (and parts of weeks) beside its index, newest first."""
    return sorted(index.parent.glob(f"{index.stem}-????-W??*.html"), reverse=True)


def change_pages_text(index: Path) -> str:
    """The index and every week page of a change report, as one text."""
    return "".join(p.read_text(encoding="utf-8") for p in [index, *week_pages(index)])


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
