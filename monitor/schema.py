"""The JSON of policywatch's objects: one shape per object, for every --json and every file.

An *event*, a *source*, a *snapshot* and a *run* look the same wherever they are printed
(`changes --json`, `/api/changes`, `changes.json`, `health --json`, `history --json` ...):
the same keys, always present (null when unknown), timestamps in ISO-8601 UTC ending in
``Z``. Documents carry ``schema_version``; it changes only when a key is renamed, removed or
changes meaning (new keys may appear without a new version). README "JSON output" lists
the keys.

The serializers read attributes, so ORM rows, the report's plain views and registry entries
all go through the same function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

SCHEMA_VERSION = 2  # 1: changes.json before the shapes were unified

SOURCE_KEYS = (
    "id",
    "payer",
    "plan_type",
    "state",
    "document_type",
    "title",
    "url",
    "format",
    "enabled",
    "drugs",
    "found_via",
    "verified",
    "notes",
    "registry_file",
    "problem",
    "health",
    "health_message",
    "consecutive_failures",
    "last_error_kind",
    "last_error",
    "last_checked_at",
    "last_success_at",
)
SNAPSHOT_KEYS = (
    "id",
    "source_id",
    "fetched_at",
    "sha256",
    "size",
    "requested_url",
    "final_url",
    "http_status",
    "content_type",
    "etag",
    "last_modified",
    "redirects",
    "archive_href",
)
EVENT_KEYS = (
    "id",
    "source_id",
    "kind",
    "drug",
    "significant",
    "stance_before",
    "stance_after",
    "summary",
    "effective_date",
    "detected_at",
    "review_status",
    "review_note",
    "review_summary",
    "reviewed_at",
    "differ_version",
    "before_snapshot_id",
    "after_snapshot_id",
    "source",
    "before",
    "after",
    "detail",
)
RUN_KEYS = (
    "id",
    "status",
    "started_at",
    "finished_at",
    "sources",
    "new_versions",
    "unchanged",
    "failed",
    "failures",
    "missing",
    "fetches",
)


def timestamp(value: datetime | date | str | None) -> str | None:
    """ISO-8601 in UTC with a ``Z``, to the second; naive datetimes are stored UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _pick(obj: Any, keys: Iterable[str], aliases: Mapping[str, str] = {}) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        value = getattr(obj, key, None)
        if value is None and key in aliases:
            value = getattr(obj, aliases[key], None)
        out[key] = timestamp(value) if isinstance(value, datetime | date) else value
    return out


def source_json(src: Any, *, problem: str | None = None) -> dict[str, Any]:
    """A watched document: registry facts, and its health where the database knows it."""
    data = _pick(src, SOURCE_KEYS, {"registry_file": "origin"})
    if data["enabled"] is None:
        data["enabled"] = True
    data["drugs"] = list(data["drugs"]) if data["drugs"] is not None else None
    for key in ("found_via", "verified", "notes", "registry_file"):
        data[key] = data[key] or None  # the registry's "" means "not said"
    data["problem"] = problem
    return data


def snapshot_json(snap: Any, *, archive_href: str | None = None) -> dict[str, Any]:
    """One archived version. ``archive_href``: where a report exported its bytes."""
    data = _pick(snap, SNAPSHOT_KEYS, {"id": "snapshot_id", "final_url": "url"})
    data["redirects"] = list(data["redirects"] or [])
    data["archive_href"] = archive_href
    return data


def event_json(
    event: Any, source: Any, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, Any]:
    """One change event, with its source and both compared versions (snapshot objects)."""
    data = _pick(event, EVENT_KEYS)
    data["drug"] = data["drug"] or None  # stored "" when an event is about no one drug
    data["source_id"] = data["source_id"] or getattr(source, "id", None)
    data["before_snapshot_id"] = before["id"] if before else data["before_snapshot_id"]
    data["after_snapshot_id"] = after["id"] if after else data["after_snapshot_id"]
    data["source"] = source_json(source)
    data["before"] = before
    data["after"] = after
    data["detail"] = dict(data["detail"] or {})
    data["differ_version"] = data["differ_version"] or None
    return data


def run_json(summary: Any, *, fetches: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One crawl run: counts, failures, sources not fetched, and per source when asked."""
    data = _pick(summary, RUN_KEYS, {"id": "run_id"})
    data["failures"] = list(data["failures"] or [])
    data["missing"] = list(data["missing"] or [])
    data["fetches"] = fetches
    return data


def document(key: str, items: Any, **extra: Any) -> dict[str, Any]:
    """A JSON document: ``schema_version``, then the objects under ``key``, then ``extra``."""
    return {"schema_version": SCHEMA_VERSION, **extra, key: items}
