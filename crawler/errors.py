"""Name what went wrong with a fetch, in words an operator can act on."""

from __future__ import annotations

from scrapy import exceptions as sx
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from storage.redact import redact


def _scrapy(*names: str) -> tuple[type[BaseException], ...]:
    return tuple(getattr(sx, n) for n in names if hasattr(sx, n))


# Newer Scrapy wraps Twisted's errors in its own classes; accept both spellings.
_DNS = (tx_error.DNSLookupError, *_scrapy("CannotResolveHostError"))
_REFUSED = (tx_error.ConnectionRefusedError, *_scrapy("DownloadConnectionRefusedError"))
_TIMEOUT = (tx_error.TimeoutError, tx_error.TCPTimedOutError, *_scrapy("DownloadTimeoutError"))
_CANCELLED = _scrapy("DownloadCancelledError")
_BROKEN = (
    ResponseNeverReceived,
    ResponseFailed,
    tx_error.ConnectionLost,
    tx_error.ConnectionDone,
    *_scrapy("DownloadFailedError", "ResponseDataLossError"),
)

HINTS = {
    "dns": "the host name does not resolve: check the URL's domain",
    "refused": "the server refused the connection: is the site down or the port wrong?",
    "timeout": "no answer in time: the site may be slow; it will be retried next cycle",
    "http_4xx": "the page answered with a client error: the URL may have moved (see history)",
    "http_5xx": "the server failed repeatedly: usually temporary",
    "robots": "robots.txt disallows this URL for our User-Agent: ask the site or drop the source",
    "too_large": "the body exceeded crawl.max_bytes: raise it or check the URL",
    "connection": "the connection broke mid-transfer",
    "tls": "the TLS handshake failed",
    "blocked": "a redirect or link led to an internal address: see [crawl] allow_private",
    "redirects": "the URL redirects in a loop or too many times: check it in a browser",
    "bad_url": "the registry URL cannot be requested: fix `url` in the sources file",
    "other": "unexpected failure: see the error text",
}


def classify_failure(failure: Failure) -> tuple[str, str, int | None]:
    """Return (error kind, message, HTTP status or None) for a request's errback failure.

    The message is stored and printed: secrets in URLs (tokens, passwords) are masked.
    """
    kind, message, status = _classify(failure)
    return kind, redact(message), status


def _classify(failure: Failure) -> tuple[str, str, int | None]:
    exc = failure.value
    if failure.check(HttpError):
        status = exc.response.status
        kind = "http_5xx" if status >= 500 else "http_4xx"
        return kind, f"HTTP {status} from {exc.response.url}", status
    if failure.check(*_DNS):
        text = str(exc)
        return "dns", text if "DNS" in text else f"DNS lookup failed: {text}", None
    if failure.check(*_REFUSED):
        return "refused", "connection refused", None
    if failure.check(*_TIMEOUT):
        return "timeout", f"timed out: {exc}", None
    if _CANCELLED and failure.check(*_CANCELLED):
        return "too_large", str(exc), None
    if failure.check(IgnoreRequest) and str(exc).startswith("blocked by the address policy"):
        return "blocked", str(exc), None
    if failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" in str(exc):
        # A compressed body that inflates past the limit (a gzip bomb) is too large too.
        return "too_large", str(exc), None
    if failure.check(IgnoreRequest) and "max redirections" in str(exc):
        return "redirects", f"{exc} (a redirect loop or an over-long chain)", None
    if failure.check(IgnoreRequest):
        text = str(exc) or "request ignored"
        if "robots" in text.lower() or not str(exc):
            return "robots", "forbidden by robots.txt", None
        return "other", text, None
    if failure.check(*_BROKEN):
        text = repr(exc)
        if "SSL" in text or "TLS" in text:
            return "tls", text, None
        return "connection", text, None
    return "other", f"{type(exc).__name__}: {exc}", None
