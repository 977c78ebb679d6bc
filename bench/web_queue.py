"""Time the review queue (filters, counts and clause-text search) over many stored events.

    python bench/web_queue.py [--events 5000] [--repeat 5] [--db URL]

The queue filters structured fields in SQL and searches clause text in Python (the texts live
in each event's JSON detail, which SQLite and PostgreSQL search differently). This prints how
long one queue page takes to compute over ``--events`` significant events, without and with a
search, on a throwaway SQLite file unless ``--db`` names another (empty) database.
Target: filters and selective searches well under 1 s for 5,000 events, so the queue stays
interactive; a search that matches nearly every event (the worst case) about 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.web.queue import Filters, run_queue
from storage.db import Database
from storage.models import Blob, ChangeEventRecord, Snapshot, Source

# A small vocabulary, so a broad search matches nearly every event (the worst case).
WORDS = [
    "member", "diagnosis", "major", "depressive", "disorder", "inadequate", "response",
    "antidepressant", "trial", "weeks", "psychiatrist", "prescribed", "monitored", "REMS",
    "certified", "healthcare", "setting", "approval", "months",
]  # fmt: skip


def _clause(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(45))


def fill(db: Database, events: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with db.session() as s:
        s.add(Blob(sha256="0" * 64, size=1, data=zlib.compress(b"x")))
        for i in range(50):
            s.add(
                Source(
                    id=f"src-{i}",
                    payer=f"Payer {i % 17}",
                    plan_type="commercial",
                    state="US",
                    document_type="medical_policy",
                    title="t",
                    url="http://x",
                )
            )
        s.flush()
        snap = Snapshot(
            source_id="src-0",
            sha256="0" * 64,
            size=1,
            requested_url="u",
            final_url="u",
            http_status=200,
            fetched_at=now,
            redirects=[],
        )
        s.add(snap)
        s.flush()
        for i in range(events):
            changes = [
                {
                    "op": "modified",
                    "before": _clause(rng),
                    "after": _clause(rng),
                    "section": "Criteria",
                }
                for _ in range(3)
            ]
            if i % 100 == 0:  # 1%: a selective search, as analysts mostly make
                changes[0]["after"] += " Spravato may be used as monotherapy."
            s.add(ChangeEventRecord(
                source_id=f"src-{i % 50}", before_snapshot_id=None, after_snapshot_id=snap.id,
                detected_at=now - timedelta(hours=i), kind="criteria_change",
                drug=rng.choice(["ketamine", "esketamine"]), significant=True,
                stance_before="covered_with_criteria", stance_after="covered_with_criteria",
                summary=f"Payer {i % 17}: criteria changed", detail={"clause_changes": changes},
                review_status=rng.choice(["new", "new", "confirmed", "dismissed"]),
            ))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default=None, help="an empty database URL (default: SQLite temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        fill(db, args.events)
        for label, f in (
            ("all new significant changes", Filters(status="new")),
            ("search 'monotherapy' (1%)", Filters(q="monotherapy")),
            ("search 'REMS certified' (all)", Filters(q="REMS certified")),
            ("drug filter + search", Filters(drug="esketamine", q="psychiatrist monitored")),
        ):
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                with db.session() as s:
                    result = run_queue(s, f)
                times.append(time.perf_counter() - start)
            print(f"{label:32} {args.events:>6} events: median {statistics.median(times):.3f} s "
                  f"(min {min(times):.3f}), {result.total} match")  # fmt: skip
        db.dispose()


if __name__ == "__main__":
    main()
