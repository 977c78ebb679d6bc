"""Evaluate the production path on a labelled corpus (format: the corpus README).

Each case's versions are served in order by a local HTTP server on 127.0.0.1 (with the recorded
redirects, statuses and content types), crawled by the real spider into a throwaway database,
extracted by the crawl's pipeline and diffed by the diff job, exactly as in production.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w
from sqlalchemy import select

from crawler.config import Config
from crawler.registry import load_sources
from crawler.runner import crawl_in_child, prepare
from monitor.changes import detect_changes
from monitor.extraction_jobs import stored_extraction
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import ChangeEventRecord, Quarantine, Snapshot

CASE_ID = "case-under-test"


class CorpusError(ValueError):
    """The corpus directory is not in the expected format."""


@dataclass
class Case:
    case_id: str
    path: Path
    labels: dict[str, Any]


def load_corpus(root: Path) -> list[Case]:
    if not root.is_dir():
        raise CorpusError(f"{root}: not a directory")
    cases = []
    for labels_file in sorted(root.glob("*/labels.json")):
        try:
            labels = json.loads(labels_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{labels_file}: not valid JSON: {exc}") from None
        for key in ("source", "versions", "fetches", "clauses", "changes"):
            if key not in labels:
                raise CorpusError(f"{labels_file}: missing key {key!r}")
        cases.append(Case(labels_file.parent.name, labels_file.parent, labels))
    if not cases:
        raise CorpusError(f"{root}: no <case>/labels.json found")
    return cases


def local_path(url: str) -> str:
    """Map a recorded URL onto the local server, keeping host, path and query apart."""
    parts = urlsplit(url)
    path = f"/{parts.hostname}{parts.path or '/'}"
    return f"{path}?{parts.query}" if parts.query else path


def _serve_version(site: LocalSite, case: Case, version: str) -> str:
    fetch = case.labels["fetches"].get(version, {})
    requested = fetch.get("url") or case.labels["source"]["url"]
    final = fetch.get("final_url") or requested
    with site.lock:
        site.pages.clear()
    for hop in fetch.get("redirects", []):
        site.redirect(
            local_path(hop["from"]), site.url(local_path(hop["to"])), hop.get("status", 301)
        )
    site.set(
        local_path(final),
        (case.path / version).read_bytes(),
        content_type=fetch.get("content_type") or "application/octet-stream",
        status=fetch.get("http_status", 200),
    )
    return site.url(local_path(requested))


def _registry(case: Case, url: str, target: Path) -> Path:
    src = case.labels["source"]
    entry = {
        "id": CASE_ID,
        "payer": src.get("payer") or "unknown",
        "plan_type": src.get("plan_type", "commercial"),
        "state": src.get("state", "US"),
        "document_type": "medical_policy",
        "title": src.get("title") or case.case_id,
        "url": url,
    }
    target.write_text(tomli_w.dumps({"source": [entry]}), encoding="utf-8")
    return target


def run_case(case: Case, *, workdir: Path) -> dict[str, Any]:
    """Crawl, extract and diff one case; return its predictions in the corpus format."""
    cfg = Config()
    cfg.database = f"sqlite:///{workdir / (case.case_id + '.sqlite')}"
    cfg.crawl.download_delay = 0.0
    cfg.crawl.retries = 0
    version_snapshot: dict[str, int] = {}
    with LocalSite() as site:
        for version in case.labels["versions"]:
            url = _serve_version(site, case, version)
            sources = load_sources([_registry(case, url, workdir / "sources.toml")])
            crawl_in_child(cfg, prepare(cfg, sources), AUTOTHROTTLE_ENABLED=False)
            with Database(cfg.db_url) as db, db.session() as session:
                latest = session.scalars(
                    select(Snapshot.id)
                    .where(Snapshot.source_id == CASE_ID)
                    .order_by(Snapshot.id.desc())
                ).first()
                if latest is not None:
                    version_snapshot[version] = latest
                # Diff after each version, as the scheduled job would.
                detect_changes(session, now=_now(), source_ids=[CASE_ID])
    return _predictions(case, cfg, version_snapshot)


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _predictions(case: Case, cfg: Config, version_snapshot: dict[str, int]) -> dict[str, Any]:
    versions = case.labels["versions"]
    by_snapshot: dict[int, str] = {}
    for v in versions:  # identical bodies share a snapshot: keep the first version that had it
        if v in version_snapshot:
            by_snapshot.setdefault(version_snapshot[v], v)
    clauses: dict[str, list[dict[str, Any]]] = {}
    changes: list[dict[str, Any]] = []
    with Database(cfg.db_url) as db, db.session() as session:
        for v in versions:
            ext = stored_extraction(session, version_snapshot[v]) if v in version_snapshot else None
            clauses[v] = (
                []
                if ext is None
                else [
                    {"text": c.text, "drug": c.drug, "stance": c.stance, "type": c.type}
                    for c in ext.clauses
                ]
            )
        events = session.scalars(select(ChangeEventRecord).order_by(ChangeEventRecord.id)).all()
        outage_of = _outages(session, events)
        for ev in events:
            after = by_snapshot.get(ev.after_snapshot_id)
            before = by_snapshot.get(ev.before_snapshot_id or -1)
            if after is None:
                continue
            pairs = {(before, after)} if before else set()
            # Also judge the event on the pair from the version just before, when that version
            # was the same snapshot as an earlier one (identical bytes are stored once).
            i = versions.index(after)
            if i > 0 and version_snapshot.get(versions[i - 1]) not in outage_of:
                pairs.add((versions[i - 1], after))
            changes += [{"from": f, "to": t, **_entry(ev)} for f, t in sorted(pairs)]
        # One unavailable event covers its whole outage: every pair with a version inside it.
        for prev, v in pairwise(versions):
            outage = outage_of.get(version_snapshot.get(prev, -1)) or outage_of.get(
                version_snapshot.get(v, -1)
            )
            if outage is not None and not any(
                c["from"] == prev and c["to"] == v and c["kind"] == "unavailable" for c in changes
            ):
                changes.append({"from": prev, "to": v, **_entry(outage)})
    return {"clauses": clauses, "changes": changes}


def _entry(ev: ChangeEventRecord) -> dict[str, Any]:
    return {
        "significant": ev.significant,
        "kind": ev.kind,
        "drug": ev.drug or None,
        "summary": ev.summary,
    }


def _outages(session: Any, events: Any) -> dict[int, ChangeEventRecord]:
    """Snapshot id → the ``unavailable`` event of the outage it belongs to.

    An outage starts at its event's version and runs over the following versions the diff set
    aside (the quarantine table), up to the next good one.
    """
    starts = {ev.after_snapshot_id: ev for ev in events if ev.kind == "unavailable"}
    set_aside = set(session.scalars(select(Quarantine.snapshot_id)))
    out: dict[int, ChangeEventRecord] = {}
    current: ChangeEventRecord | None = None
    for sid in session.scalars(
        select(Snapshot.id).where(Snapshot.source_id == CASE_ID).order_by(Snapshot.id)
    ):
        current = starts.get(sid) or (current if sid in set_aside else None)
        if current is not None:
            out[sid] = current
    return out


def evaluate(root: Path, *, on_case: Callable[[Case], None] | None = None) -> dict[str, Any]:
    """Predictions for every case of the corpus at ``root``."""
    cases = load_corpus(root)
    predictions: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="policywatch-eval-") as tmp:
        for case in cases:
            if on_case:
                on_case(case)
            workdir = Path(tmp) / case.case_id
            workdir.mkdir()
            predictions[case.case_id] = run_case(case, workdir=workdir)
    return predictions
