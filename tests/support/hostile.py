"""A Medicaid source whose every text field is an attack: for the report, publish and web tests."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

from crawler.extract import EXTRACTOR_VERSION
from storage.blobs import sha256_hex
from storage.db import Database
from storage.models import Blob, ChangeEventRecord, ExtractionRecord, Snapshot, Source

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

# Crawled text is hostile: every field a payer controls gets markup, formulas and Markdown.
EVIL_PAYER = '=HYPERLINK("http://evil.example/x","click")'
EVIL_SCRIPT = "<script>document.body.setAttribute('data-pwned','1')</script>"
EVIL_IMG = "<img src=x onerror=\"document.body.setAttribute('data-pwned','2')\">"
EVIL_MD = "[click me](javascript:alert(1)) **bold** # heading\n# injected heading"


def add_hostile(database: Database) -> None:
    """A Medicaid source whose every text field is an attack, with a good version and an event."""
    body = f"<html><body><h1>{EVIL_SCRIPT}</h1></body></html>".encode()
    digest = sha256_hex(body)
    with database.session() as s:
        s.add(
            Source(
                id="evil",
                payer=EVIL_PAYER,
                plan_type="medicaid",
                state="TX",
                document_type="pdl",
                title=EVIL_SCRIPT,
                url="javascript:alert(1)",
                last_checked_at=NOW,
                health="ok",
            )
        )
        s.add(Blob(sha256=digest, size=len(body), compression="zlib", data=zlib.compress(body)))
        s.flush()
        snaps = []
        for _ in range(2):
            snap = Snapshot(
                source_id="evil",
                sha256=digest,
                size=len(body),
                requested_url="http://evil.example/pdl",
                final_url="http://evil.example/pdl",
                http_status=200,
                content_type="text/html",
                fetched_at=NOW,
                redirects=[],
            )
            s.add(snap)
            snaps.append(snap)
        s.flush()
        s.add(
            ExtractionRecord(
                snapshot_id=snaps[1].id,
                extractor_version=EXTRACTOR_VERSION,
                outcome="ok",
                created_at=NOW,
                data={
                    "outcome": "ok",
                    "format": "html",
                    "effective_date": "+2026-01-01",
                    "summaries": {
                        "esketamine": {
                            "drug": "esketamine",
                            "stance": "not_covered",
                            "criteria": {"prescriber": "@SUM(1+1)", "quantity_limits": ["-1+1"]},
                            "codes": [],
                        }
                    },
                },
            )
        )
        summary = f"{EVIL_PAYER}: {EVIL_SCRIPT} {EVIL_MD}\x0b"
        s.add(
            ChangeEventRecord(
                source_id="evil",
                before_snapshot_id=snaps[0].id,
                after_snapshot_id=snaps[1].id,
                detected_at=NOW,
                effective_date="2026-01-01",
                kind="stance_change",
                drug="esketamine",
                significant=True,
                stance_before="preferred",
                stance_after="not_covered",
                summary=summary,
                detail={
                    "kind": "stance_change",
                    "drug": "esketamine",
                    "summary": summary,
                    "stance_before": "preferred",
                    "stance_after": "not_covered",
                    "criteria_before": {"prescriber": EVIL_IMG},
                    "criteria_after": {"prescriber": "psychiatrist"},
                    "clause_changes": [
                        {
                            "op": "modified",
                            "before": f"Covered {EVIL_IMG}",
                            "after": f"Not covered {EVIL_SCRIPT}",
                            "section": EVIL_SCRIPT,
                            "redline": "",
                            "tokens": [
                                ["delete", f"Covered {EVIL_IMG}"],
                                ["insert", f"Not covered {EVIL_SCRIPT}"],
                            ],
                        }
                    ],
                },
            )
        )
