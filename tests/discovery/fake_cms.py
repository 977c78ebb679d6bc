"""A local stand-in for api.coverage.cms.gov on 127.0.0.1, behaving like the real API.

- report endpoints page their rows ``page_size`` at a time, ``meta.next_token`` naming the next
  page (empty on the last one); they need no token;
- ``/v1/metadata/license-agreement`` issues a fresh token each call, valid ``token_ttl`` seconds;
- ``/v1/data/article`` and ``/v1/data/lcd`` answer 401 without a valid, unexpired bearer token,
  and 200 with ``data: []`` for an id they do not know.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CMS_FIXTURES = Path(__file__).parent.parent / "fixtures" / "discovery" / "cms"

REPORTS = {
    "/v1/reports/local-coverage-articles/": "local-coverage-articles.json",
    "/v1/reports/local-coverage-final-lcds/": "local-coverage-final-lcds.json",
}
DETAILS = {
    ("article", "59250"): "article-59250.json",
    ("article", "57130"): "article-57130.json",
    ("article", "52800"): "article-52800.json",
    ("article", "58800"): "article-58800.json",
    ("lcd", "33398"): "lcd-33398.json",
}


def _meta(**extra: Any) -> dict[str, Any]:
    return {"status": {"id": 200, "message": "OK"}, "notes": "", "fields": [], **extra}


class FakeCmsApi:
    def __init__(
        self, page_size: int = 3, token_ttl: float = 3600.0, expire_after: int | None = None
    ) -> None:
        self.page_size = page_size
        self.token_ttl = token_ttl
        # Expire every token after this many authorised detail answers: a token running out
        # mid-crawl, without depending on timing.
        self.expire_after = expire_after
        self.served = 0
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.requests: list[tuple[str, str | None]] = []  # (path?query, Authorization)
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.api = self  # type: ignore[attr-defined]
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return f"http://{self.netloc}{path}"

    def hits(self, prefix: str) -> list[tuple[str, str | None]]:
        with self.lock:
            return [r for r in self.requests if r[0].startswith(prefix)]

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = {t: 0.0 for t in self.tokens}

    def __enter__(self) -> FakeCmsApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- behaviour -------------------------------------------------------------------------
    def answer(self, path: str, query: dict[str, list[str]], auth: str | None) -> tuple[int, Any]:
        if path == "/v1/metadata/license-agreement":
            token = uuid.uuid4().hex
            with self.lock:
                self.tokens[token] = time.monotonic() + self.token_ttl
            return 200, {"meta": _meta(), "data": [{"Token": token}]}
        if path in REPORTS:
            doc = json.loads((CMS_FIXTURES / REPORTS[path]).read_text())
            start = int(query.get("next_token", ["0"])[0])
            rows = doc["data"][start : start + self.page_size]
            more = start + self.page_size < len(doc["data"])
            doc["data"] = rows
            doc["meta"]["next_token"] = str(start + self.page_size) if more else ""
            return 200, doc
        if path in ("/v1/data/article", "/v1/data/lcd"):
            token = (auth or "").removeprefix("Bearer ")
            with self.lock:
                valid = self.tokens.get(token, 0.0) > time.monotonic()
            if not valid:
                return 401, {"meta": {"status": {"id": 401, "message": "Unauthorized"}}, "data": []}
            with self.lock:
                self.served += 1
                if self.expire_after is not None and self.served % self.expire_after == 0:
                    self.tokens = {t: 0.0 for t in self.tokens}
            kind = path.rsplit("/", 1)[1]
            doc_id = query.get(f"{kind}id", [""])[0]
            name = DETAILS.get((kind, doc_id))
            if name is None:  # the real API: unknown id -> 200 with no records
                return 200, {"meta": _meta(notes="0 records"), "data": []}
            return 200, json.loads((CMS_FIXTURES / name).read_text())
        return 404, {"meta": {"status": {"id": 404, "message": "Not Found"}}, "data": []}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        api: FakeCmsApi = self.server.api  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        auth = self.headers.get("Authorization")
        with api.lock:
            api.requests.append((self.path, auth))
        if parts.path == "/robots.txt":
            body, status, ctype = b"User-agent: *\nDisallow:\n", 200, "text/plain"
        else:
            status, doc = api.answer(parts.path, parse_qs(parts.query), auth)
            body, ctype = json.dumps(doc).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
