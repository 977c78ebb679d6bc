"""The source registry: policy documents as data (TOML), validated strictly.

Each ``[[source]]`` table is one document. Its ``id`` is the key of its history and must never be
derived from the URL, because URLs move. Entries are validated by a pydantic model; unknown keys,
duplicate ids, bad URLs, bad enum values and bad dates are errors naming the file, the line, the
entry and the key, and every error of every file is reported at once, so an operator fixes them
in one pass.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crawler.toml_errors import Loc, error_lines, key_lines, line_of

if TYPE_CHECKING:
    from crawler.config import Config

PLAN_TYPES = (
    "commercial",
    "medicare",
    "medicare_advantage",
    "medicaid",
    "medicaid_mco",
    "tricare",  # military health (TRICARE regional contractors, the TRICARE manuals)
    "va",  # Veterans Affairs national formulary and criteria for use
    "fehb",  # Federal Employees Health Benefits plans
)
DOCUMENT_TYPES = (
    "medical_policy",
    "drug_policy",
    "pdl",
    "pa_criteria",
    "pa_list",
    "e_i_list",
    "bulletin",
    "billing_article",
    "provider_manual",
    "reimbursement_policy",
    "api",
    "index",
    "change_notice",
)
FORMATS = ("html", "pdf", "json")
DRUG_NAMES = ("ketamine", "esketamine")
US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
]
STATES = (*US_STATES, "PR", "GU", "VI", "AS", "MP", "US")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,118}[a-z0-9]$")

REQUIRED = ("id", "payer", "plan_type", "state", "document_type", "title", "url")
OPTIONAL = ("format", "drugs", "found_via", "verified", "enabled", "notes")
ALLOWED = REQUIRED + OPTIONAL


class RegistryError(ValueError):
    """A registry file is invalid; the message names the file, the entry and the key."""


@dataclass(frozen=True)
class PolicySource:
    id: str
    payer: str
    plan_type: str
    state: str
    document_type: str
    title: str
    url: str
    format: str | None = None
    drugs: tuple[str, ...] = ()
    found_via: str = ""
    verified: str = ""
    enabled: bool = True
    notes: str = ""
    origin: str = field(default="", compare=False)  # the file it came from

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["drugs"] = list(self.drugs)
        return data


def shipped_registry_dir() -> Path:
    return Path(str(resources.files("crawler") / "data" / "registry"))


def shipped_registry_files() -> list[Path]:
    return sorted(shipped_registry_dir().glob("*.toml"))


def check_url(url: Any) -> str | None:
    """Return why ``url`` is not a fetchable http(s) URL, or None when it is.

    Everything Scrapy would trip over when building the request is caught here (bad port,
    unbalanced IPv6 brackets, host names IDNA cannot encode), so one bad entry is reported
    when the registry loads instead of stopping a crawl half-way.
    """
    if not isinstance(url, str) or not url.strip():
        return "must be a non-empty string"
    if any(ch.isspace() or ord(ch) < 32 for ch in url.strip()):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError when out of range or not a number
        host = parts.hostname
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not host:
        return "has no host"
    if port == 0:
        return "has port 0; use 1-65535"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    if not _is_ip_literal(host):
        try:
            host.encode("idna")
        except UnicodeError as exc:
            return f"has a host name that is not valid IDNA ({exc})"
    return None


def _is_ip_literal(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _choice(value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"has {value!r}; expected one of: {', '.join(allowed)}")
    return value


class SourceEntry(BaseModel):
    """One ``[[source]]`` table as written in a registry file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    payer: str
    plan_type: str
    state: str
    document_type: str
    title: str
    url: str
    format: str | None = None
    drugs: list[str] = Field(default_factory=list)
    found_via: str = ""
    # A TOML date (2025-01-31) or the same as a string; "" when never checked.
    verified: date | None = Field(default=None, strict=False)
    enabled: bool = True
    notes: str = ""

    @field_validator(*REQUIRED)
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be a non-empty string")
        return value

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not ID_RE.match(value):
            raise ValueError(f"has {value!r}; use 3-120 characters of a-z, 0-9 and '-'")
        return value

    @field_validator("plan_type")
    @classmethod
    def _plan_type(cls, value: str) -> str:
        return _choice(value, PLAN_TYPES)

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        return _choice(value, STATES)

    @field_validator("document_type")
    @classmethod
    def _document_type(cls, value: str) -> str:
        return _choice(value, DOCUMENT_TYPES)

    @field_validator("format")
    @classmethod
    def _format(cls, value: str | None) -> str | None:
        return None if value is None else _choice(value, FORMATS)

    @field_validator("drugs")
    @classmethod
    def _drugs(cls, value: list[str]) -> list[str]:
        for drug in value:
            _choice(drug, DRUG_NAMES)
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        problem = check_url(value)
        if problem:
            raise ValueError(f"has {value!r}: {problem}")
        return value

    @field_validator("verified", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if value == "":
            return None
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(f"has {value!r}; use YYYY-MM-DD or ''")
        if not isinstance(value, str | date):
            raise ValueError(f"has {value!r}; use YYYY-MM-DD or ''")
        return value

    def to_source(self, origin: Path) -> PolicySource:
        return PolicySource(
            id=self.id,
            payer=self.payer.strip(),
            plan_type=self.plan_type,
            state=self.state,
            document_type=self.document_type,
            title=self.title.strip(),
            url=self.url.strip(),
            format=self.format,
            drugs=tuple(self.drugs),
            found_via=self.found_via,
            verified=self.verified.isoformat() if self.verified else "",
            enabled=self.enabled,
            notes=self.notes,
            origin=str(origin),
        )


def _entry_label(entries: Sequence[Any], loc: Loc) -> str:
    """``entry 3 (id 'x'): key 'url'`` for a location ``("source", 2, "url", ...)``."""
    if len(loc) < 2 or not isinstance(loc[1], int):
        return ".".join(map(str, loc)) or "(file)"
    index = loc[1]
    entry = entries[index] if index < len(entries) else None
    ident = entry.get("id") if isinstance(entry, dict) else None
    label = f"entry {index + 1}" + (f" (id {ident!r})" if isinstance(ident, str) else "")
    return label + (f": key {loc[2]!r}" if len(loc) > 2 else "")


class _Lines:
    """The key → line map of a file, computed only when an error needs it."""

    def __init__(self, text: str | None) -> None:
        self.text = text
        self._lines: dict[Loc, int] | None = None

    @property
    def map(self) -> dict[Loc, int]:
        if self._lines is None:
            self._lines = key_lines(self.text) if self.text is not None else {}
        return self._lines

    def of(self, loc: Loc) -> int:
        return line_of(self.map, loc)


def _check_entry(
    path: Path, lines: _Lines, index: int, entries: Sequence[Any]
) -> tuple[PolicySource | None, list[str]]:
    """One entry as a source, or the ``file:line: entry: message`` lines of all its errors."""
    entry = entries[index]
    text = lines.text

    def where(loc: Loc) -> str:
        return f"{path}:{lines.of(loc)}" if text is not None else str(path)

    if not isinstance(entry, dict):
        return None, [f"{where(('source', index))}: entry {index + 1} is not a table"]
    try:
        return SourceEntry.model_validate(entry).to_source(path), []
    except ValidationError as exc:
        found = error_lines(
            path,
            text or "",
            exc,
            prefix=("source", index),
            field_name=lambda loc: _entry_label(entries, loc),
            allowed=lambda _loc: ALLOWED,
            allowed_label="allowed keys",
            lines=lines.map,
        )
        if text is None:  # no file text (an entry about to be written): no line numbers
            found = [f"{path}: {line.split(': ', 1)[1]}" for line in found]
        return None, found


def parse_entry(path: Path, index: int, entry: Any) -> PolicySource:
    """Validate one entry (e.g. before it is written to ``path``); all its errors at once."""
    entries = [None] * index + [entry]
    source, problems = _check_entry(path, _Lines(None), index, entries)
    if source is None:
        raise RegistryError("\n".join(problems))
    return source


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such sources file") from None
    except IsADirectoryError:
        raise RegistryError(f"{path}: is a directory; give the sources .toml files in it") from None
    except UnicodeDecodeError as exc:
        raise RegistryError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the sources file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from None


def check_file(path: Path) -> tuple[list[PolicySource], list[str]]:
    """The valid sources of one file, and a ``file:line: entry: message`` line per error."""
    text, data = _read(path)
    lines = _Lines(text)
    problems = [
        f"{path}:{lines.of((key,))}: unknown top-level key {key!r}; sources are [[source]] tables"
        for key in sorted(set(data) - {"source"})
    ]
    entries = data.get("source", [])
    if not isinstance(entries, list):
        problems.append(
            f"{path}:{lines.of(('source',))}: 'source' must be an array of tables ([[source]])"
        )
        entries = []
    found: list[PolicySource] = []
    first: dict[str, int] = {}  # id → index of the entry that defined it
    for index in range(len(entries)):
        source, errors = _check_entry(path, lines, index, entries)
        problems += errors
        if source is None:
            continue
        if source.id in first:
            where = lines.of(("source", index, "id"))
            problems.append(
                f"{path}:{where}: entry {index + 1} (id {source.id!r}): duplicate id "
                f"{source.id!r} (first defined on line {lines.of(('source', first[source.id]))})"
            )
            continue
        first[source.id] = index
        found.append(source)
    return found, problems


def _raise(problems: Sequence[str]) -> None:
    if len(problems) == 1:
        raise RegistryError(problems[0])
    raise RegistryError(f"{len(problems)} problems in the registry:\n" + "\n".join(problems))


def load_file(path: Path) -> list[PolicySource]:
    found, problems = check_file(path)
    if problems:
        _raise(problems)
    return found


def load_sources(paths: Iterable[Path | str] | None = None) -> list[PolicySource]:
    """Load and validate sources from ``paths``, or the shipped registry when none are given."""
    files = [Path(p) for p in paths] if paths else shipped_registry_files()
    seen: dict[str, PolicySource] = {}
    problems: list[str] = []
    for path in files:
        try:
            found, errors = check_file(path)
        except RegistryError as exc:  # unreadable or not TOML: the other files are still checked
            problems.append(str(exc))
            continue
        problems += errors
        for src in found:
            if src.id in seen:
                problems.append(
                    f"{path}: duplicate id {src.id!r} (first defined in {seen[src.id].origin})"
                )
                continue
            seen[src.id] = src
    if problems:
        _raise(problems)
    return list(seen.values())


def configured_source_files(cfg: Config) -> list[Path]:
    """The registry files in use: ``cfg.sources`` (else the shipped registry), then those of
    ``cfg.extra_sources`` that exist.

    An extra file is where accepted discoveries are written (``sources accept``, the operators'
    page), created by the first acceptance: until then it is empty, not an error.
    """
    base = [Path(p) for p in cfg.sources] if cfg.sources else shipped_registry_files()
    extra = [Path(p) for p in cfg.extra_sources]
    return [*base, *(p for p in extra if p.exists())]


def configured_sources(cfg: Config) -> list[PolicySource]:
    """The sources in use: the one answer for every command, scheduled job, spider and page.

    ``--sources``, ``$POLICYWATCH_SOURCES`` or ``sources = [...]`` replace the shipped registry;
    ``extra_sources`` are loaded on top, so a scheduled cycle crawls an accepted discovery just as
    ``policywatch run`` does. Raises RegistryError naming the file and entry on a bad file.
    """
    return load_sources(configured_source_files(cfg))
