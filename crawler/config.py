"""policywatch.toml: one file for the database, sources, crawling, schedule, notifications, reports.

Precedence (highest first): command-line options, environment variables, the config file,
built-in defaults. The file is found at ``--config``, ``$POLICYWATCH_CONFIG`` or
``./policywatch.toml``.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.db import default_data_dir, default_db_url

DEFAULT_CONTACT = "https://github.com/policywatch/policywatch"


class ConfigError(ValueError):
    """The config file is invalid; the message names the file, the section and the key."""


@dataclass
class CrawlSettings:
    contact: str = DEFAULT_CONTACT
    concurrency: int = 8  # across domains; per domain it is always one request at a time
    download_delay: float = 1.0
    timeout: float = 30.0
    max_bytes: int = 50 * 1024 * 1024
    retries: int = 2
    obey_robots: bool = True
    log_file: str = ""  # Scrapy's detailed log; empty: <data dir>/logs/crawl.log
    # Internal addresses (CIDRs, IPs or host names) a redirect or link may lead to.
    allow_private: list[str] = field(default_factory=list)
    # Processes that parse new versions during a crawl; -1: one per core; 0: the crawl process.
    extract_workers: int = -1


@dataclass
class ScheduleSettings:
    cycle: str = "0 6 * * *"  # daily at 06:00 UTC
    digest: str = "0 7 * * 1"  # Mondays at 07:00 UTC
    discover: str = "0 5 * * 1"  # Mondays at 05:00 UTC: scan index pages for new documents
    misfire_grace_seconds: int = 3600
    lock_url: str = ""  # Redis URL: one cycle at a time across hosts; empty = this process only
    lock_ttl_seconds: int = 6 * 3600


@dataclass
class NotifySettings:
    analysts: list[str] = field(default_factory=list)  # Apprise URLs
    operators: list[str] = field(default_factory=list)
    failure_threshold: int = 3  # consecutive failures before operators hear of a source


@dataclass
class ReportSettings:
    out_dir: str = ""  # empty: <data dir>/reports
    archive_base_url: str = ""  # where exported snapshots are published, for evidence links
    feed_size: int = 100  # entries in feed.atom: the newest coverage changes


@dataclass
class PublishSettings:
    out_dir: str = ""  # empty: the cycle does not publish the public site
    base_url: str = ""  # where out_dir is served: every link on the site is absolute under it
    # Digest, feed, reports and the site carry only changes an analyst confirmed.
    require_review: bool = True
    feed_size: int = 100  # entries in the site's feed.atom: the newest confirmed changes


@dataclass
class ClusterSettings:
    # Redis URL of the crawl queue; empty: `run` crawls in its own child process as usual.
    queue_url: str = ""
    namespace: str = "policywatch"  # prefix of every Redis key of the cluster
    batch_size: int = 25  # sources per queue message (one Scrapy crawl in a worker)
    deadline_seconds: int = 6 * 3600  # how long `run` waits for the workers
    # A worker silent this long is dead: its unfinished batches go back on the queue.
    heartbeat_timeout_seconds: int = 60


@dataclass
class Config:
    database: str = ""
    sources: list[str] = field(default_factory=list)
    # Loaded on top of whichever registry is in use (e.g. sources accepted from discovery).
    extra_sources: list[str] = field(default_factory=list)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    path: Path | None = None

    @property
    def db_url(self) -> str:
        return self.database or default_db_url()

    @property
    def log_file(self) -> Path:
        return (
            Path(self.crawl.log_file)
            if self.crawl.log_file
            else default_data_dir() / "logs" / "crawl.log"
        )

    @property
    def report_dir(self) -> Path:
        return Path(self.report.out_dir) if self.report.out_dir else default_data_dir() / "reports"


_SECTIONS: dict[str, type] = {
    "crawl": CrawlSettings,
    "schedule": ScheduleSettings,
    "notify": NotifySettings,
    "report": ReportSettings,
    "publish": PublishSettings,
    "cluster": ClusterSettings,
}


def _fill(obj: Any, table: dict[str, Any], where: str) -> None:
    allowed = list(obj.__dataclass_fields__)
    for key, value in table.items():
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}; allowed: {', '.join(allowed)}")
        current = getattr(obj, key)
        expected = type(current)
        if expected is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, expected):
            raise ConfigError(
                f"{where}: key {key!r} must be {expected.__name__}, got {type(value).__name__}"
            )
        setattr(obj, key, value)


def _relative(base: Path, value: str) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else base / path)


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ) if env is None else env
    cfg = Config()
    chosen = path or env.get("POLICYWATCH_CONFIG")
    if chosen is None and Path("policywatch.toml").is_file():
        chosen = "policywatch.toml"
    if chosen is not None:
        file = Path(chosen)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: config file not found") from None
        except IsADirectoryError:
            raise ConfigError(
                f"{file}: is a directory; give the path of policywatch.toml"
            ) from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{file}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read the config file: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        cfg.path = file
        base = file.resolve().parent
        for key, value in data.items():
            if key == "database":
                if not isinstance(value, str):
                    raise ConfigError(f"{file}: 'database' must be a SQLAlchemy URL string")
                cfg.database = value
            elif key in ("sources", "extra_sources"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"{file}: {key!r} must be a list of file paths")
                setattr(cfg, key, [_relative(base, v) for v in value])
            elif key in _SECTIONS:
                if not isinstance(value, dict):
                    raise ConfigError(f"{file}: [{key}] must be a table")
                _fill(getattr(cfg, key), value, f"{file}: [{key}]")
            else:
                allowed = ["database", "sources", "extra_sources", *_SECTIONS]
                raise ConfigError(f"{file}: unknown key {key!r}; allowed: {', '.join(allowed)}")
    if cfg.publish.base_url and not re.match(r"(?:https?://[^/?#]+|file://)", cfg.publish.base_url):
        raise ConfigError(
            f"{cfg.path}: [publish] base_url {cfg.publish.base_url!r} is not an absolute http(s) "
            "URL; write it as https://example.org/coverage/"
        )
    if cfg.publish.out_dir and not cfg.publish.base_url:
        raise ConfigError(
            f"{cfg.path}: [publish] out_dir is set but base_url is empty; set base_url to the "
            "address where out_dir is served (e.g. https://example.org/coverage/)"
        )
    if env.get("POLICYWATCH_QUEUE_URL"):
        cfg.cluster.queue_url = env["POLICYWATCH_QUEUE_URL"]
    if cfg.cluster.queue_url and not cfg.cluster.queue_url.startswith(("redis://", "rediss://")):
        raise ConfigError(
            f"{cfg.path}: [cluster] queue_url must be a Redis URL such as redis://host:6379/0"
        )
    if cfg.cluster.batch_size < 1 or cfg.cluster.heartbeat_timeout_seconds < 1:
        raise ConfigError(
            f"{cfg.path}: [cluster] batch_size and heartbeat_timeout_seconds must be at least 1"
        )
    if env.get("POLICYWATCH_DB"):
        cfg.database = env["POLICYWATCH_DB"]
    if env.get("POLICYWATCH_SOURCES"):
        cfg.sources = env["POLICYWATCH_SOURCES"].split(os.pathsep)
    if env.get("POLICYWATCH_CONTACT"):
        cfg.crawl.contact = env["POLICYWATCH_CONTACT"]
    if env.get("POLICYWATCH_NOTIFY_ANALYSTS"):
        cfg.notify.analysts = env["POLICYWATCH_NOTIFY_ANALYSTS"].split()
    if env.get("POLICYWATCH_NOTIFY_OPERATORS"):
        cfg.notify.operators = env["POLICYWATCH_NOTIFY_OPERATORS"].split()
    return cfg
