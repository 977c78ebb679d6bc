"""Extractions in the database: compact rows, rows from before migration 0005, and their readers."""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

from crawler.extract import EXTRACTOR_VERSION, extract
from crawler.extract.model import Extraction
from crawler.extract.record import RecordError, coverage_fingerprint, record_columns
from monitor.cli.archive import show
from monitor.extraction_jobs import reextract, stored_extraction, stored_fingerprints
from monitor.reports.queries import load_matrix
from monitor.sites.demo import document
from storage.blobs import sha256_hex
from storage.db import Database, alembic_config, make_engine
from storage.models import Blob, ExtractionRecord, Snapshot, Source

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
PAGE = "evergreen-ketamine.html"


def _plain(ext: Extraction) -> dict[str, Any]:
    data = json.loads(json.dumps(ext.to_dict()))
    data.pop("blocks")
    data.pop("coverage_heading")
    return data


def _migrate(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _versions() -> list[tuple[bytes, Extraction]]:
    bodies = [document(name, PAGE) for name in ("round1", "round2")]
    return [(body, extract(body, "text/html")) for body in bodies]


def _legacy_history(engine: sa.Engine, versions: list[tuple[bytes, Extraction]]) -> None:
    """A source with two versions written as policywatch wrote them at revision 0004."""
    md = sa.MetaData()
    md.reflect(engine)
    tables = md.tables
    with engine.begin() as conn:
        conn.execute(
            tables["sources"].insert(),
            {
                "id": "evergreen",
                "payer": "Evergreen Health",
                "plan_type": "commercial",
                "state": "WA",
                "document_type": "medical_policy",
                "title": "Ketamine",
                "url": "https://evergreen.example/policy.html",
                "enabled": True,
                "consecutive_failures": 0,
                "discovered": False,
            },
        )
        for n, (body, ext) in enumerate(versions, 1):
            digest = sha256_hex(body)
            conn.execute(
                tables["blobs"].insert(),
                {
                    "sha256": digest,
                    "size": len(body),
                    "compression": "zlib",
                    "data": zlib.compress(body),
                },
            )
            conn.execute(
                tables["snapshots"].insert(),
                {
                    "id": n,
                    "source_id": "evergreen",
                    "sha256": digest,
                    "size": len(body),
                    "requested_url": "https://evergreen.example/policy.html",
                    "final_url": "https://evergreen.example/policy.html",
                    "http_status": 200,
                    "content_type": "text/html",
                    "fetched_at": T0 + timedelta(days=n),
                    "redirects": [],
                },
            )
            legacy = json.loads(json.dumps(ext.to_dict()))
            del legacy["coverage_heading"]  # not a field before 0005
            conn.execute(
                tables["extractions"].insert(),
                {
                    "snapshot_id": n,
                    "extractor_version": EXTRACTOR_VERSION,
                    "outcome": ext.outcome,
                    "created_at": T0,
                    "data": legacy,
                },
            )


def _row(s: Any, snapshot_id: int) -> ExtractionRecord:
    return s.scalars(
        sa.select(ExtractionRecord).where(ExtractionRecord.snapshot_id == snapshot_id)
    ).one()


def test_rows_from_before_0005_load_compact_and_migrate_back(db_url: str) -> None:
    versions = _versions()
    exts = [ext for _, ext in versions]
    engine = make_engine(db_url)
    _migrate(engine, "0004")
    _legacy_history(engine, versions)
    _migrate(engine, "head")
    engine.dispose()

    db = Database(db_url)
    with db.session() as s:
        # The migration derived the matrix's summary; the document is still there.
        assert [_row(s, n).summary is not None for n in (1, 2)] == [True, True]
        assert _row(s, 1).record is None
        for n, ext in enumerate(exts, 1):
            loaded = stored_extraction(s, n)
            assert loaded is not None and _plain(loaded) == _plain(ext)
            assert loaded.coverage_heading == ext.coverage_heading
        matrix = {row.drug: row for row in load_matrix(s) if row.drug}
        assert matrix and {d: r.stance for d, r in matrix.items()} == {
            d: sm.stance for d, sm in exts[1].summaries.items()
        }
        assert all(r.evidence is not None and r.evidence.snapshot_id == 2 for r in matrix.values())

        # The flap check fills the fingerprints of old rows once, then reads the column.
        prints = stored_fingerprints(s, "evergreen", 3, T0)
        assert prints == {coverage_fingerprint(e) for e in exts}
        assert [_row(s, n).fingerprint for n in (1, 2)] == [coverage_fingerprint(e) for e in exts]

        # reextract rewrites them as compact records.
        counts = reextract(s, now=T0)
        assert counts["compacted"] == 2 and counts["extracted"] == 0
    with db.session() as s:
        for n, ext in enumerate(exts, 1):
            row = _row(s, n)
            assert row.record is not None and row.data is None
            loaded = stored_extraction(s, n)
            assert loaded is not None and _plain(loaded) == _plain(ext) and loaded.blocks == []
        assert reextract(s, now=T0)["compacted"] == 0
    db.dispose()

    # Down to 0004: compact rows get their document back (without blocks), then up again.
    engine = make_engine(db_url)
    _migrate(engine, "0004", down=True)
    md = sa.MetaData()
    md.reflect(engine)
    with engine.connect() as conn:
        docs = conn.execute(
            sa.select(md.tables["extractions"].c.data).order_by(
                md.tables["extractions"].c.snapshot_id
            )
        ).scalars()
        for doc, ext in zip(docs, exts, strict=True):
            assert doc["blocks"] == []
            assert doc["clauses"] == _plain(ext)["clauses"]
    _migrate(engine, "head")
    engine.dispose()
    db = Database(db_url)
    with db.session() as s:
        loaded = stored_extraction(s, 2)
        assert loaded is not None and _plain(loaded) == _plain(exts[1])
    db.dispose()


def _compact_history(db_url: str) -> tuple[Database, Extraction, bytes]:
    body, ext = _versions()[1]
    db = Database(db_url)
    with db.session() as s:
        s.add(
            Source(
                id="evergreen",
                payer="Evergreen Health",
                plan_type="commercial",
                state="WA",
                document_type="medical_policy",
                title="Ketamine",
                url="https://evergreen.example/policy.html",
            )
        )
        digest = sha256_hex(body)
        s.add(Blob(sha256=digest, size=len(body), data=zlib.compress(body)))
        s.flush()
        snap = Snapshot(
            id=1,
            source_id="evergreen",
            sha256=digest,
            size=len(body),
            requested_url="https://evergreen.example/policy.html",
            final_url="https://evergreen.example/policy.html",
            http_status=200,
            content_type="text/html",
            fetched_at=T0,
            redirects=[],
        )
        s.add(snap)
        s.flush()
        s.add(
            ExtractionRecord(
                snapshot_id=1,
                extractor_version=EXTRACTOR_VERSION,
                created_at=T0,
                **record_columns(ext),
            )
        )
    return db, ext, body


def test_matrix_reads_the_summary_not_the_record(db_url: str) -> None:
    db, ext, _ = _compact_history(db_url)
    with db.session() as s:
        _row(s, 1).record = b"damaged"
    with db.session() as s:
        with pytest.raises(RecordError):
            stored_extraction(s, 1)
        rows = {row.drug: row.stance for row in load_matrix(s)}
    db.dispose()
    assert rows == {d: sm.stance for d, sm in ext.summaries.items()}


def test_show_recomputes_blocks_from_the_archived_bytes(sqlite_url: str) -> None:
    db, ext, body = _compact_history(sqlite_url)
    db.dispose()
    runner = CliRunner()
    plain = runner.invoke(show, ["1", "--db", sqlite_url, "--json"])
    assert plain.exit_code == 0, plain.output
    shown = json.loads(plain.output)["extraction"]
    assert "blocks" not in shown
    assert [c["text"] for c in shown["clauses"]] == [c.text for c in ext.clauses]

    full = runner.invoke(show, ["1", "--db", sqlite_url, "--json", "--blocks"])
    assert full.exit_code == 0, full.output
    blocks = json.loads(full.output)["extraction"]["blocks"]
    assert blocks == json.loads(json.dumps([asdict(b) for b in extract(body, "text/html").blocks]))

    table = runner.invoke(show, ["1", "--db", sqlite_url, "--blocks"], terminal_width=200)
    assert table.exit_code == 0, table.output
    # Not a terminal: the blocks come as tab-separated lines under a header (one per block).
    assert "#\tkind\tsection\ttext" in table.output
