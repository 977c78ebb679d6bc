"""The queue's filters, counts and clause search on SQLite and PostgreSQL."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

from monitor.web.queue import Filters, next_in_queue, run_queue
from storage.db import Database
from storage.models import Blob, ChangeEventRecord, Snapshot, Source

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CLAUSES = {
    "mono": "SPRAVATO® may be used as monotherapy or with an oral antidepressant.",
    "pdl": "Spravato (esketamine) nasal spray — non‑preferred agent",  # non-breaking hyphen
    "age": "Members aged 18 years or older with treatment-resistant depression.",
}


def _fill(db: Database) -> dict[str, int]:
    ids = {}
    with db.session() as s:
        s.add(Blob(sha256="0" * 64, size=1, data=zlib.compress(b"x")))
        for state in ("OR", "TX"):
            s.add(
                Source(
                    id=f"s-{state}",
                    payer=f"Payer {state}",
                    plan_type="medicaid",
                    state=state,
                    document_type="pdl",
                    title="t",
                    url="http://127.0.0.1/",
                )
            )
        s.flush()
        snap = Snapshot(
            source_id="s-OR",
            sha256="0" * 64,
            size=1,
            requested_url="u",
            final_url="u",
            http_status=200,
            fetched_at=NOW,
            redirects=[],
        )
        s.add(snap)
        s.flush()
        for n, (name, text) in enumerate(CLAUSES.items()):
            ev = ChangeEventRecord(
                source_id="s-TX" if name == "pdl" else "s-OR",
                after_snapshot_id=snap.id,
                detected_at=NOW - timedelta(days=n),
                kind="criteria_change",
                drug="esketamine",
                significant=True,
                stance_before="non_preferred" if name == "pdl" else None,
                stance_after="preferred" if name == "pdl" else None,
                summary=f"{name} changed",
                detail={"clause_changes": [{"op": "modified", "before": "", "after": text}]},
                review_status="confirmed" if name == "age" else "new",
            )
            s.add(ev)
            s.flush()
            ids[name] = ev.id
        s.add(ChangeEventRecord(source_id="s-OR", after_snapshot_id=snap.id, detected_at=NOW,
                                kind="moved", drug="", significant=False, summary="moved",
                                detail={}))  # fmt: skip
    return ids  # fmt: skip


def _found(db: Database, **filters: str) -> set[int]:
    with db.session() as s:
        return {ev.id for ev, _ in run_queue(s, Filters(**filters)).rows}


def test_queue_filters_counts_and_folded_clause_search(db_url: str) -> None:
    db = Database(db_url)
    ids = _fill(db)
    assert _found(db) == set(ids.values())  # coverage changes only
    assert len(_found(db, scope="all")) == 4
    assert _found(db, state="TX") == {ids["pdl"]} == _found(db, stance="non_preferred")
    assert _found(db, q="monotherapy spravato") == {ids["mono"]}  # words in any order, any case
    assert _found(db, q="non-preferred") == {ids["pdl"]}  # Unicode hyphen folded
    assert _found(db, q="Spravato®") == {ids["mono"], ids["pdl"]}  # the ® sign folds away
    assert _found(db, q="treatment-resistant  DEPRESSION") == {ids["age"]}
    assert _found(db, q="monotherapy", status="confirmed") == set()
    assert _found(db, since="2026-11-30", until="2026-12-01") == {ids["mono"], ids["pdl"]}
    with db.session() as s:
        result = run_queue(s, Filters(status="new"))
        assert result.counts == {"new": 2, "confirmed": 1} and result.total == 2
        searched = run_queue(s, Filters(q="spravato"))
        assert searched.counts == {"new": 2} and searched.total == 2
        # New significant changes first, newest first; "next" skips the one just reviewed.
        assert [ev.id for ev, _ in run_queue(s, Filters()).rows] == [
            ids["mono"], ids["pdl"], ids["age"]
        ]  # fmt: skip
        assert next_in_queue(s, Filters(), ids["mono"]) == ids["pdl"]
        assert next_in_queue(s, Filters(q="monotherapy"), ids["mono"]) is None
    db.dispose()
