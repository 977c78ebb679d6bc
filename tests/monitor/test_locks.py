"""The cross-host cycle lock, on the machine's real Redis."""

from __future__ import annotations

import os
import uuid

import pytest

from monitor.locks import cycle_lock

REDIS_URL = os.environ.get("POLICYWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("POLICYWATCH_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis required (POLICYWATCH_REQUIRE_SERVICES=1) but: {exc}")
        pytest.skip(f"Redis not available: {exc}")
    return REDIS_URL


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
