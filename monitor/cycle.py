"""One full cycle: crawl → extract (in the crawl's pipeline) → diff → report → notify."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.config import Config
from crawler.registry import PolicySource
from crawler.runner import CrawlSummary, crawl_in_child, prepare
from monitor.changes import DiffStats, run_diff
from monitor.notify import Message, notify, send_once
from storage.db import Database

log = logging.getLogger("policywatch.cycle")

# The reports a cycle writes cover this much history, so a missed cycle loses nothing.
REPORT_WINDOW = timedelta(days=30)
DIGEST_WINDOW = timedelta(days=7)


@dataclass
class CycleResult:
    crawl: CrawlSummary
    diff: DiffStats
    events: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)  # report name → path
    notified: list[Message] = field(default_factory=list)
    publish_error: str = ""  # the public site could not be written (the cycle still notifies)

    @property
    def significant(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["significant"]]


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the UTC day ``window`` before ``now``: the reports' period moves a day at a
    time, so cycles of one day with nothing new leave every report file as it was."""
    return (now - window).replace(hour=0, minute=0, second=0, microsecond=0)


def write_reports(cfg: Config, *, now: datetime, since: datetime) -> dict[str, Path]:
    from monitor.reports import write_all_reports

    with Database(cfg.db_url) as db, db.session() as session:
        return write_all_reports(
            session,
            cfg.report_dir,
            since=since,
            now=now,
            archive_base_url=cfg.report.archive_base_url,
            require_review=cfg.publish.require_review,
            feed_size=cfg.report.feed_size,
        )


def publish(cfg: Config) -> Path | None:
    """Publish the public site when ``[publish] out_dir`` is set; the path of its index.html."""
    if not cfg.publish.out_dir:
        return None
    from monitor.publish import publish_site

    with Database(cfg.db_url) as db, db.session() as session:
        result = publish_site(
            session,
            Path(cfg.publish.out_dir),
            cfg.publish.base_url,
            require_review=cfg.publish.require_review,
            feed_size=cfg.publish.feed_size,
        )
    return result.index


def run_cycle(
    cfg: Config,
    sources: Sequence[PolicySource],
    *,
    progress: bool = False,
    now: datetime | None = None,
    **crawl_overrides: Any,
) -> CycleResult:
    """Crawl the sources in a child process, then diff, report and notify in this process."""
    ids = prepare(cfg, sources)
    if cfg.cluster.queue_url:
        from monitor.cluster.dispatch import crawl_on_cluster

        # Workers crawl (they read their own config); this process diffs, reports, notifies.
        summary = crawl_on_cluster(cfg, ids)
    else:
        summary = crawl_in_child(cfg, ids, progress=progress, **crawl_overrides)
    log_crawl(summary)
    now = now or datetime.now(UTC)
    with Database(cfg.db_url) as db:
        stats = run_diff(db, now=now, source_ids=ids)  # committed per batch of sources
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
        result = CycleResult(crawl=summary, diff=stats, events=events)
        log.info(
            "diff: %d change event(s), %d significant",
            len(events),
            len(result.significant),
            extra={"events": len(events), "significant": len(result.significant)},
        )
        result.outputs = write_reports(cfg, now=now, since=window_start(now, REPORT_WINDOW))
        log.info(
            "reports: %d written to %s",
            len(result.outputs),
            cfg.report_dir,
            extra={"reports": len(result.outputs)},
        )
        try:
            site_index = publish(cfg)
        except (OSError, ValueError) as exc:  # the site is extra: notices must still go out
            result.publish_error = f"publishing the site into {cfg.publish.out_dir} failed: {exc}"
            log.error("publish: %s", result.publish_error)
        else:
            if site_index is not None:
                result.outputs["index.html"] = site_index
                log.info("publish: site written, %s", site_index)
        with db.session() as session:
            result.notified = notify(session, cfg.notify, now=now)
    return result


def log_crawl(summary: CrawlSummary) -> None:
    """The crawl's counts in one line, and one warning per source that failed."""
    log.info(
        "crawl: %d source(s), %d new version(s), %d unchanged, %d failed",
        summary.sources,
        summary.new_versions,
        summary.unchanged,
        summary.failed,
        extra={
            "run_id": summary.run_id,
            "status": summary.status,
            "sources": summary.sources,
            "new_versions": summary.new_versions,
            "unchanged": summary.unchanged,
            "failed": summary.failed,
        },
    )
    for failure in summary.failures:
        log.warning(
            "fetch failed: %s: %s",
            failure["source_id"],
            failure["error"],
            extra={"source_id": failure["source_id"], "kind": failure["kind"]},
        )
    if summary.missing:
        log.warning(
            "%d source(s) not fetched (the crawl stopped early): %s",
            len(summary.missing),
            ", ".join(summary.missing[:20]),
            extra={"missing": len(summary.missing)},
        )
    if summary.status != "finished":
        log.error("the crawl run ended %s", summary.status, extra={"run_id": summary.run_id})


def digest(cfg: Config, *, now: datetime) -> dict[str, str]:
    """Write the week's reports and tell analysts where the digest is (once per ISO week)."""
    outputs = write_reports(cfg, now=now, since=window_start(now, DIGEST_WINDOW))
    year, week, _ = now.isocalendar()
    key = f"digest:{year}-W{week:02d}"
    from monitor.reports import report_output

    digest_file = report_output("md").file
    if cfg.notify.analysts and digest_file in outputs:
        text = outputs[digest_file].read_text(encoding="utf-8")
        message = Message(
            "analysts", f"policywatch weekly digest {year}-W{week:02d}", [text], [key]
        )
        with Database(cfg.db_url) as db, db.session() as session:
            send_once(session, message, cfg.notify.analysts, now=now)
    return {name: str(path) for name, path in outputs.items()}
