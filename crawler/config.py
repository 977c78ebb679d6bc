"""policywatch.toml: one file for the database, sources, crawling, schedule, notifications, reports.

Precedence (highest first): command-line options, environment variables, the config file,
built-in defaults. The file is found at ``--config``, ``$POLICYWATCH_CONFIG``,
``./policywatch.toml``, ``$XDG_CONFIG_HOME/policywatch/config.toml`` (``~/.config``), then
``/etc/policywatch/config.toml`` (``$POLICYWATCH_SYSTEM_CONFIG_DIR`` moves that one). Pydantic
validates it; every mistake of the file is reported at once, each with its line.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawler.toml_errors import Loc, error_lines
from storage.db import default_data_dir, default_db_url

DEFAULT_CONTACT = "https://github.com/policywatch/policywatch"

# Where the config file is looked for after --config / $POLICYWATCH_CONFIG / ./policywatch.toml.
SYSTEM_CONFIG_DIR = "/etc/policywatch"


class ConfigError(ValueError):
    """The config file is invalid; the message names the file, the line, the section and the key."""


# Unknown keys are errors (a typo must not silently fall back to a default), and values keep
# their TOML type: "8" is not a number, 1 is not true.
_STRICT = ConfigDict(extra="forbid", strict=True, validate_default=False)
Positive = Annotated[int, Field(ge=1)]
NonNegative = Annotated[int, Field(ge=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]


class CrawlSettings(BaseModel):
    model_config = _STRICT

    contact: str = DEFAULT_CONTACT
    concurrency: Positive = 8  # across domains; per domain it is always one request at a time
    download_delay: NonNegativeFloat = 1.0
    timeout: Annotated[float, Field(gt=0)] = 30.0
    max_bytes: Positive = 50 * 1024 * 1024
    retries: NonNegative = 2
    obey_robots: bool = True
    log_file: str = ""  # Scrapy's detailed log; empty: <data dir>/logs/crawl.log
    # The crawl log rotates at this size, keeping log_backups older files (crawl.log.1 ...).
    log_max_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    log_backups: NonNegative = 5
    # Internal addresses (CIDRs, IPs or host names) a redirect or link may lead to.
    allow_private: list[str] = Field(default_factory=list)
    # Processes that parse new versions during a crawl; -1: one per core; 0: the crawl process.
    extract_workers: Annotated[int, Field(ge=-1)] = -1


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not a cron expression (minute hour day month weekday, "
            f"e.g. '0 6 * * *'): {exc}"
        ) from None
    return value


class ScheduleSettings(BaseModel):
    model_config = _STRICT

    cycle: str = "0 6 * * *"  # daily at 06:00 UTC
    digest: str = "0 7 * * 1"  # Mondays at 07:00 UTC
    discover: str = "0 5 * * 1"  # Mondays at 05:00 UTC: scan index pages for new documents
    misfire_grace_seconds: Positive = 3600
    lock_url: str = ""  # Redis URL: one cycle at a time across hosts; empty = this process only
    lock_ttl_seconds: Positive = 6 * 3600

    @field_validator("cycle", "digest", "discover")
    @classmethod
    def _cron(cls, value: str) -> str:
        return _check_cron(value)


class NotifySettings(BaseModel):
    model_config = _STRICT

    analysts: list[str] = Field(default_factory=list)  # Apprise URLs
    operators: list[str] = Field(default_factory=list)
    failure_threshold: Positive = 3  # consecutive failures before operators hear of a source


class ReportSettings(BaseModel):
    model_config = _STRICT

    out_dir: str = ""  # empty: <data dir>/reports
    archive_base_url: str = ""  # where exported snapshots are published, for evidence links
    feed_size: Positive = 100  # entries in feed.atom: the newest coverage changes


class PublishSettings(BaseModel):
    model_config = _STRICT

    out_dir: str = ""  # empty: the cycle does not publish the public site
    base_url: str = ""  # where out_dir is served: every link on the site is absolute under it
    # Digest, feed, reports and the site carry only changes an analyst confirmed.
    require_review: bool = True
    feed_size: Positive = 100  # entries in the site's feed.atom: the newest confirmed changes

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if value and not re.match(r"(?:https?://[^/?#]+|file://)", value):
            raise ValueError(
                f"base_url {value!r} is not an absolute http(s) URL; "
                "write it as https://example.org/coverage/"
            )
        return value

    @model_validator(mode="after")
    def _base_url_with_out_dir(self) -> PublishSettings:
        if self.out_dir and not self.base_url:
            raise ValueError(
                "out_dir is set but base_url is empty; set base_url to the address where "
                "out_dir is served (e.g. https://example.org/coverage/)"
            )
        return self


def _check_queue_url(value: str) -> str:
    if value and not value.startswith(("redis://", "rediss://")):
        raise ValueError("queue_url must be a Redis URL such as redis://host:6379/0")
    return value


class ClusterSettings(BaseModel):
    model_config = _STRICT

    # Redis URL of the crawl queue; empty: `run` crawls in its own child process as usual.
    queue_url: str = ""
    namespace: str = "policywatch"  # prefix of every Redis key of the cluster
    batch_size: Positive = 25  # sources per queue message (one Scrapy crawl in a worker)
    deadline_seconds: Positive = 6 * 3600  # how long `run` waits for the workers
    # A worker silent this long is dead: its unfinished batches go back on the queue.
    heartbeat_timeout_seconds: Positive = 60

    @field_validator("queue_url")
    @classmethod
    def _redis(cls, value: str) -> str:
        return _check_queue_url(value)


class Config(BaseModel):
    model_config = _STRICT

    database: str = ""
    sources: list[str] = Field(default_factory=list)
    # Loaded on top of whichever registry is in use (e.g. sources accepted from discovery).
    extra_sources: list[str] = Field(default_factory=list)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    path: Path | None = Field(default=None, exclude=True)  # the file read; not a file key

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


_FILE_KEYS = [name for name in Config.model_fields if name != "path"]
_SECTIONS: dict[str, type[BaseModel]] = {
    name: info.annotation
    for name, info in Config.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
}


def _allowed(loc: Loc) -> Sequence[str]:
    """The keys a table at ``loc`` (that of an unknown key) accepts."""
    if len(loc) == 2 and loc[0] in _SECTIONS:
        return list(_SECTIONS[str(loc[0])].model_fields)
    return _FILE_KEYS


def _field(loc: Loc) -> str:
    if len(loc) == 1 and loc[0] in _SECTIONS:
        return f"[{loc[0]}]"
    if len(loc) >= 2 and isinstance(loc[0], str):
        rest = ".".join(str(p) for p in loc[1:])
        return f"[{loc[0]}] {rest}"
    return ".".join(str(p) for p in loc) or "(file)"


def search_path(env: dict[str, str]) -> list[Path]:
    """Where a config file is looked for when neither --config nor $POLICYWATCH_CONFIG names one:
    the working directory, the user's ($XDG_CONFIG_HOME), the system's (/etc/policywatch)."""
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    system = env.get("POLICYWATCH_SYSTEM_CONFIG_DIR") or SYSTEM_CONFIG_DIR
    return [
        Path("policywatch.toml"),
        Path(xdg) / "policywatch" / "config.toml",
        Path(system) / "config.toml",
    ]


def find_config(path: str | Path | None, env: dict[str, str]) -> Path | None:
    chosen = path or env.get("POLICYWATCH_CONFIG")
    if chosen:
        return Path(chosen)
    return next((p for p in search_path(env) if p.is_file()), None)


def _read(file: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = file.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"{file}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{file}: is a directory; give the path of policywatch.toml") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the config file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None


def parse_config(file: Path) -> Config:
    """The config in ``file``, validated: every mistake in it reported at once, with its line."""
    text, data = _read(file)
    problems: list[str] = []
    if "path" in data:  # a field of Config, but not something the file may set
        data = {k: v for k, v in data.items() if k != "path"}
        problems.append(
            f"{file}:{_line(text, ('path',))}: path: unknown key 'path'; "
            f"allowed: {', '.join(_FILE_KEYS)}"
        )
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        problems += error_lines(file, text, exc, field_name=_field, allowed=_allowed)
        cfg = Config()
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(
            f"{file}: {len(problems)} problems; fix them and run the command again:\n"
            + "\n".join(problems)
        )
    cfg.path = file
    base = file.resolve().parent
    cfg.sources = [_relative(base, v) for v in cfg.sources]
    cfg.extra_sources = [_relative(base, v) for v in cfg.extra_sources]
    return cfg


def _line(text: str, loc: Loc) -> int:
    from crawler.toml_errors import key_lines, line_of

    return line_of(key_lines(text), loc)


def _relative(base: Path, value: str) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else base / path)


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ) if env is None else env
    file = find_config(path, env)
    cfg = parse_config(file) if file is not None else Config()
    if env.get("POLICYWATCH_QUEUE_URL"):
        try:
            cfg.cluster.queue_url = _check_queue_url(env["POLICYWATCH_QUEUE_URL"])
        except ValueError as exc:
            raise ConfigError(f"$POLICYWATCH_QUEUE_URL: {exc}") from None
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
