"""A registry far larger than one statement's parameter limit, and a diff job in batches.

PostgreSQL refuses statements with more than 65,535 parameters (SQLite: 32,766): every query
that filters by source must stay bounded however many sources there are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text

from monitor.change_list import list_events
from monitor.changes import detect_changes, run_diff
from monitor.extraction_jobs import reextract
from storage.db import Database
from storage.models import ChangeEventRecord, Quarantine, Snapshot, Source
from storage.repo import latest_snapshots, sync_sources
from tests.monitor.scale_data import add_sources, add_versions, mark_all_diffed, source_id
from tests.support.databases import PG_ADMIN_URL
from tests.support.samples import SAMPLE_HTML

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 7, 1, tzinfo=UTC)
BIG = 100_000
CHANGED = 3  # sources with a new version to diff among the BIG
STRICTER = SAMPLE_HTML.replace("at least three (3) different", "at least four (4) different")
NOISE = SAMPLE_HTML.replace("February 10, 2026", "August 3, 2026")
MAINTENANCE = (
    "<html><head><title>Maintenance</title></head><body><h1>We'll be back soon</h1>"
    "<p>This site is down for scheduled maintenance. Please try again later.</p></body></html>"
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def big_registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[str]]]:
    """A database of BIG sources, each with a diffed version; CHANGED of them got a new one."""
    admin: Any = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('big') / 'big.sqlite'}"
    else:
        request.getfixturevalue("pg_server")  # skips when PostgreSQL is not running
        name = f"pw_big_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    with db.session() as s:
        ids = add_sources(s, BIG)
        add_versions(s, ids, [SAMPLE_HTML])
        mark_all_diffed(s)
        add_versions(s, ids[:CHANGED], [STRICTER], first_day=1)
    db.dispose()
    yield url, ids
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_latest_snapshots_of_every_source_of_a_big_registry(
    big_registry: tuple[str, list[str]],
) -> None:
    url, ids = big_registry
    db = Database(url)
    with db.session() as s:
        latest = latest_snapshots(s, ids)
        newest_changed = s.scalar(select(func.max(Snapshot.id)).where(Snapshot.source_id == ids[0]))
        unchanged_sha = s.scalar(select(Snapshot.sha256).where(Snapshot.source_id == ids[-1]))
    db.dispose()
    assert len(latest) == BIG
    assert latest[ids[0]].snapshot_id == newest_changed
    assert latest[ids[-1]].sha256 == unchanged_sha
    assert latest[ids[0]].sha256 != unchanged_sha


def test_diff_job_over_every_source_of_a_big_registry(
    big_registry: tuple[str, list[str]],
) -> None:
    url, ids = big_registry
    db = Database(url)
    with db.session() as s:
        stats = detect_changes(s, source_ids=ids, now=NOW)
        found = sorted((e.source_id, e.kind, e.drug) for e in stats.events)
    assert not stats.errors
    assert stats.sources == CHANGED  # only the sources with an undiffed version were read
    assert found == [(source_id(i), "criteria_change", "esketamine") for i in range(CHANGED)]
    # The committed job over all sources finds nothing more: every source is diffed.
    again = run_diff(db, source_ids=ids, now=NOW)
    assert (again.sources, again.events, again.errors) == (0, [], [])
    db.dispose()


def test_change_listing_filtered_by_every_source_of_a_big_registry(
    big_registry: tuple[str, list[str]],
) -> None:
    url, ids = big_registry
    db = Database(url)
    with db.session() as s:
        detect_changes(s, now=NOW)  # idempotent: events exist after the test above
        listed = list_events(s, source_ids=ids)
        none = list_events(s, source_ids=ids[CHANGED:])
    db.dispose()
    assert sorted(e["source_id"] for e in listed) == [source_id(i) for i in range(CHANGED)]
    assert none == []


def test_reextract_filtered_by_more_ids_than_a_statement_may_bind(
    big_registry: tuple[str, list[str]],
) -> None:
    url, ids = big_registry
    # 70,000 ids, all but CHANGED of them unknown: the filter is bigger than PostgreSQL's limit
    # of 65,535 parameters, the work is only the CHANGED sources' two versions each.
    wanted = ids[:CHANGED] + [f"gone-{i}" for i in range(70_000)]
    seen: list[int] = []
    db = Database(url)
    with db.session() as s:
        counts = reextract(s, now=NOW, source_ids=wanted, on_progress=lambda i, _: seen.append(i))
    db.dispose()
    assert counts["snapshots"] == 2 * CHANGED and counts["damaged"] == 0
    assert seen == list(range(1, 2 * CHANGED + 1))


# -- batches: the same results whatever the batch size -----------------------------------------

HISTORIES: dict[int, list[list[str]]] = {
    # source index: bodies of round 1, bodies of round 2 (diffed after each round)
    0: [[SAMPLE_HTML, STRICTER], [SAMPLE_HTML, STRICTER]],  # flips back and forth
    1: [[SAMPLE_HTML, MAINTENANCE], [MAINTENANCE + " ", NOISE]],  # an outage, then back
    2: [[SAMPLE_HTML], [NOISE]],  # noise only
    3: [[MAINTENANCE], [SAMPLE_HTML]],  # down from the start
    4: [[SAMPLE_HTML], []],  # never changes
    5: [[], [STRICTER]],  # first version in round 2
    6: [[], []],  # never fetched
    7: [[STRICTER, SAMPLE_HTML], [SAMPLE_HTML + "<!-- -->"]],
}


State = dict[str, list[tuple[Any, ...]]]


def _build_and_diff(url: str, diff: Callable[[Database], Any]) -> State:
    """Two rounds of new versions, the diff job after each; what the database then holds."""
    db = Database(url)
    with db.session() as s:
        add_sources(s, len(HISTORIES))
    for rnd in (0, 1):
        with db.session() as s:
            for i, rounds in HISTORIES.items():
                add_versions(s, [source_id(i)], rounds[rnd], first_day=rnd * 5)
        diff(db)
    db.dispose()
    return _state(url)


def _state(url: str) -> State:
    db = Database(url)
    with db.session() as s:
        state: State = {
            "events": [
                (
                    e.source_id,
                    e.before_snapshot_id,
                    e.after_snapshot_id,
                    e.kind,
                    e.drug,
                    e.significant,
                    e.review_status,
                    e.stance_before,
                    e.stance_after,
                    e.summary,
                )
                for e in s.scalars(select(ChangeEventRecord).order_by(ChangeEventRecord.id))
            ],
            "quarantined": [
                (q.snapshot_id, q.reason)
                for q in s.scalars(select(Quarantine).order_by(Quarantine.snapshot_id))
            ],
            "sources": [
                (r.id, r.last_diffed_snapshot_id, r.health, r.health_message, r.last_error_kind)
                for r in s.scalars(select(Source).order_by(Source.id))
            ],
        }
    db.dispose()
    return state


def test_diff_results_do_not_depend_on_the_batch_size(tmp_path: Path) -> None:
    now = NOW

    def in_session(batch: int) -> Callable[[Database], None]:
        def diff(db: Database) -> None:
            with db.session() as s:
                detect_changes(s, now=now, batch_size=batch)

        return diff

    one = _build_and_diff(
        f"sqlite:///{tmp_path / 'one.sqlite'}", lambda db: run_diff(db, now=now, batch_size=1)
    )
    large = _build_and_diff(
        f"sqlite:///{tmp_path / 'large.sqlite'}",
        lambda db: run_diff(db, now=now, batch_size=1000),
    )
    session3 = _build_and_diff(f"sqlite:///{tmp_path / 's3.sqlite'}", in_session(3))
    assert one == large == session3
    kinds = {e[3] for e in one["events"]}
    assert {"criteria_change", "unavailable"} <= kinds  # the histories exercised the diff
    assert any(e[6] == "flapping" for e in one["events"])
    assert one["quarantined"]

    # A rebuild, one source per batch, recomputes the same verdicts and stores no duplicates.
    db = Database(f"sqlite:///{tmp_path / 'one.sqlite'}")
    rebuilt = run_diff(db, now=now, rebuild=True, batch_size=1)
    db.dispose()
    assert rebuilt.events == [] and not rebuilt.errors
    assert _state(f"sqlite:///{tmp_path / 'one.sqlite'}") == one


def _statements_of_unchanged_diff(url: str, sources: int) -> int:
    db = Database(url)
    with db.session() as s:
        ids = add_sources(s, sources)
        add_versions(s, ids, [SAMPLE_HTML])
        mark_all_diffed(s)
    issued: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: issued.append(args[2]))
    stats = run_diff(db, now=NOW, source_ids=ids)
    db.dispose()
    assert (stats.sources, stats.events) == (0, [])
    return len(issued)


def test_unchanged_diff_costs_the_same_queries_at_any_registry_size(tmp_path: Path) -> None:
    small = _statements_of_unchanged_diff(f"sqlite:///{tmp_path / 'small.sqlite'}", 10)
    large = _statements_of_unchanged_diff(f"sqlite:///{tmp_path / 'large.sqlite'}", 3000)
    assert small == large


def test_registry_sync_in_slices_inserts_and_updates_every_entry(tmp_path: Path) -> None:
    def entry(i: int, **changed: str) -> SimpleNamespace:
        values = {
            "id": source_id(i),
            "payer": f"Payer {i % 7}",
            "plan_type": "commercial",
            "state": "US",
            "document_type": "drug_policy",
            "title": f"Policy {i}",
            "url": f"https://example.org/{i}.html",
            "format": None,
            "enabled": True,
        }
        return SimpleNamespace(**{**values, **changed})

    db = Database(f"sqlite:///{tmp_path / 'sync.sqlite'}")
    registry = [entry(i) for i in range(2500)]  # more entries than one slice
    with db.session() as s:
        assert sync_sources(s, registry) == 2500
    registry[10] = entry(10, url="https://example.org/moved.html")
    registry[2400] = entry(2400, title="Renamed", payer="Other")
    with db.session() as s:
        assert sync_sources(s, [*registry, entry(2500)]) == 4  # 3 fields edited, 1 added
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Source)) == 2501
        moved = s.get(Source, source_id(10))
        renamed = s.get(Source, source_id(2400))
        assert moved is not None and moved.url == "https://example.org/moved.html"
        assert renamed is not None and (renamed.title, renamed.payer) == ("Renamed", "Other")
    db.dispose()


def test_diff_command_prints_the_new_events_as_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    with Database(url) as db, db.session() as s:
        ids = add_sources(s, 3)
        add_versions(s, ids, [SAMPLE_HTML])
        mark_all_diffed(s)
        add_versions(s, ids[:1], [STRICTER], first_day=1)
        add_versions(s, ids[1:2], [MAINTENANCE], first_day=1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "monitor.cli", "diff", "--db", url, "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["versions"] == 2
    found = [(e["source_id"], e["kind"], e["source"]["payer"]) for e in doc["events"]]
    assert found == [(ids[0], "criteria_change", "Payer 0"), (ids[1], "unavailable", "Payer 1")]
    assert doc["events"][0]["after_snapshot_id"] > doc["events"][0]["before_snapshot_id"]
