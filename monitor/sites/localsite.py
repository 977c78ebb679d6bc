"""A real HTTP server on 127.0.0.1 whose pages can be changed between crawls.

Used by ``policywatch demo``, ``policywatch evaluate``, the benchmarks and the tests: it answers
conditional requests (ETag / Last-Modified → 304), redirects, errors, Retry-After and robots.txt
like a real site, so the crawler is exercised end to end without touching the internet.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Page:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None  # for redirects
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True  # send ETag / Last-Modified and honour conditional requests
    delay: float = 0.0  # seconds before answering (timeouts)
    fail_times: int = 0  # answer ``fail_status`` this many times, then serve the page
    fail_status: int = 503
    modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


class _Handler(BaseHTTPRequestHandler):
    server: LocalSite.Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests and the demo print their own summaries

    def do_GET(self) -> None:
        site = self.server.site
        path = self.path.split("#", 1)[0]
        with site.lock:
            site.requests.append((path, dict(self.headers.items())))
            site.arrivals.append(time.monotonic())
            page = site.pages.get(path) or site.pages.get(path.split("?", 1)[0])
        if page is None:
            self._send(404, b"<html><body><h1>Not found</h1></body></html>", "text/html")
            return
        if page.delay:
            with site.lock:
                site.active += 1
                site.max_active = max(site.max_active, site.active)
            time.sleep(page.delay)
            with site.lock:
                site.active -= 1
        if page.fail_times > 0:
            with site.lock:
                page.fail_times -= 1
            self._send(page.fail_status, b"temporarily failing", "text/plain", page.headers)
            return
        if page.location is not None:
            self._send(page.status, b"", "text/plain", {"Location": page.location})
            return
        headers = dict(page.headers)
        if page.validators:
            headers["ETag"] = page.etag
            headers["Last-Modified"] = formatdate(page.modified, usegmt=True)
            if self.headers.get("If-None-Match") == page.etag:
                self._send(304, b"", None, headers)
                return
        self._send(page.status, page.body, page.content_type, headers)

    def _send(
        self, status: int, body: bytes, ctype: str | None, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304 and body:
            self.wfile.write(body)


class LocalSite:
    """A threaded HTTP server with a mutable page table; use as a context manager."""

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        site: LocalSite

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.arrivals: list[float] = []  # time.monotonic() of each request, in order
        self.lock = threading.Lock()
        # Requests inside their ``delay`` now, and the most at once: politeness across crawlers.
        self.active = 0
        self.max_active = 0
        self.host = host  # any 127.0.0.x is a separate "site" for the crawler
        self.httpd = LocalSite.Server((host, port), _Handler)
        self.httpd.site = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def set(self, path: str, body: bytes | str = b"", **kwargs: Any) -> Page:
        data = body.encode() if isinstance(body, str) else body
        page = Page(body=data, **kwargs)
        with self.lock:
            self.pages[path] = page
        return page

    def redirect(self, path: str, to: str, status: int = 301) -> None:
        self.set(path, status=status, location=to)

    def remove(self, path: str) -> None:
        with self.lock:
            self.pages.pop(path, None)

    def hits(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [h for p, h in self.requests if p == path]

    def start(self) -> LocalSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
