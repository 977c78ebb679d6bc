"""Scrapy's detailed log (every request, retry and traceback) in a file that rotates.

Scrapy's own file handler grows without bound: a daily cycle over a few hundred sources adds
megabytes a day, for years. Scrapy is told not to install its handler
(``LOG_INSTALL_ROOT_HANDLER = False``) and ``crawl_log`` puts a size-capped rotating one on the
root logger for the length of a crawl: ``crawl.log`` up to ``[crawl] log_max_bytes``, then
``crawl.log.1`` ... ``crawl.log.N`` (``log_backups``), the oldest dropped.

While it is installed, the console handlers of the command (monitor.logs) are taken off the root
logger: Scrapy's narration belongs in the crawl log, and the command reports the crawl's outcome
itself in a few lines. They are put back when the crawl ends.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 5
_SCRAPY_LOGGERS = ("scrapy", "twisted", "filelock", "hpack")


def rotating_handler(settings: Mapping[str, Any]) -> RotatingFileHandler:
    """The crawl log's handler, formatted and filtered as Scrapy's own would be."""
    path = Path(settings["LOG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(
        path,
        maxBytes=int(settings.get("POLICYWATCH_LOG_MAX_BYTES", DEFAULT_MAX_BYTES)),
        backupCount=int(settings.get("POLICYWATCH_LOG_BACKUPS", DEFAULT_BACKUPS)),
        encoding=settings.get("LOG_ENCODING") or "utf-8",
    )
    handler.setFormatter(
        logging.Formatter(
            settings.get("LOG_FORMAT", "%(asctime)s [%(name)s] %(levelname)s: %(message)s"),
            settings.get("LOG_DATEFORMAT", "%Y-%m-%d %H:%M:%S"),
        )
    )
    handler.setLevel(settings.get("LOG_LEVEL", "INFO"))
    return handler


def _console(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler
    )


@contextmanager
def crawl_log(settings: Mapping[str, Any]) -> Iterator[None]:
    """Log to the rotating crawl log (when ``LOG_FILE`` is set) for the duration of a crawl."""
    if not settings.get("LOG_FILE"):
        yield
        return
    root = logging.getLogger()
    console = [h for h in root.handlers if _console(h)]
    for handler in console:
        root.removeHandler(handler)
    # Scrapy sets its loggers' levels for the crawl; the command's own choice comes back after.
    levels = {name: logging.getLogger(name).level for name in ("", *_SCRAPY_LOGGERS)}
    handler = rotating_handler(settings)
    root.addHandler(handler)
    root.setLevel(logging.NOTSET)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for old in console:
            root.addHandler(old)
