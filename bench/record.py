"""Cost of storing an extraction: the full JSON document (before 0005) against the compact record.

    python bench/record.py [--sources 100] [--versions 10] [--repeat 50]

Extracts one ~200 KB policy page (``bench/extract.py``'s realistic page) and prints, for the
legacy form (``Extraction.to_dict`` as JSON in the ``data`` column, what policywatch stored
before migration 0005) and the compact form (``crawler.extract.record``: compressed record
without blocks, per-drug summary, fingerprint):

- bytes per stored extraction;
- CPU ms to serialise one extraction and to load it back (best of ``--repeat``, CPU time of
  this thread, so the figures hold on a busy machine);
- the SQLite file size of ``--sources`` x ``--versions`` stored versions (distinct raw pages,
  compressed, plus their extraction rows) written through the real schema and models.

Always exits 0; the figures are for reading, not a pass/fail gate.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from extract import build_html

from crawler.extract import EXTRACTOR_VERSION, extract
from crawler.extract.model import Extraction
from crawler.extract.record import from_record, record_columns


def _best_ms(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best * 1000


def _legacy_columns(ext: Extraction) -> dict[str, Any]:
    return {"outcome": ext.outcome, "data": ext.to_dict()}


def _variant(ext: Extraction, n: int) -> Extraction:
    """A distinct version of the page's extraction (its clause text and dates move)."""
    from dataclasses import replace

    clauses = [replace(c, text=f"{c.text} (rev {n})") for c in ext.clauses]
    return replace(ext, clauses=clauses, last_reviewed=f"2026-{1 + n % 12:02d}-01")


def _sqlite_size(
    page: bytes, ext: Extraction, sources: int, versions: int, columns: Callable[..., Any]
) -> tuple[int, int]:
    """(file bytes, bytes of the extraction rows' payload) of a history written as ``columns``."""
    from sqlalchemy import insert

    from storage.blobs import sha256_hex
    from storage.db import Database
    from storage.models import Blob, ExtractionRecord, Snapshot, Source

    now = datetime.now(UTC)
    payload = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite"
        db = Database(f"sqlite:///{path}")
        snap_id = 0
        for i in range(sources):
            with db.session() as s:
                s.add(
                    Source(
                        id=f"src-{i:04d}",
                        payer=f"Payer {i}",
                        plan_type="commercial",
                        state="US",
                        document_type="drug_policy",
                        title=f"Policy {i}",
                        url=f"https://payer{i}.example/p.html",
                    )
                )
                blobs, snaps, rows = [], [], []
                for v in range(versions):
                    body = page.replace(
                        b"</body>", f"<p>source {i} version {v}</p></body>".encode()
                    )
                    digest = sha256_hex(body)
                    blobs.append(
                        {
                            "sha256": digest,
                            "size": len(body),
                            "compression": "zlib",
                            "data": zlib.compress(body),
                        }
                    )
                    snap_id += 1
                    snaps.append(
                        {
                            "id": snap_id,
                            "source_id": f"src-{i:04d}",
                            "sha256": digest,
                            "size": len(body),
                            "requested_url": f"https://payer{i}.example/p.html",
                            "final_url": f"https://payer{i}.example/p.html",
                            "http_status": 200,
                            "content_type": "text/html",
                            "fetched_at": now,
                            "redirects": [],
                        }
                    )
                    cols = columns(_variant(ext, i * versions + v))
                    payload += len(cols.get("record") or b"")
                    payload += len(json.dumps(cols.get("data") or cols.get("summary")))
                    rows.append(
                        {
                            "snapshot_id": snap_id,
                            "extractor_version": EXTRACTOR_VERSION,
                            "created_at": now,
                            **cols,
                        }
                    )
                s.flush()
                s.execute(insert(Blob), blobs)
                s.execute(insert(Snapshot), snaps)
                s.execute(insert(ExtractionRecord), rows)
        costs = _read_costs(db, snap_id)
        db.dispose()
        return path.stat().st_size, payload, *costs


