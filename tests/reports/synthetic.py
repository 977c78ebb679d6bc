"""Many change events inserted straight into a database, for report tests and bench/reports.py.

Each source's versions rotate through a few distinct bodies (a page that flips back, an
outage's refetches), so many snapshot ids share their bytes, as in real history.
Uses only the storage models, so the bench can load it against an older checkout too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crawler.extract import EXTRACTOR_VERSION
from storage.blobs import put_blob
from storage.db import Database
from storage.models import ChangeEventRecord, ExtractionRecord, Snapshot, Source

PLAN_TYPES = ("commercial", "medicaid", "medicare_advantage", "medicaid_mco")
STATES = ("TX", "OR", "CA", "NY", "FL", "WA", "OH", "GA")
STANCES = ("preferred", "non_preferred", "covered_with_criteria", "prior_authorization")


def body(source: int, version: int, size: int) -> bytes:
    """A policy page of about ``size`` bytes, distinct per (source, version)."""
    para = (
        f"<p>Esketamine (Spravato) nasal spray is covered for treatment-resistant depression "
        f"when the member failed {version + 2} antidepressant trials of at least six weeks. "
        f"Source {source} version {version}.</p>\n"
    )
    head = f"<html><head><title>Policy {source}</title></head><body><h1>Policy {source}</h1>\n"
    return (head + para * max(1, size // len(para)) + "</body></html>\n").encode()


def _detail(
    kind: str, drug: str, summary: str, before: str, after: str, n: int
) -> dict[str, object]:
    old = f"Esketamine is {before.replace('_', ' ')} after three (3) failed trials of {n} weeks."
    new = f"Esketamine is {after.replace('_', ' ')} after two (2) failed trials of {n} weeks."
    return {
        "kind": kind,
        "drug": drug,
        "summary": summary,
        "stance_before": before,
        "stance_after": after,
        "criteria_before": {"failed_trials": 3, "trial_weeks": 8, "prescriber": "psychiatrist"},
        "criteria_after": {"failed_trials": 2, "trial_weeks": 6, "prescriber": "psychiatrist"},
        "facts_before": {"title": f"Ketamine policy {n}", "policy_number": f"MP-{n}"},
        "facts_after": {"title": f"Ketamine policy {n}", "policy_number": f"MP-{n}"},
        "clause_changes": [
            {
                "op": "modified",
                "before": old,
                "after": new,
                "section": "Coverage criteria",
                "redline": "",
                "tokens": [
                    ["equal", "Esketamine is"],
                    ["delete", before.replace("_", " ")],
                    ["insert", after.replace("_", " ")],
                    ["equal", "after"],
                    ["delete", "three (3)"],
                    ["insert", "two (2)"],
                    ["equal", f"failed trials of {n} weeks."],
                ],
                "stance_before": before,
                "stance_after": after,
                "indication": "treatment-resistant depression",
            }
        ],
        "effective_date": "2026-12-01",
        "url_changed": False,
    }


def fill(
    db: Database,
    *,
    events: int,
    sources: int,
    end: datetime,
    days: int = 30,
    bodies_per_source: int = 4,
    body_size: int = 2_000,
    payers: int = 40,
    review_status: str = "confirmed",
) -> None:
    """``events`` events over ``sources`` sources, detected evenly over ``days`` up to ``end``.

    Every 10th event is an operator event (``unavailable``); the rest are stance changes.
    """
    step = timedelta(days=days) / max(events, 1)
    with db.session() as s:
        digests: dict[tuple[int, int], str] = {}
        for i in range(sources):
            s.add(
                Source(
                    id=f"src-{i:05d}",
                    payer=f"Payer {i % payers:03d}",
                    plan_type=PLAN_TYPES[i % len(PLAN_TYPES)],
                    state=STATES[i % len(STATES)],
                    document_type="drug_policy",
                    title=f"Ketamine policy {i}",
                    url=f"https://payer{i % payers}.example/policy/{i}",
                    last_checked_at=end,
                    health="ok",
                )
            )
            for v in range(bodies_per_source):
                digests[(i, v)] = put_blob(s, body(i, v, body_size))
        s.flush()

        def snapshot(i: int, version: int, when: datetime) -> Snapshot:
            data = digests[(i, version % bodies_per_source)]
            snap = Snapshot(
                source_id=f"src-{i:05d}",
                sha256=data,
                size=len(body(i, version % bodies_per_source, body_size)),
                requested_url=f"https://payer{i % payers}.example/policy/{i}",
                final_url=f"https://payer{i % payers}.example/policy/{i}",
                http_status=200,
                content_type="text/html; charset=utf-8",
                fetched_at=when,
                redirects=[],
            )
            s.add(snap)
            return snap

        start = end - step * events
        latest = [snapshot(i, 0, start) for i in range(sources)]
        versions = [0] * sources
        s.flush()
        for k in range(events):
            i = k % sources
            when = start + step * (k + 1)
            versions[i] += 1
            after = snapshot(i, versions[i], when)
            s.flush()
            before_stance = STANCES[versions[i] % len(STANCES)]
            after_stance = STANCES[(versions[i] + 1) % len(STANCES)]
            operator = k % 10 == 9
            kind = "unavailable" if operator else "stance_change"
            summary = f"Payer {i % payers:03d}: esketamine {before_stance} → {after_stance} ({k})"
            s.add(
                ChangeEventRecord(
                    source_id=f"src-{i:05d}",
                    before_snapshot_id=latest[i].id,
                    after_snapshot_id=after.id,
                    detected_at=when,
                    effective_date="2026-12-01",
                    kind=kind,
                    drug="" if operator else "esketamine",
                    significant=not operator,
                    stance_before=None if operator else before_stance,
                    stance_after=None if operator else after_stance,
                    summary=summary,
                    detail=_detail(kind, "esketamine", summary, before_stance, after_stance, k),
                    review_status=review_status if not operator else "new",
                )
            )
            latest[i] = after
        for i, snap in enumerate(latest):
            s.add(
                ExtractionRecord(
                    snapshot_id=snap.id,
                    extractor_version=EXTRACTOR_VERSION,
                    outcome="ok",
                    created_at=end,
                    data={
                        "outcome": "ok",
                        "format": "html",
                        "effective_date": "2026-12-01",
                        "summaries": {
                            "esketamine": {
                                "drug": "esketamine",
                                "stance": STANCES[versions[i] % len(STANCES)],
                                "criteria": {"failed_trials": 2, "trial_weeks": 6},
                                "codes": [],
                            }
                        },
                    },
                )
            )
