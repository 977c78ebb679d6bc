"""The cross-host cycle lock, on the machine's real Redis."""

from __future__ import annotations

import uuid

from monitor.locks import cycle_lock


def test_only_one_holder_at_a_time_and_release_frees_it(redis_url: str) -> None:
    name = f"policywatch:test:{uuid.uuid4().hex}"
    with cycle_lock(redis_url, ttl=30, name=name) as first:
        assert first
        with cycle_lock(redis_url, ttl=30, name=name) as second:
            assert not second
    with cycle_lock(redis_url, ttl=30, name=name) as after_release:
        assert after_release


def test_no_lock_configured_always_runs() -> None:
    with cycle_lock("", ttl=1) as mine:
        assert mine
