"""changes.json: the events with their source and both snapshots (archive links), detail.

The shapes are monitor.schema's, the same as `policywatch changes --json`.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from monitor.reports.archive import Links
from monitor.reports.model import EventView, Period, VersionRef
from monitor.schema import document, event_json, snapshot_json, timestamp


def event_dict(ev: EventView, links: Links) -> dict[str, Any]:
    data = event_json(ev, ev.source, _version(ev.before, links), _version(ev.after, links))
    # As stored, like every other JSON of an event; the edited wording is review_summary.
    data["summary"] = ev.detected_summary or ev.summary
    return data


def _version(ref: VersionRef | None, links: Links) -> dict[str, Any] | None:
    if ref is None:
        return None
    return snapshot_json(ref, archive_href=links.snapshot(ref))


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
    doc = document(
        "events",
        [],
        generated_at=timestamp(period.generated_at),
        since=timestamp(period.since),
        until=timestamp(period.until),
        significant=sum(1 for e in events if e.significant),
        awaiting_review=period.awaiting_review,
        message=None
        if any(e.significant for e in events)
        else "no coverage changes in this period",
    )
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
