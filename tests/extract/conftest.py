"""Fixtures for extraction tests: the project's own saved documents."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extract"
HERE = Path(__file__).resolve().parent


def load_cases(name: str) -> Any:
    with (HERE / name).open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