def _read_costs(db: Any, snapshots: int) -> tuple[float, float, float]:
    """CPU ms to read one extraction from the database, to build the whole matrix, and to
    collect the flap check's fingerprints of one source's whole history.

    Rows of the legacy form are read as the code before 0005 read them (one query for the row
    and its document, ``Extraction.from_dict``; the flap check loaded and fingerprinted every
    version), compact rows through ``stored_extraction`` and ``stored_fingerprints``.
    """
    from sqlalchemy import select

    from crawler.extract.record import coverage_fingerprint
    from monitor.extraction_jobs import stored_extraction, stored_fingerprints
    from monitor.reports.queries import load_matrix
    from storage.models import ExtractionRecord, Snapshot

    ids = range(1, snapshots + 1, max(1, snapshots // 100))
    with db.session() as s:
        legacy = s.scalar(select(ExtractionRecord.record).limit(1)) is None
        t0 = time.thread_time()
        for n in ids:
            if legacy:
                data = s.scalar(
                    select(ExtractionRecord.data).where(ExtractionRecord.snapshot_id == n)
                )
                assert data is not None
                Extraction.from_dict(data)
            else:
                stored_extraction(s, n)
        load_ms = (time.thread_time() - t0) * 1000 / len(ids)
    with db.session() as s:
        t0 = time.thread_time()
        load_matrix(s)
        matrix_ms = (time.thread_time() - t0) * 1000
    since = datetime(2000, 1, 1, tzinfo=UTC)
    with db.session() as s:
        t0 = time.thread_time()
        if legacy:
            history = s.scalars(
                select(ExtractionRecord.data)
                .join(Snapshot, Snapshot.id == ExtractionRecord.snapshot_id)
                .where(Snapshot.source_id == "src-0000")
            )
            {coverage_fingerprint(Extraction.from_dict(d)) for d in history if d is not None}
        else:
            stored_fingerprints(s, "src-0000", snapshots + 1, since)
        flap_ms = (time.thread_time() - t0) * 1000
    return load_ms, matrix_ms, flap_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    page = build_html(200_000)
    ext = extract(page, "text/html")
    print(
        f"page: {len(page) / 1000:.0f} KB HTML ({len(zlib.compress(page)) / 1000:.1f} KB "
        f"compressed), {len(ext.blocks)} blocks, {len(ext.clauses)} clauses, {ext.outcome}"
    )

    legacy = json.dumps(ext.to_dict())
    compact = record_columns(ext)
    summary = json.dumps(compact["summary"])
    print("\nbytes per stored extraction")
    print(f"  before (JSON document, data column): {len(legacy):>9,}")
    print(
        f"  after  (record + summary + fingerprint): {len(compact['record']):,} + "
        f"{len(summary):,} + {len(compact['fingerprint'])} = "
        f"{len(compact['record']) + len(summary) + len(compact['fingerprint']):,}"
    )

    ser_before = _best_ms(lambda: json.dumps(ext.to_dict()), args.repeat)
    ser_after = _best_ms(lambda: record_columns(ext), args.repeat)
    load_before = _best_ms(lambda: Extraction.from_dict(json.loads(legacy)), args.repeat)
    record = compact["record"]
    load_after = _best_ms(lambda: from_record(record), args.repeat)
    print(f"\nCPU ms per extraction (best of {args.repeat})")
    print(f"  serialise: before {ser_before:6.2f}   after {ser_after:6.2f}")
    print(f"  load:      before {load_before:6.2f}   after {load_after:6.2f}")

    n = args.sources * args.versions
    print(f"\nSQLite file, {args.sources} sources x {args.versions} versions ({n} snapshots)")
    for name, columns in (("before", _legacy_columns), ("after", record_columns)):
        size, payload, load_ms, matrix_ms, flap_ms = _sqlite_size(
            page, ext, args.sources, args.versions, columns
        )
        print(
            f"  {name:6}: {size / 1e6:7.1f} MB file, extraction payload {payload / 1e6:6.1f} MB "
            f"({payload / n / 1000:.1f} KB per version)\n"
            f"          CPU ms: one extraction read from the database {load_ms:.2f}; "
            f"coverage matrix of {args.sources} sources {matrix_ms:.0f}; "
            f"flap-check fingerprints of one source's {args.versions} versions {flap_ms:.1f}"
        )


if __name__ == "__main__":
    main()
