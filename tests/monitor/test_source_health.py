"""The one rule for "a source needs an operator", as health, the ops page and notify apply it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.source_health import source_problem
from storage.models import Source

CHECKED = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _source(**state: Any) -> Source:
    row = Source(id="s-1", url="https://payer.example/p", consecutive_failures=0, health="ok")
    row.last_checked_at = CHECKED
    for key, value in state.items():
        setattr(row, key, value)
    return row


@pytest.mark.parametrize(
    ("state", "kind", "summary", "announced_at_3"),
    [
        ({}, None, None, False),
        ({"last_checked_at": None}, "never_crawled", "never crawled", False),
        ({"consecutive_failures": 2, "last_error_kind": "timeout"}, "failing", "2× timeout", False),
        ({"consecutive_failures": 3, "last_error_kind": "dns"}, "failing", "3× dns", True),
        ({"consecutive_failures": 1, "last_error_kind": "robots"}, "robots", "1× robots", True),
        (
            {"consecutive_failures": 4, "last_error_kind": "maintenance", "health": "maintenance"},
            "quarantined",
            "quarantined: maintenance (4 fetches in a row)",
            False,  # its `unavailable` event tells operators, once per outage
        ),
        ({"health": "login_wall"}, "quarantined", "quarantined: login_wall", False),
        ({"health": "no_drug_content"}, None, None, False),
    ],
    ids=["healthy", "never", "below", "at-threshold", "robots", "outage", "quarantined", "no-drug"],
)
def test_source_problem(
    state: dict[str, Any], kind: str | None, summary: str | None, announced_at_3: bool
) -> None:
    problem = source_problem(_source(**state))
    assert (problem.kind, problem.summary) == (kind, summary) if problem else kind is None
    assert (problem is not None and problem.announce(3)) == announced_at_3
