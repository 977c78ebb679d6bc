"""The source registry: policy documents as data (TOML), validated strictly.

Each ``[[source]]`` table is one document. Its ``id`` is the key of its history and must never be
derived from the URL, because URLs move. Unknown keys, duplicate ids, bad URLs and bad enum values
are errors naming the file, the entry and the key, so an operator can fix them at once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

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
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

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


def _where(path: Path, index: int, entry: dict[str, Any]) -> str:
    ident = entry.get("id")
    label = f"entry {index + 1}" + (f" (id {ident!r})" if isinstance(ident, str) else "")
    return f"{path}: {label}"


def _check_choice(where: str, key: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise RegistryError(
            f"{where}: key {key!r} has {value!r}; expected one of: {', '.join(allowed)}"
        )
    return value


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


def parse_entry(path: Path, index: int, entry: Any) -> PolicySource:
    if not isinstance(entry, dict):
        raise RegistryError(f"{path}: entry {index + 1} is not a table")
    where = _where(path, index, entry)
    unknown = sorted(set(entry) - set(ALLOWED))
    if unknown:
        raise RegistryError(
            f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(ALLOWED)}"
        )
    for key in REQUIRED:
        if key not in entry:
            raise RegistryError(f"{where}: missing required key {key!r}")
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise RegistryError(f"{where}: key {key!r} must be a non-empty string")
    if not ID_RE.match(entry["id"]):
        raise RegistryError(
            f"{where}: key 'id' has {entry['id']!r}; use 3-120 characters of a-z, 0-9 and '-'"
        )
    _check_choice(where, "plan_type", entry["plan_type"], PLAN_TYPES)
    _check_choice(where, "state", entry["state"], STATES)
    _check_choice(where, "document_type", entry["document_type"], DOCUMENT_TYPES)
    problem = check_url(entry["url"])
    if problem:
        raise RegistryError(f"{where}: key 'url' has {entry['url']!r}: {problem}")
    fmt = entry.get("format")
    if fmt is not None:
        _check_choice(where, "format", fmt, FORMATS)
    drugs = entry.get("drugs", [])
    if not isinstance(drugs, list):
        raise RegistryError(f"{where}: key 'drugs' must be a list such as ['esketamine']")
    for drug in drugs:
        _check_choice(where, "drugs", drug, DRUG_NAMES)
    verified = entry.get("verified", "")
    if verified and (not isinstance(verified, str) or not DATE_RE.match(verified)):
        raise RegistryError(f"{where}: key 'verified' has {verified!r}; use YYYY-MM-DD or ''")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RegistryError(f"{where}: key 'enabled' must be true or false")
    for key in ("found_via", "notes"):
        if not isinstance(entry.get(key, ""), str):
            raise RegistryError(f"{where}: key {key!r} must be a string")
    return PolicySource(
        id=entry["id"],
        payer=entry["payer"].strip(),
        plan_type=entry["plan_type"],
        state=entry["state"],
        document_type=entry["document_type"],
        title=entry["title"].strip(),
        url=entry["url"].strip(),
        format=fmt,
        drugs=tuple(drugs),
        found_via=entry.get("found_via", ""),
        verified=verified,
        enabled=enabled,
        notes=entry.get("notes", ""),
        origin=str(path),
    )


def load_file(path: Path) -> list[PolicySource]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
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
    unknown = sorted(set(data) - {"source"})
    if unknown:
        raise RegistryError(
            f"{path}: unknown top-level key {unknown[0]!r}; sources are [[source]] tables"
        )
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise RegistryError(f"{path}: 'source' must be an array of tables ([[source]])")
    return [parse_entry(path, i, e) for i, e in enumerate(entries)]


def load_sources(paths: Iterable[Path | str] | None = None) -> list[PolicySource]:
    """Load and validate sources from ``paths``, or the shipped registry when none are given."""
    files = [Path(p) for p in paths] if paths else shipped_registry_files()
    seen: dict[str, PolicySource] = {}
    for path in files:
        for src in load_file(path):
            if src.id in seen:
                raise RegistryError(
                    f"{path}: duplicate id {src.id!r} (first defined in {seen[src.id].origin})"
                )
            seen[src.id] = src
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
