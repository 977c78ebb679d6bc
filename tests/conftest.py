"""Shared fixtures: a real local HTTP site, real databases (SQLite file and PostgreSQL), Redis.

The helpers behind them are in ``tests/support/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.config import Config
from monitor.sites.localsite import LocalSite
from storage.db import Database
from tests.support.databases import (
    REQUIRE_SERVICES,
    crawl_demo,
    pg_problem,
    private_copy,
    reset_pg,
    throwaway_pg_database,
)

REDIS_URL = os.environ.get("POLICYWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep tests out of the user's data directory (default database, logs, reports) and away
    from any config file of the machine (~/.config/policywatch, /etc/policywatch)."""
    home = tmp_path_factory.mktemp("policywatch-home")
    isolated = {
        "POLICYWATCH_HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "POLICYWATCH_SYSTEM_CONFIG_DIR": str(home / "etc"),
    }
    old = {name: os.environ.get(name) for name in isolated}
    os.environ.update(isolated)
    yield home
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session; its URL."""
    problem = pg_problem()
    if problem:
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL required (POLICYWATCH_REQUIRE_SERVICES=1) but: {problem}")
        pytest.skip(f"PostgreSQL not available: {problem}")
    with throwaway_pg_database("pw_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test runs on a SQLite file and on the machine's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pw.sqlite'}"
    url: str = request.getfixturevalue("pg_server")
    reset_pg(url)
    return url


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same dialect as ``db_url``, to restore into."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    with throwaway_pg_database("pw_restore") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pw.sqlite'}"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database after round 1 (baseline) and round 2 (changes, noise, an outage)."""
    return crawl_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Iterator[Database]:
    """This test's own copy of the demo database."""
    with private_copy(demo_db, tmp_path / "copy.sqlite") as database:
        yield database


@pytest.fixture
def redis_url() -> str:
    """The machine's Redis (database 15 unless $POLICYWATCH_TEST_REDIS says otherwise)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis required (POLICYWATCH_REQUIRE_SERVICES=1) but: {exc}")
        pytest.skip(f"Redis not available: {exc}")
    return REDIS_URL


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


@pytest.fixture
def fast_config() -> Config:
    """Crawl settings for a local server: no politeness delay, quick backoff."""
    cfg = Config()
    cfg.crawl.download_delay = 0.0
    cfg.crawl.timeout = 5.0
    cfg.crawl.retries = 1
    return cfg


FIXTURES = Path(__file__).parent / "fixtures"
