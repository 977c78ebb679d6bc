"""One JSON shape per object, whichever command or file prints it (monitor/schema.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.schema import EVENT_KEYS, SCHEMA_VERSION, SNAPSHOT_KEYS, SOURCE_KEYS
from tests.cli.helpers import pw

UTC_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    where = tmp_path_factory.mktemp("schema") / "demo"
    result = pw("demo", "--dir", str(where))
    assert result.returncode == 0, result.stderr
    return f"sqlite:///{where / 'demo.sqlite'}"


def _json(*args: str) -> dict[str, Any]:
    result = pw(*args)
    assert result.returncode in (0, 1), result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    assert doc["schema_version"] == SCHEMA_VERSION
    return doc


def _timestamps(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_at"):
                yield key, item
            yield from _timestamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from _timestamps(item)


def _check_event(event: dict[str, Any]) -> None:
    assert tuple(event) == EVENT_KEYS
    assert tuple(event["source"]) == SOURCE_KEYS
    for side in ("before", "after"):
        if event[side] is not None:
            assert tuple(event[side]) == SNAPSHOT_KEYS
    assert event["after"]["id"] == event["after_snapshot_id"]


def test_events_are_the_same_in_changes_json_and_the_report_file(
    demo_db: str, tmp_path: Path
) -> None:
    listed = _json("changes", "--all", "--json", "--db", demo_db)["events"]
    assert listed
    for event in listed:
        _check_event(event)
    report = tmp_path / "changes.json"
    config = tmp_path / "policywatch.toml"
    config.write_text("[publish]\nrequire_review = false\n")
    written = pw("report", "--format", "json", "--out", str(report), "--db", demo_db,
                 "--config", str(config))  # fmt: skip
    assert written.returncode == 0, written.stderr
    doc = json.loads(report.read_text())
    assert doc["schema_version"] == SCHEMA_VERSION
    in_file = {e["id"]: e for e in doc["events"]}
    assert set(in_file) == {e["id"] for e in listed}
    for event in listed:
        from_file = in_file[event["id"]]
        _check_event(from_file)
        # Identical but for where the report exported each version's bytes.
        for side in ("before", "after"):
            if from_file[side] is not None:
                assert from_file[side].pop("archive_href")
                event[side].pop("archive_href")
        assert from_file == event


def test_sources_and_snapshots_have_one_shape(demo_db: str) -> None:
    health = _json("health", "--all", "--json", "--db", demo_db)["sources"]
    registry = _json("sources", "list", "--json")["sources"]
    assert health and registry
    assert {tuple(s) for s in health} == {tuple(s) for s in registry} == {SOURCE_KEYS}
    source_id = health[0]["id"]
    history = _json("history", source_id, "--json", "--db", demo_db)
    assert tuple(history["source"]) == SOURCE_KEYS and history["source"]["id"] == source_id
    assert {tuple(s) for s in history["snapshots"]} == {SNAPSHOT_KEYS}
    first = history["snapshots"][0]
    shown = _json("show", str(first["id"]), "--json", "--db", demo_db)
    assert shown["snapshot"] == first


def test_every_timestamp_is_iso_8601_utc(demo_db: str, tmp_path: Path) -> None:
    docs = [
        _json("changes", "--all", "--json", "--db", demo_db),
        _json("health", "--all", "--json", "--db", demo_db),
        _json("history", "demo-columbia-pdl", "--json", "--db", demo_db),
        _json("users", "list", "--json", "--db", demo_db),
    ]
    stamps = [(k, v) for doc in docs for k, v in _timestamps(doc)]
    assert any(v for _, v in stamps)
    assert [(k, v) for k, v in stamps if v is not None and not UTC_STAMP.match(v)] == []
