"""Fetch one URL outside Scrapy (`policywatch extract URL`) under the crawler's rules.

The same size limit (``[crawl] max_bytes``, read in chunks and stopped as soon as it is passed,
so memory stays bounded) and the same address policy for redirects as the spiders.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from crawler.addresses import AddressPolicy

CHUNK = 64 * 1024


class FetchRefused(ValueError):
    """The URL could not be fetched within the rules; the message says why and what to do."""


@dataclass
class Fetched:
    body: bytes
    content_type: str | None
    final_url: str


class _PolicyRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, origin: str, policy: AddressPolicy) -> None:
        self.origin = origin
        self.policy = policy

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        problem = self.policy.hop_problem(self.origin, newurl)
        if problem:
            raise FetchRefused(f"redirect blocked by the address policy: {problem}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_limited(
    url: str, *, max_bytes: int, timeout: float, user_agent: str, policy: AddressPolicy
) -> Fetched:
    opener = urllib.request.build_opener(_PolicyRedirects(url, policy))
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    too_big = (
        f"the body of {url} exceeds [crawl] max_bytes ({max_bytes:,} bytes); "
        "raise max_bytes in policywatch.toml if the document is genuine"
    )
    try:
        with opener.open(request, timeout=timeout) as resp:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRefused(too_big)
            chunks: list[bytes] = []
            total = 0
            while chunk := resp.read(CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise FetchRefused(too_big)
                chunks.append(chunk)
            return Fetched(b"".join(chunks), resp.headers.get("Content-Type"), resp.geturl())
    except urllib.error.HTTPError as exc:
        raise FetchRefused(f"HTTP {exc.code} from {url}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        if isinstance(exc, FetchRefused):
            raise
        reason = getattr(exc, "reason", exc)
        raise FetchRefused(f"cannot fetch {url}: {reason}") from None
