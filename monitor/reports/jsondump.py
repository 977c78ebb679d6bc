"""JSON of the events with everything: source, both snapshots (with archive links), detail."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from monitor.reports.archive import Links
from monitor.reports.model import EventView, Period, VersionRef

SCHEMA_VERSION = 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _version(ref: VersionRef | None, links: Links) -> dict[str, Any] | None:
    if ref is None:
        return None
    data = asdict(ref)
    data["fetched_at"] = _iso(ref.fetched_at)
    data["archive_href"] = links.snapshot(ref)
    return data


def event_dict(ev: EventView, links: Links) -> dict[str, Any]:
    source = asdict(ev.source)
    source["last_checked_at"] = _iso(ev.source.last_checked_at)
    return {
        "id": ev.id,
        "kind": ev.kind,
        "drug": ev.drug,
        "significant": ev.significant,
        "stance_before": ev.stance_before,
        "stance_after": ev.stance_after,
        "summary": ev.summary,
        "effective_date": ev.effective_date,
        "detected_at": _iso(ev.detected_at),
        "review_status": ev.review_status,
        "review_note": ev.review_note,
        "differ_version": ev.differ_version,
        "source": source,
        "before": _version(ev.before, links),
        "after": _version(ev.after, links),
        "detail": ev.detail,
    }


def render_events_json(events: Sequence[EventView], period: Period, links: Links) -> str:
    """Every event of the period (significant and operator), newest first."""
    return "".join(iter_events_json(events, period, links))


def iter_events_json(
    events: Sequence[EventView],
    period: Period,
    links: Links,
    *,
    details: Callable[[Sequence[EventView]], Sequence[EventView]] = list,
    batch: int = 500,
) -> Iterator[str]:
    """``render_events_json``'s text in pieces: events are given their detail (``details``)
    and encoded a batch at a time, so memory holds one batch, not the whole document."""
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(period.generated_at),
        "since": _iso(period.since),
        "until": _iso(period.until),
        "significant": sum(1 for e in events if e.significant),
        "awaiting_review": period.awaiting_review,
        "message": None
        if any(e.significant for e in events)
        else "no coverage changes in this period",
        "events": [],
    }
    head = json.dumps(doc, indent=2, ensure_ascii=False)
    if not events:
        yield head + "\n"
        return
    # "events" is the last key: its empty list is where the events go, as json.dumps would
    # lay them out (two levels deep, so every line of an event is indented four spaces).
    assert head.endswith('"events": []\n}')
    yield head[: -len("]\n}")] + "\n"
    for start in range(0, len(events), batch):
        chunk = details(events[start : start + batch])
        yield ",\n".join(
            textwrap.indent(json.dumps(event_dict(e, links), indent=2, ensure_ascii=False), "    ")
            for e in chunk
        )
        yield ",\n" if start + batch < len(events) else "\n  ]\n}\n"
