"""Remove secrets from text before it reaches a log, an error message or a traceback.

Secrets travel in URLs: database and Redis URLs carry passwords (``scheme://user:pw@host``),
API URLs carry tokens in the query, and notification (Apprise) URLs carry tokens anywhere,
even in the host position (``slack://T0/B0/XXXX``). Everything that prints a URL or an error that
may contain one passes it through ``redact``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"
# Schemes whose host and path are public; any other scheme (Apprise services) keeps only its name.
_PLAIN_SCHEMES = frozenset(
    {"http", "https", "file", "ftp", "ws", "wss", "redis", "rediss", "unix", "sqlite"}
)
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]{1,30})://([^\s'\"<>]+)")
_USERINFO = re.compile(r"^([^/@?#]*?):([^/@?#]*)@")
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:[a-z0-9_\-]*(?:token|secret|passw(?:or)?d|pwd|api[_\-]?key|apikey|"
    r"signature|sig|auth|key|credential)[a-z0-9_\-]*)=)[^&#\s'\"]*"
)
_DB_SCHEME = re.compile(r"^(postgres(?:ql)?|mysql|mariadb|oracle|mssql)(\+\w+)?$", re.I)
_BEARER = re.compile(r"(?i)\b(bearer|authorization:)\s+[A-Za-z0-9._~+/=\-]{8,}")


def _one(match: re.Match[str]) -> str:
    scheme, rest = match.group(1), match.group(2)
    base = scheme.lower().split("+", 1)[0]
    if base not in _PLAIN_SCHEMES and not _DB_SCHEME.match(scheme):
        return f"{scheme}://{MASK}"  # an Apprise service: tokens may sit anywhere
    rest = _USERINFO.sub(lambda m: f"{m.group(1)}:{MASK}@", rest, count=1)
    return f"{scheme}://{rest}"


def redact(text: Any) -> str:
    """``text`` with URL passwords, notification tokens and secret query values masked."""
    out = _URL.sub(_one, str(text))
    out = _SECRET_PARAM.sub(lambda m: m.group(1) + MASK, out)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", out)


def _redacted_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep the record as logging would report it
        return record
    record.msg, record.args = redact(message), None
    if record.exc_info:
        # Format the traceback now, redacted; handlers then print exc_text as it is.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
    return record


_installed = False


def install_log_redaction() -> None:
    """Redact every log record of this process (and of processes forked from it), whichever
    handler prints it: Scrapy, APScheduler, SQLAlchemy and our own loggers alike."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redacted_record(make(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
