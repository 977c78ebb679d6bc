"""The publish gate: which events reports may carry, and how many wait for an analyst."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.reports.model import EventView


def awaiting_review(events: Sequence[EventView]) -> int:
    """Significant changes nobody has confirmed or dismissed yet."""
    return sum(1 for e in events if e.significant and e.review_status == "new")


def publishable(events: Sequence[EventView], *, require_review: bool) -> list[EventView]:
    """With ``require_review``, significant changes appear only once an analyst confirmed them.

    Operator events (moves, outages, coding) are not news and pass either way.
    """
    if not require_review:
        return list(events)
    return [e for e in events if not e.significant or e.review_status == "confirmed"]
