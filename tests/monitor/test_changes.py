"""The diff job end to end: real crawls of a local site, stored events, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from crawler.config import Config
from monitor.changes import NewEvent, detect_changes
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import ChangeEventRecord, Source
from tests.support.crawling import crawl, source, write_registry
from tests.support.samples import SAMPLE_HTML

STRICTER = SAMPLE_HTML.replace("at least three (3) different", "at least four (4) different")
MAINTENANCE = (
    "<html><head><title>Maintenance</title></head><body><h1>We'll be back soon</h1>"
    "<p>This site is down for scheduled maintenance. Please try again later.</p></body></html>"
)
NOISE = SAMPLE_HTML.replace("February 10, 2026", "August 3, 2026").replace(
    "&copy; 2026", "&copy; 2027"
)


def _diff(db_url: str) -> list[NewEvent]:
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


# -- the change classes of issue 9, each through a real crawl --------------------------------

ICD_TABLE = (
    "<h2>ICD-10 Codes</h2><table><tr><th>ICD-10</th><th>Description</th></tr>"
    "<tr><td>F32.2</td><td>Major depressive disorder, single episode, severe</td></tr>"
    "<tr><td>F33.2</td><td>Major depressive disorder, recurrent, severe</td></tr></table>"
)
WITH_CODES = SAMPLE_HTML.replace("<h2>Background</h2>", ICD_TABLE + "<h2>Background</h2>")
MORE_CODES = WITH_CODES.replace(
    "</td></tr></table>",
    "</td></tr><tr><td>F33.1</td><td>Major depressive disorder, recurrent, moderate</td></tr>"
    "</table>",
)


def _source_row(db_url: str) -> Source:
    db = Database(db_url)
    with db.session() as s:
        src = s.get(Source, "evergreen")
        assert src is not None
        s.expunge(src)
    db.dispose()
    return src


def test_diagnosis_code_list_expanded_is_a_criteria_change_and_billing_codes_stay_coding(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _setup(site, tmp_path, fast_config, sqlite_url)
    site.set("/policy.html", WITH_CODES)
    crawl(fast_config, registry)
    assert _diff(sqlite_url) == []
    site.set("/policy.html", MORE_CODES)
    crawl(fast_config, registry)
    (event,) = _diff(sqlite_url)
    # Ketamine is experimental in this policy: the approvable codes are esketamine's.
    assert (event.kind, event.drug, event.significant) == ("criteria_change", "esketamine", True)
    assert "diagnosis codes added F33.1" in event.summary
    site.set("/policy.html", MORE_CODES.replace("S0013", "J0013"))
    crawl(fast_config, registry)
    assert [(e.kind, e.drug) for e in _diff(sqlite_url)] == [("coding_change", "esketamine")]


ALERTS = (
    "<html><head><title>Pharmacy Alerts</title></head><body><main><h1>Pharmacy Alerts</h1>"
    "<ul><li>Dental fee schedule update for providers.</li>"
    "<li>New fax number for pharmacy claims questions.</li></ul>{more}</main></body></html>"
)
SPRAVATO_ALERT = (
    "<h2>Spravato coverage</h2><p>Spravato (esketamine) nasal spray will require prior "
    "authorization under the medical benefit.</p>"
)


def test_readable_first_version_without_the_drug_is_a_baseline_for_added(
    site: LocalSite, tmp_path: Path, fast_config: Config, db_url: str
) -> None:
    registry = _setup(site, tmp_path, fast_config, db_url)
    site.set("/policy.html", ALERTS.format(more=""))  # short, no policy number, no drug
    crawl(fast_config, registry)
    assert _diff(db_url) == []  # not an outage: a readable page
    src = _source_row(db_url)
    assert (src.health, src.consecutive_failures) == ("no_drug_content", 0)
    site.set("/policy.html", ALERTS.format(more="<p>Office closed on holidays.</p>"))
    crawl(fast_config, registry)
    assert _diff(db_url) == []  # still nothing about the drug
    site.set("/policy.html", ALERTS.format(more=SPRAVATO_ALERT))
    crawl(fast_config, registry)
    events = _diff(db_url)
    assert [(e.kind, e.drug, e.stance_after) for e in events] == [
        ("added", "esketamine", "prior_authorization")
    ]


def test_page_that_loses_its_anchors_is_still_an_outage(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _setup(site, tmp_path, fast_config, sqlite_url)
    crawl(fast_config, registry)
    _diff(sqlite_url)
    site.set("/policy.html", ALERTS.format(more=""))  # the policy became an anchorless page
    crawl(fast_config, registry)
    assert [(e.kind, e.significant) for e in _diff(sqlite_url)] == [("unavailable", False)]
    assert _source_row(sqlite_url).consecutive_failures == 1


def test_outage_over_several_fetches_is_one_event_and_every_fetch_counts_for_health(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _setup(site, tmp_path, fast_config, sqlite_url)
    crawl(fast_config, registry)
    _diff(sqlite_url)
    streak = []
    for body, status in (
        (MAINTENANCE, 200),
        (MAINTENANCE, 200),  # identical bytes: no new version, the outage goes on
        (MAINTENANCE.replace("soon", "soon!"), 200),  # a new version of the same outage
        (MAINTENANCE, 503),  # an HTTP failure in between
    ):
        site.set("/policy.html", body, status=status)
        crawl(fast_config, registry)
        streak.append(
            ([(e.kind, e.significant) for e in _diff(sqlite_url)],
             _source_row(sqlite_url).consecutive_failures)
        )  # fmt: skip
    assert streak == [([("unavailable", False)], 1), ([], 2), ([], 3), ([], 4)]
    site.set("/policy.html", STRICTER)  # back, with a real change since the last good version
    crawl(fast_config, registry)
    back = _diff(sqlite_url)
    assert [(e.kind, e.drug) for e in back] == [("criteria_change", "esketamine")]
    outage = _events_of(sqlite_url)[0]
    assert outage.kind == "unavailable"
    assert back[0].before_snapshot_id == outage.before_snapshot_id  # last good before it
    assert _source_row(sqlite_url).consecutive_failures == 0
    site.set("/policy.html", MAINTENANCE)  # a second outage, same page as the first
    crawl(fast_config, registry)
    assert [(e.kind, e.significant) for e in _diff(sqlite_url)] == [("unavailable", False)]


def _events_of(db_url: str) -> list[ChangeEventRecord]:
    db = Database(db_url)
    with db.session() as s:
        rows = list(s.scalars(select(ChangeEventRecord).order_by(ChangeEventRecord.id)))
        for r in rows:
            s.expunge(r)
    db.dispose()
    return rows


def test_redirect_with_a_criteria_change_is_moved_and_the_change(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    registry = _setup(site, tmp_path, fast_config, sqlite_url)
    crawl(fast_config, registry)
    _diff(sqlite_url)
    site.redirect("/policy.html", site.url("/new-home/policy.html"))
    site.set("/new-home/policy.html", STRICTER)
    crawl(fast_config, registry)
    events = _diff(sqlite_url)
    assert sorted((e.kind, e.drug, e.significant) for e in events) == [
        ("criteria_change", "esketamine", True),
        ("moved", "", False),
    ]
    change = next(e for e in events if e.kind == "criteria_change")
    assert "3 → 4" in change.summary and "(document also moved)" in change.summary


def test_synonymous_rewording_is_silent_and_an_investigational_flip_is_a_stance_change(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    bipolar = "<p>Esketamine nasal spray is considered investigational for bipolar depression.</p>"
    base = SAMPLE_HTML.replace("<h3>II. Ketamine</h3>", bipolar + "<h3>II. Ketamine</h3>")
    registry = _setup(site, tmp_path, fast_config, sqlite_url)
    site.set("/policy.html", base)
    crawl(fast_config, registry)
    _diff(sqlite_url)
    for old, new in (
        ("in combination with", "alongside"),
        ("alongside", "in conjunction with"),
        ("Prior authorization is required", "Prior approval is required"),
    ):
        base = base.replace(old, new)
        site.set("/policy.html", base)
        crawl(fast_config, registry)
        assert _diff(sqlite_url) == [], f"{old!r} -> {new!r} is rewording"
    flipped = base.replace(
        "is considered investigational for bipolar depression",
        "is considered medically necessary for bipolar depression",
    )
    site.set("/policy.html", flipped)
    crawl(fast_config, registry)
    events = _diff(sqlite_url)
    assert [(e.kind, e.drug) for e in events] == [("stance_change", "esketamine")]


def test_undeclared_utf8_page_is_read_with_its_brand_name(
    site: LocalSite, tmp_path: Path, fast_config: Config, sqlite_url: str
) -> None:
    from monitor.extraction_jobs import stored_extraction
    from storage.models import Snapshot

    registry = _setup(site, tmp_path, fast_config, sqlite_url)
    page = SAMPLE_HTML.replace('<meta charset="utf-8">', "").replace(
        "Esketamine nasal spray (Spravato) is", "SPRAVATO\u00ae (esketamine) nasal spray is"
    )
    site.set("/policy.html", page.encode("utf-8"), content_type="text/html")
    crawl(fast_config, registry)
    db = Database(sqlite_url)
    with db.session() as s:
        snap = s.scalars(select(Snapshot)).one()
        ext = stored_extraction(s, snap.id)
    db.dispose()
    assert ext is not None and ext.outcome == "ok"
    texts = [c.text for c in ext.clauses if c.drug == "esketamine"]
    assert any(t.startswith("SPRAVATO\u00ae (esketamine) nasal spray is") for t in texts)
