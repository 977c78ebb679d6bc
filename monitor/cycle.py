"""One full cycle: crawl → extract (in the crawl's pipeline) → diff → report → notify."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crawler.registry import PolicySource
from crawler.runner import CrawlSummary, crawl_in_child, prepare
from monitor.changes import DiffStats, detect_changes
from monitor.config import Config
from storage.db import Database


@dataclass
class CycleResult:
    crawl: CrawlSummary
    diff: DiffStats
    events: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # report name → path

    @property
    def significant(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["significant"]]


def run_cycle(
    cfg: Config,
    sources: Sequence[PolicySource],
    *,
    progress: bool = False,
    now: datetime | None = None,
    **crawl_overrides: Any,
) -> CycleResult:
    """Crawl the sources in a child process, then diff what is new, in this process."""
    ids = prepare(cfg, sources)
    summary = crawl_in_child(cfg, ids, progress=progress, **crawl_overrides)
    db = Database(cfg.db_url)
    try:
        with db.session() as session:
            stats = detect_changes(session, now=now or datetime.now(UTC), source_ids=ids)
            events = [
                {
                    "id": e.id,
                    "source_id": e.source_id,
                    "kind": e.kind,
                    "drug": e.drug or None,
                    "significant": e.significant,
                    "summary": e.summary,
                    "stance_before": e.stance_before,
                    "stance_after": e.stance_after,
                }
                for e in stats.events
            ]
    finally:
        db.dispose()
    return CycleResult(crawl=summary, diff=stats, events=events)
