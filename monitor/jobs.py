"""Plain job functions the scheduler runs by reference (so its job store can persist them).

Each receives only strings (config path, database URL, sources files): the persistent job store
pickles job arguments, and a restart must rebuild everything from configuration.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from crawler.config import Config, load_config
from crawler.registry import configured_sources
from monitor.logs import logged_job

log = logging.getLogger("policywatch.jobs")


def config_from_options(options: dict[str, Any]) -> Config:
    cfg = load_config(options.get("config"))
    if options.get("database"):
        cfg.database = options["database"]
    if options.get("sources"):
        cfg.sources = list(options["sources"])
    return cfg


def cycle_job(options: dict[str, Any]) -> dict[str, Any]:
    """One scheduled cycle: crawl (child process) → extract → diff → report → notify."""
    from monitor.cycle import run_cycle
    from monitor.locks import CycleBusy, exclusive

    with logged_job(log, "cycle") as counts:
        cfg = config_from_options(options)
        sources = configured_sources(cfg)
        try:
            with exclusive(cfg) as closed:
                if closed:
                    log.warning("closed crawl run(s) left running by a killed process: %s", closed)
                result = run_cycle(
                    cfg, sources, now=datetime.now(UTC), **options.get("crawl_overrides", {})
                )
        except CycleBusy as exc:
            log.warning("cycle skipped: %s", exc, extra={"job": "cycle"})
            counts["skipped"] = True
            return {"skipped": True}
        counts.update(
            sources=result.crawl.sources,
            new_versions=result.crawl.new_versions,
            unchanged=result.crawl.unchanged,
            failed=result.crawl.failed,
            events=len(result.events),
            significant=len(result.significant),
            notified=len(result.notified),
        )
    return {"new_versions": result.crawl.new_versions, "events": len(result.events)}


def discover_job(options: dict[str, Any]) -> dict[str, int]:
    """Scan index pages and change notices for new documents; tell operators what was found."""
    from monitor.discovery import run_discovery
    from monitor.notify import proposals_message, send_once
    from storage.db import Database

    with logged_job(log, "discover") as counts:
        cfg = config_from_options(options)
        sources = configured_sources(cfg)
        run = run_discovery(cfg, sources, **options.get("crawl_overrides", {}))
        if run.new and cfg.notify.operators:
            with Database(cfg.db_url) as db, db.session() as session:
                send_once(
                    session,
                    proposals_message(run.new),
                    cfg.notify.operators,
                    now=datetime.now(UTC),
                )
        counts.update(new=len(run.new), indexes=len(run.indexes))
    return {"new": len(run.new), "indexes": len(run.indexes)}


def digest_job(options: dict[str, Any]) -> dict[str, str]:
    """The weekly digest: reports for the past week, and a note to analysts where they are."""
    from monitor.cycle import digest

    with logged_job(log, "digest") as counts:
        cfg = config_from_options(options)
        outputs = digest(cfg, now=datetime.now(UTC))
        counts["reports"] = len(outputs)
    return outputs
