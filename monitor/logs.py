"""Logging for every command and the scheduler: levels, text or JSON lines, on standard error.

Standard output stays for what a command prints (tables, JSON, paths); log lines go to standard
error, so `policywatch changes --json | jq` keeps working with logging on. ``--log-format json``
writes one JSON object per line (``ts`` in ISO-8601 UTC, ``level``, ``logger``, ``msg`` and the
record's extra fields) for journald, Loki or any log shipper. Every line is redacted
(storage.redact), whatever logger wrote it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

from storage.redact import install_log_redaction, redact

LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")

# Libraries that narrate their routine work at INFO (APScheduler's "Running job", Alembic's
# "Context impl", Scrapy's stats): only their warnings show unless --log-level debug.
CHATTY = ("alembic", "apscheduler", "sqlalchemy", "scrapy", "twisted", "urllib3", "dramatiq")

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        k: redact(v) if isinstance(v, str) else v
        for k, v in record.__dict__.items()
        if k not in _STANDARD and not k.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, then the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in extra_fields(record).items():
            data.setdefault(key, value)
        if record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            data["exc"] = record.exc_text
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-01-05T06:00:01Z info policywatch.jobs: job end: cycle duration_s=12.3 ...``."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{ts} {record.levelname.lower()} {record.name}: {record.getMessage()}"
        fields = extra_fields(record)
        if fields:
            line += " " + " ".join(f"{k}={_text(v)}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line += "\n" + record.exc_text
        return line


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return json.dumps(text) if (not text or any(c in text for c in ' "=')) else text


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (tests and click swap it), never a stale one."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def setup_logging(level: str = "info", fmt: str = "text") -> None:
    """Send every logger's records at ``level`` and above to standard error as ``fmt``.

    Called once per command by the root options; calling it again replaces the handler.
    """
    install_log_redaction()
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    number = logging.getLevelName(level.upper())
    root.addHandler(handler)
    root.setLevel(number)
    for name in CHATTY:
        logging.getLogger(name).setLevel(number if number <= logging.DEBUG else logging.WARNING)


@contextmanager
def logged_job(log: logging.Logger, job: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """One line when ``job`` starts, one when it ends (duration and the counts put in the
    yielded dict) or fails (the error, redacted); the error is raised again."""
    log.info("job start: %s", job, extra={"job": job, "event": "start", **fields})
    result: dict[str, Any] = {}
    started = time.monotonic()
    try:
        yield result
    except Exception as exc:
        log.error(
            "job error: %s: %s",
            job,
            redact(exc),
            extra={
                "job": job,
                "event": "error",
                "duration_s": round(time.monotonic() - started, 3),
                "error": redact(f"{type(exc).__name__}: {exc}"),
                **fields,
            },
        )
        raise
    log.info(
        "job end: %s",
        job,
        extra={
            "job": job,
            "event": "end",
            "duration_s": round(time.monotonic() - started, 3),
            **fields,
            **result,
        },
    )
