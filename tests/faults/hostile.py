"""A hostile HTTP server on 127.0.0.1: every path misbehaves in its own way, at the byte level.

Raw sockets rather than http.server, so it can lie about lengths, break chunking, stall, reset
and speak things that are not HTTP. ``INTERNAL`` is a second listener on 127.0.0.2 standing for
a cloud metadata service: the crawler must never reach it from the hostile (public) host.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.support.samples import SAMPLE_HTML

Send = Callable[[socket.socket, "Hostile"], None]
POLICY = SAMPLE_HTML.encode()


def _response(
    status: str = "200 OK",
    body: bytes = POLICY,
    ctype: str = "text/html; charset=utf-8",
    extra: str = "",
    length: int | None = None,
) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nConnection: close\r\n{extra}"
    if length is not None or "Transfer-Encoding" not in extra:
        head += f"Content-Length: {len(body) if length is None else length}\r\n"
    return head.encode("latin-1") + b"\r\n" + body


def _plain(data: bytes) -> Send:
    return lambda conn, _srv: conn.sendall(data)


def _slowloris(conn: socket.socket, srv: Hostile) -> None:
    conn.sendall(_response(length=len(POLICY)).split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
    for byte in POLICY[:30]:
        if srv.stopping.is_set():
            return
        conn.sendall(bytes([byte]))
        time.sleep(1.0)


def _stall_headers(conn: socket.socket, srv: Hostile) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    srv.stopping.wait(30)


def _reset(conn: socket.socket, _srv: Hostile) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _redirect(to: str, status: str = "302 Found") -> Send:
    return lambda conn, srv: conn.sendall(
        _response(status, b"", extra=f"Location: {srv.expand(to)}\r\n")
    )


def _html(body: bytes, ctype: str = "text/html; charset=utf-8", extra: str = "") -> Send:
    return _plain(_response(body=body, ctype=ctype, extra=extra))


POLICY_REFRESH = (
    '<html><head><meta http-equiv="refresh" content="0;url={internal}/latest/"></head>'
    "<body>moved</body></html>"
)


def _refresh(conn: socket.socket, srv: Hostile) -> None:
    conn.sendall(_response(body=srv.expand(POLICY_REFRESH).encode()))


def _chain(n: int) -> Send:
    def send(conn: socket.socket, srv: Hostile) -> None:
        conn.sendall(
            _response("302 Found", b"", extra=f"Location: {srv.url(f'/chain/{n + 1}')}\r\n")
        )

    return send


GZIP_BOMB = gzip.compress(b"\0" * (20 * 1024 * 1024), compresslevel=9)
DEEP = (
    b"<html><body>"
    + b"<div>" * 100_000
    + b"<p>Ketamine is considered experimental and investigational for depression.</p>"
    + b"</div>" * 100_000
    + b"</body></html>"
)

# path → (what it does, how it misbehaves). Expected outcomes live in the test.
BEHAVIOURS: dict[str, tuple[str, Send]] = {
    "/ok": ("a normal policy page (control)", _html(POLICY)),
    "/slowloris": ("body trickles one byte a second", _slowloris),
    "/stall-headers": ("status line, then silence", _stall_headers),
    "/truncated": (
        "Content-Length 100000, 200 bytes, close",
        _plain(_response(body=POLICY[:200], length=100_000)),
    ),
    "/short-length": ("Content-Length smaller than the body", _plain(_response(length=50))),
    "/no-length": (
        "no Content-Length, close delimits",
        _plain(_response().replace(f"Content-Length: {len(POLICY)}\r\n".encode(), b"")),
    ),
    "/close-at-once": ("accepts, then closes without a byte", _plain(b"")),
    "/reset": ("TCP reset", _reset),
    "/garbage-status": ("status line is not HTTP", _plain(b"HTTP/1.1 abc\r\n\r\nhello")),
    "/not-http": ("an SSH banner", _plain(b"SSH-2.0-OpenSSH_9.6\r\n")),
    "/bad-chunking": (
        "chunked with an invalid chunk size",
        _plain(_response(body=b"zz\r\nhello\r\n0\r\n\r\n", extra="Transfer-Encoding: chunked\r\n")),
    ),
    "/chunk-truncated": (
        "chunked, cut mid-chunk",
        _plain(_response(body=b"fff\r\n<html>", extra="Transfer-Encoding: chunked\r\n")),
    ),
    "/huge-headers": (
        "200 headers of 8 KiB each",
        _plain(_response(extra="".join(f"X-Junk-{i}: {'a' * 8192}\r\n" for i in range(200)))),
    ),
    "/huge-length": (
        "Content-Length of a terabyte",
        _plain(_response(body=b"x" * 1000, length=10**12)),
    ),
    "/gzip-bomb": (
        "20 MiB of zeros gzip-compressed to a few KiB",
        _html(GZIP_BOMB, extra="Content-Encoding: gzip\r\n"),
    ),
    "/bad-gzip": (
        "Content-Encoding gzip, bytes are not gzip",
        _html(b"not gzip at all", extra="Content-Encoding: gzip\r\n"),
    ),
    "/storm-503": ("503 every time", _plain(_response("503 Service Unavailable", b"busy"))),
    "/retry-after-huge": (
        "503 with Retry-After: 999999999",
        _plain(_response("503 Service Unavailable", b"busy", extra="Retry-After: 999999999\r\n")),
    ),
    "/429": ("429 without Retry-After", _plain(_response("429 Too Many Requests", b"slow down"))),
    "/401": ("login required", _plain(_response("401 Unauthorized", b"login"))),
    "/redirect-loop-a": ("A → B → A ...", _redirect("/redirect-loop-b")),
    "/redirect-loop-b": ("B → A ...", _redirect("/redirect-loop-a")),
    "/chain/0": ("a chain of 40 redirects", _chain(0)),
    "/redirect-internal": (
        "302 to the metadata service",
        _redirect("{internal}/latest/meta-data/"),
    ),
    "/redirect-internal-mapped": (
        "302 to the metadata service as IPv4-mapped IPv6",
        _redirect("{internal_mapped}/latest/meta-data/"),
    ),
    "/refresh-internal": ("<meta refresh> to the metadata service", _refresh),
    "/redirect-ftp": ("302 to an ftp:// URL", _redirect("ftp://127.0.0.1/x")),
    "/redirect-bad-port": ("302 to a port out of range", _redirect("http://127.0.0.1:99999/x")),
    "/binary-as-html": ("random bytes labelled text/html", _html(bytes(range(256)) * 400)),
    "/nul-html": ("HTML full of NUL bytes", _html(POLICY.replace(b" ", b"\0 "))),
    "/bogus-charset": ("an unknown charset", _html(POLICY, ctype="text/html; charset=x-bogus-1")),
    "/pdf-that-is-html": ("says PDF, is HTML", _html(POLICY, ctype="application/pdf")),
    "/broken-pdf": (
        "a PDF header, then garbage",
        _html(b"%PDF-1.7\n" + bytes(range(256)) * 50, ctype="application/pdf"),
    ),
    "/json-bomb": (
        "JSON nested 100,000 deep",
        _html(b"[" * 100_000 + b"]" * 100_000, ctype="application/json"),
    ),
    "/deep-nesting": ("the clause inside 100,000 nested divs", _html(DEEP)),
    "/empty-200": ("200 with an empty body", _html(b"")),
    "/304-first": (
        "304 to a request without validators",
        _plain(b"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n"),
    ),
    "/latin1-header": (
        "a header with raw non-ASCII bytes",
        _plain(_response(extra="X-Note: caf\xe9\r\n")),
    ),
}


class Hostile:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.host = host
        self.hits: list[str] = []
        self.internal: Hostile | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def expand(self, text: str) -> str:
        inner = self.internal
        assert inner is not None
        return text.replace("{internal}", inner.url("")).replace(
            "{internal_mapped}", f"http://[::ffff:{inner.host}]:{inner.port}"
        )

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode("latin-1") if b" " in data else "/"
            self.hits.append(path)
            if path == "/robots.txt":
                conn.sendall(_response(body=b"User-agent: *\nAllow: /\n", ctype="text/plain"))
                return
            if path.startswith("/chain/") and path != "/chain/0":
                n = int(path.rsplit("/", 1)[1])
                _chain(n)(conn, self)
                return
            behaviour = BEHAVIOURS.get(path)
            if behaviour is None:
                conn.sendall(_response("200 OK", b"internal secret", ctype="text/plain"))
                return
            send: Any = behaviour[1]
            send(conn, self)
        except OSError:
            pass
        finally:
            conn.close()

    def __enter__(self) -> Hostile:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.sock.close()
