"""The diff job end to end: real crawls of a local site, stored events, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from crawler.config import Config
from monitor.changes import detect_changes
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import ChangeEventRecord, Source
from tests.crawl.helpers import crawl, source, write_registry
from tests.extract_samples import SAMPLE_HTML

STRICTER = SAMPLE_HTML.replace("at least three (3) different", "at least four (4) different")
MAINTENANCE = (
    "<html><head><title>Maintenance</title></head><body><h1>We'll be back soon</h1>"
    "<p>This site is down for scheduled maintenance. Please try again later.</p></body></html>"
)
NOISE = SAMPLE_HTML.replace("February 10, 2026", "August 3, 2026").replace(
    "&copy; 2026", "&copy; 2027"
)


def _diff(db_url: str) -> list[ChangeEventRecord]:
    db = Database(db_url)
    with db.session() as s:
        stats = detect_changes(s, now=datetime.now(UTC))
        events = list(stats.events)
    db.dispose()
    return events


def _all_events(db_url: str) -> list[tuple[str, str]]:
    db = Database(db_url)
    with db.session() as s:
        rows = s.scalars(select(ChangeEventRecord).order_by(ChangeEventRecord.id)).all()
        out = [(e.kind, e.drug) for e in rows]
    db.dispose()
    return out


def _setup(site: LocalSite, tmp_path: Path, cfg: Config, db_url: str) -> Path:
    cfg.database = db_url
    site.set("/policy.html", SAMPLE_HTML)
    return write_registry(tmp_path / "s.toml", [source("evergreen", site.url("/policy.html"))])


def test_first_version_is_baseline_then_real_change_is_one_event_and_diff_is_idempotent(
    site: LocalSite, tmp_path: Path, fast_config: Config, db_url: str
) -> None:
    registry = _setup(site, tmp_path, fast_config, db_url)
    crawl(fast_config, registry)
    assert _diff(db_url) == []
    site.set("/policy.html", STRICTER)
    crawl(fast_config, registry)
    events = _diff(db_url)
    assert [(e.kind, e.drug) for e in events] == [("criteria_change", "esketamine")]
    assert "3 → 4" in events[0].summary
    assert events[0].before_snapshot_id is not None
    assert _diff(db_url) == []  # running again finds nothing new
    db = Database(db_url)
    with db.session() as s:
        detect_changes(s, now=datetime.now(UTC), rebuild=True)  # and a rebuild stores no duplicates
    db.dispose()
    assert _all_events(db_url) == [("criteria_change", "esketamine")]


def test_noise_only_version_stores_no_event(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _setup(site, tmp_path, fast_config, sqlite_url)
    crawl(fast_config, registry)
    site.set("/policy.html", NOISE)
    result = crawl(fast_config, registry)
    assert result.new_versions == 1  # a new version is archived ...
    assert _diff(sqlite_url) == []  # ... but it is not a coverage change


def test_maintenance_page_is_quarantined_and_recovery_diffs_against_last_good(
    site: LocalSite, tmp_path: Path, fast_config: Config, db_url: str
) -> None:
    registry = _setup(site, tmp_path, fast_config, db_url)
    crawl(fast_config, registry)
    _diff(db_url)
    site.set("/policy.html", MAINTENANCE)
    crawl(fast_config, registry)
    assert [(e.kind, e.significant) for e in _diff(db_url)] == [("unavailable", False)]
    db = Database(db_url)
    with db.session() as s:
        assert s.get(Source, "evergreen").health == "maintenance"  # type: ignore[union-attr]
    db.dispose()
    site.set("/policy.html", MAINTENANCE.replace("soon", "soon!"))  # still down, new bytes
    crawl(fast_config, registry)
    assert _diff(db_url) == []  # one unavailable event per outage, not per fetch
    site.set("/policy.html", NOISE)  # back, with only noise since the last good version
    crawl(fast_config, registry)
    back = _diff(db_url)
    assert not any(e.significant for e in back)
    assert all(e.kind == "unavailable" for e in back)


def test_content_flipping_back_does_not_alert_again(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _setup(site, tmp_path, fast_config, sqlite_url)
    crawl(fast_config, registry)
    _diff(sqlite_url)
    flips = []
    for body in (STRICTER, SAMPLE_HTML, STRICTER, SAMPLE_HTML):
        site.set("/policy.html", body)
        crawl(fast_config, registry)
        flips.append([(e.kind, e.review_status) for e in _diff(sqlite_url) if e.significant])
    # Every flip is kept as evidence, but only the first is news for analysts.
    assert flips == [
        [("criteria_change", "new")],
        [("criteria_change", "flapping")],
        [("criteria_change", "flapping")],
        [("criteria_change", "flapping")],
    ]


def test_redirected_document_with_same_content_is_moved_not_a_change(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _setup(site, tmp_path, fast_config, sqlite_url)
    crawl(fast_config, registry)
    _diff(sqlite_url)
    site.redirect("/policy.html", site.url("/new-home/policy.html"))
    site.set("/new-home/policy.html", NOISE)
    crawl(fast_config, registry)
    assert [(e.kind, e.significant) for e in _diff(sqlite_url)] == [("moved", False)]


LONG_POLICY = SAMPLE_HTML.replace(
    "</main>",
    "<h2>Clinical evidence</h2>" + "<p>Study details and outcomes.</p>" * 80 + "</main>",
)


def _baseline_long_policy(site: LocalSite, tmp_path: Path, cfg: Config, db_url: str) -> Path:
    registry = _setup(site, tmp_path, cfg, db_url)
    site.set("/policy.html", LONG_POLICY)
    crawl(cfg, registry)
    _diff(db_url)
    return registry


def test_truncated_page_is_quarantined_not_reported_as_removed(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _baseline_long_policy(site, tmp_path, fast_config, sqlite_url)
    # The template broke: status 200, the header survives, the body is gone.
    truncated = LONG_POLICY[: LONG_POLICY.index("<h2>Policy</h2>")] + "</main></body></html>"
    site.set("/policy.html", truncated)
    crawl(fast_config, registry)
    events = _diff(sqlite_url)
    assert [(e.kind, e.significant) for e in events] == [("unavailable", False)]
    db = Database(sqlite_url)
    with db.session() as s:
        src = s.get(Source, "evergreen")
        assert src is not None and src.health == "anchors_lost"
        assert "lost most of its text" in (src.health_message or "")
    db.dispose()


def test_retired_policy_is_removed_not_quarantined(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _baseline_long_policy(site, tmp_path, fast_config, sqlite_url)
    notice = (
        "<html><head><title>Ketamine and Esketamine for Psychiatric Conditions</title></head>"
        "<body><main><h1>Ketamine and Esketamine for Psychiatric Conditions</h1>"
        "<p>This medical policy has been retired effective January 1, 2027 and is no longer "
        "used for coverage determinations.</p></main></body></html>"
    )
    site.set("/policy.html", notice)
    crawl(fast_config, registry)
    events = _diff(sqlite_url)
    assert sorted((e.kind, e.drug, e.significant) for e in events) == [
        ("removed", "esketamine", True),
        ("removed", "ketamine", True),
    ]
