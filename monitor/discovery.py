"""Discovery jobs: run the discovery spider, list proposals, accept one into a registry file.

Functions take a session and never commit; ``now`` / ``today`` come from the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import tomlkit
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.config import Config
from crawler.proposals import Proposal, proposal_id
from crawler.registry import PolicySource, RegistryError, load_file, parse_entry
from crawler.runner import discover_in_child, prepare
from crawler.spiders.discover import discovery_targets
from storage.models import ProposedSource, Source

DEFAULT_USER_REGISTRY = "policywatch-sources.toml"
_HEADER = (
    "policywatch user registry: sources accepted from discovery "
    "(policywatch sources accept ID).\nFormat: see crawler/data/registry/README.md."
)


@dataclass
class DiscoveryRun:
    indexes: list[str]
    new: list[Proposal] = field(default_factory=list)
    known: list[Proposal] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    empty_details: list[str] = field(default_factory=list)


def run_discovery(
    cfg: Config, sources: Sequence[PolicySource], only: Sequence[str] = (), **overrides: Any
) -> DiscoveryRun:
    """Scan the index sources (all, or ``only``) in a child process; store new proposals.

    Every registry source is synced first, so its URL counts as known and is not proposed.
    """
    prepare(cfg, sources)
    targets = discovery_targets(sources)
    if only:
        targets = [s for s in sources if s.id in set(only)]
    run = discover_in_child(cfg, targets, **overrides)
    return DiscoveryRun(
        indexes=[t.id for t in targets],
        new=[p for p in run.items if p.status == "new"],
        known=[p for p in run.items if p.status == "known"],
        failures=run.failures,
        empty_details=run.empty_details,
    )


def stored_proposals(session: Session, status: str | None = "proposed") -> list[ProposedSource]:
    stmt = select(ProposedSource).order_by(ProposedSource.found_at, ProposedSource.proposed_id)
    if status:
        stmt = stmt.where(ProposedSource.status == status)
    return list(session.scalars(stmt))


def find_proposal(session: Session, key: str) -> ProposedSource | None:
    """A proposal by its proposed id (or by its URL)."""
    stmt = select(ProposedSource).where(
        (ProposedSource.proposed_id == key) | (ProposedSource.url == key)
    )
    return session.scalars(stmt).first()


def registry_entry(row: ProposedSource, today: date) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": row.proposed_id,
        "payer": row.payer,
        "plan_type": row.plan_type,
        "state": row.state,
        "document_type": row.document_type,
        "title": row.title,
        "url": row.url,
    }
    if row.format:
        entry["format"] = row.format
    entry.update(
        drugs=list(row.drugs or []),
        found_via=f"discovery {row.found_via}",
        verified="",
        enabled=True,
        notes=f"accepted from discovery on {today.isoformat()}",
    )
    return entry


def append_entry(path: Path, entry: dict[str, Any]) -> PolicySource:
    """Append ``entry`` as a ``[[source]]`` table to ``path``, keeping its comments."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    doc = tomlkit.parse(existing) if existing else tomlkit.document()
    if not existing:
        for line in _HEADER.splitlines():
            doc.add(tomlkit.comment(line))
        doc.add(tomlkit.nl())
    tables = doc.get("source")
    if tables is None:
        tables = tomlkit.aot()
        doc.append("source", tables)
    table = tomlkit.table()
    for key, value in entry.items():
        table.add(key, value)
    tables.append(table)
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    try:
        added = load_file(path)[-1]
    except RegistryError:
        path.write_text(existing, encoding="utf-8")  # never leave a broken registry behind
        raise
    return added


def accept_proposal(
    session: Session,
    key: str,
    target: Path,
    registry: Sequence[PolicySource],
    *,
    today: date,
) -> PolicySource:
    """Write the proposal to ``target``, mark it accepted, and register it as discovered.

    The Source row is created with ``discovered=True`` so the first version crawled is reported
    as an ``added`` event (monitor/changes.py).
    """
    row = find_proposal(session, key)
    if row is None:
        raise RegistryError(f"no proposal {key!r}; see `policywatch sources discover --list`")
    if row.status == "accepted":
        raise RegistryError(f"proposal {row.proposed_id!r} was already accepted")
    ids = {s.id for s in registry}
    if target.exists():
        ids |= {s.id for s in load_file(target)}
    if row.proposed_id in ids:  # ids are unique across files: take the next free suffix
        row.proposed_id = proposal_id(row.proposed_id, "", ids)
    entry = registry_entry(row, today)
    parse_entry(target, 0, entry)  # validate before touching the file
    source = session.get(Source, row.proposed_id)
    if source is None:
        source = Source(id=row.proposed_id, consecutive_failures=0)
        session.add(source)
    source.payer, source.plan_type, source.state = row.payer, row.plan_type, row.state
    source.document_type, source.title, source.url = row.document_type, row.title, row.url
    source.format, source.enabled, source.discovered = row.format, True, True
    row.status = "accepted"
    session.flush()
    # Last: a failed write raises and the caller's session rolls the database back.
    return append_entry(target, entry)
