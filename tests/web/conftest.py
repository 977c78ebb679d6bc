"""The workspace on a real uvicorn (127.0.0.1) over a copy of the demo's crawled database."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn

from crawler.config import Config
from monitor.web.accounts import add_user, issue_token
from monitor.web.app import create_app
from storage.db import Database
from tests.support.databases import private_copy

PASSWORD = "correct horse battery"
ROLES = {"ana": "analyst", "vic": "viewer", "ops": "operator", "adm": "admin"}


@dataclass
class Served:
    url: str
    db: Database
    tokens: dict[str, str]

    def __call__(self, path: str) -> str:
        return self.url + path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve_app(db: Database, tmp_path: Path) -> Iterator[Served]:
    """uvicorn in a thread over ``db``, one user per role, each with an API token."""
    tokens = {}
    with db.session() as s:
        for name, role in ROLES.items():
            add_user(s, name, role, PASSWORD, now=datetime.now(UTC))
            tokens[name] = issue_token(s, name)
    cfg = Config()
    cfg.database = db.url
    cfg.extra_sources = [str(tmp_path / "accepted.toml")]
    app = create_app(db, cfg, secret="test-secret")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", db, tokens)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def served(demo_db: Path, tmp_path: Path) -> Iterator[Served]:
    """The workspace over a private copy of the demo database (two crawled rounds)."""
    with private_copy(demo_db, tmp_path / "web.sqlite") as db, serve_app(db, tmp_path) as running:
        yield running
