"""Defect 3: no hop from a public address to an internal one (SSRF); operators' URLs are theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.addresses import AddressPolicy
from crawler.fetchone import FetchRefused, fetch_limited
from monitor.sites.localsite import LocalSite
from tests.faults.helpers import pw
from tests.support.samples import SAMPLE_HTML

PUBLIC = "93.184.216.34"


def fake_dns(table: dict[str, list[str]]) -> AddressPolicy:
    return AddressPolicy(resolver=lambda host: table.get(host, [host]))


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1/x",
        "http://10.1.2.3/x",
        "http://172.16.0.1/x",
        "http://192.168.1.1/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/x",
        "http://0.0.0.0/x",
        "http://[::1]/x",
        "http://[fe80::1]/x",
        "http://[fd00:ec2::254]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://rebind.example/x",  # a name that resolves inside
    ],
)
def test_hops_from_public_to_internal_are_refused(target: str) -> None:
    policy = fake_dns({"public.example": [PUBLIC], "rebind.example": [PUBLIC, "10.0.0.5"]})
    assert policy.hop_problem("https://public.example/policy", target) is not None


def test_public_hops_internal_origins_and_the_allow_list_pass() -> None:
    policy = fake_dns({"public.example": [PUBLIC], "intranet.example": ["10.0.0.9"]})
    assert policy.hop_problem("https://public.example/a", "https://public.example/b") is None
    assert policy.hop_problem("https://public.example/a", f"http://{PUBLIC}/b") is None
    # The operator registered an internal source: its own network is fair game.
    assert policy.hop_problem("http://intranet.example/a", "http://10.0.0.7/b") is None
    allowed = AddressPolicy(
        allow=["10.0.0.0/24", "docs.internal"],
        resolver=lambda h: {"public.example": [PUBLIC], "docs.internal": ["10.9.9.9"]}.get(h, [h]),
    )
    assert allowed.hop_problem("https://public.example/a", "http://10.0.0.7/b") is None
    assert allowed.hop_problem("https://public.example/a", "http://docs.internal/b") is None
    assert allowed.hop_problem("https://public.example/a", "http://10.0.1.7/b") is not None


def test_extract_url_refuses_a_redirect_to_an_internal_address() -> None:
    """`extract URL`'s fetch follows the same policy (127.0.0.1 plays public, 127.0.0.2
    internal), with a real server and a real urllib redirect."""
    policy = AddressPolicy(internal=["127.0.0.2/32"])
    with LocalSite() as public:
        public.redirect("/moved", "http://127.0.0.2:9/latest/meta-data/")
        public.redirect("/fine", "/ok")
        public.set("/ok", SAMPLE_HTML)
        kwargs = {"max_bytes": 10**6, "timeout": 5.0, "user_agent": "t", "policy": policy}
        with pytest.raises(FetchRefused, match="blocked by the address policy"):
            fetch_limited(public.url("/moved"), **kwargs)  # type: ignore[arg-type]
        got = fetch_limited(public.url("/fine"), **kwargs)  # type: ignore[arg-type]
    assert got.body == SAMPLE_HTML.encode() and got.final_url.endswith("/ok")


def test_extract_url_stops_at_max_bytes_with_a_clear_error(tmp_path: Path) -> None:
    """Defect 4: `extract URL` streams and stops at [crawl] max_bytes (it read 4.5 GB before)."""
    cfg = tmp_path / "p.toml"
    cfg.write_text("[crawl]\nmax_bytes = 100000\n", encoding="utf-8")
    big = b"<html><body>" + b"<p>ketamine</p>" * 50_000 + b"</body></html>"
    with LocalSite() as site:
        site.set("/big.html", big)
        site.set("/chunked.html", big, headers={"Content-Length": ""})
        declared = pw("extract", site.url("/big.html"), "--config", str(cfg))
    local = tmp_path / "big.html"
    local.write_bytes(big)
    from_file = pw("extract", str(local), "--config", str(cfg))
    for proc in (declared, from_file):
        assert proc.returncode == 1
        assert "max_bytes" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_the_stream_stops_at_the_limit_without_a_content_length() -> None:
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    sent = []

    def serve() -> None:
        conn, _ = srv.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
        try:
            for _ in range(2000):  # up to 128 MiB, no length announced
                conn.sendall(b"x" * 65536)
                sent.append(1)
        except OSError:
            pass
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{srv.getsockname()[1]}/endless"
    with pytest.raises(FetchRefused, match="max_bytes"):
        fetch_limited(url, max_bytes=1_000_000, timeout=5, user_agent="t", policy=AddressPolicy())
    thread.join(10)
    srv.close()
    assert len(sent) < 200  # it stopped reading long before the end
