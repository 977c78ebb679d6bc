"""Shared pieces for discovery tests: fixtures on disk, index sources, the fake CMS API."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.registry import PolicySource
from tests.discovery.fake_cms import FakeCmsApi

DISCOVERY_FIXTURES = Path(__file__).parent.parent / "fixtures" / "discovery"
CASES: list[dict[str, Any]] = tomllib.loads((DISCOVERY_FIXTURES / "cases.toml").read_text())["case"]


def index_source(sid: str, url: str, **extra: Any) -> PolicySource:
    values: dict[str, Any] = {
        "payer": "Example Health",
        "plan_type": "commercial",
        "state": "US",
        "document_type": "index",
        "title": f"Index {sid}",
    }
    values.update(extra)
    return PolicySource(id=sid, url=url, **values)


@pytest.fixture
def cms_api() -> Iterator[FakeCmsApi]:
    with FakeCmsApi() as api:
        yield api
