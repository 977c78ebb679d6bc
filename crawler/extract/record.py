"""The stored form of an extraction: compact, compressed, without its blocks.

The blocks are nearly all of an extraction's size (a 200 KB policy page: ~200 KB of block JSON
beside ~5 KB of facts and clauses) and nothing after extraction needs them but people (``show
--blocks``, the table row of a PDL move on the change page). They are recomputed from the raw
snapshot, which is archived anyway, so a record keeps only what the diff and the reports read:
the facts, the clauses and the per-drug summaries, as JSON with one-letter keys and positional
clause rows, zlib-compressed.

Beside the record the database keeps two small columns so that hot readers never open it: the
per-drug summary the coverage matrix reads (:func:`summary_of`) and the coverage fingerprint the
flap check compares (:func:`coverage_fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from .model import Clause, DrugSummary, Extraction
from .sections import has_coverage_heading
from .text import fold_unicode

# Bump when the layout of a record changes; a reader refuses a format it does not know rather
# than guess (the raw snapshot is kept, so ``reextract`` can always rebuild the record).
RECORD_FORMAT = 1
# Bump when what the fingerprint covers changes: stored fingerprints of another format are
# recomputed instead of compared.
FINGERPRINT_FORMAT = "1"

_ZLIB_LEVEL = 6  # level 9 saves ~1% more on these records and costs twice the CPU


class RecordError(ValueError):
    """A stored record this code cannot read."""


@dataclass(frozen=True)
class RecordSummary:
    """What the coverage matrix reads of a version: its effective date and per-drug summaries."""

    effective_date: str | None
    summaries: dict[str, DrugSummary] = field(default_factory=dict)


def to_record(ext: Extraction) -> bytes:
    """The compressed record of ``ext`` (its blocks are left out)."""
    doc = {
        "v": RECORD_FORMAT,
        "o": ext.outcome,
        "f": ext.format,
        "t": ext.title,
        "n": ext.policy_number,
        "e": ext.effective_date,
        "r": ext.last_reviewed,
        "m": ext.message,
        "l": ext.text_length,
        "h": ext.coverage_heading,
        "c": [
            [c.text, c.drug, c.stance, c.type, c.section, c.path, c.indication, c.codes]
            for c in ext.clauses
        ],
        "s": {k: [s.drug, s.stance, s.criteria, s.codes] for k, s in ext.summaries.items()},
    }
    # ASCII escapes: text read from a PDF can hold lone surrogates, which UTF-8 cannot encode.
    text = json.dumps(doc, separators=(",", ":"))
    return zlib.compress(text.encode("ascii"), _ZLIB_LEVEL)


def from_record(record: bytes) -> Extraction:
    """The extraction stored as ``record``, without blocks (see :func:`to_record`)."""
    try:
        doc = json.loads(zlib.decompress(record))
    except (zlib.error, ValueError) as exc:
        raise RecordError(f"unreadable extraction record: {exc}") from None
    if not isinstance(doc, dict) or doc.get("v") != RECORD_FORMAT:
        version = doc.get("v") if isinstance(doc, dict) else None
        raise RecordError(
            f"extraction record format {version!r} is not {RECORD_FORMAT}; "
            "run `policywatch reextract` to rebuild the records"
        )
    return Extraction(
        outcome=doc["o"],
        format=doc["f"],
        title=doc["t"],
        policy_number=doc["n"],
        effective_date=doc["e"],
        last_reviewed=doc["r"],
        clauses=[Clause(*row) for row in doc["c"]],
        summaries={k: DrugSummary(*row) for k, row in doc["s"].items()},
        message=doc["m"],
        text_length=doc["l"],
        coverage_heading=doc["h"],
    )


def from_legacy(data: dict[str, Any]) -> Extraction:
    """An extraction stored by an older policywatch as the full document JSON (with blocks)."""
    ext = Extraction.from_dict(data)
    if "coverage_heading" not in data:
        ext.coverage_heading = has_coverage_heading(ext.blocks)
    return ext


def load_record(record: bytes | None, legacy: dict[str, Any] | None) -> Extraction:
    """The extraction of a stored row: its compact record, or an older row's full JSON."""
    if record is not None:
        return from_record(bytes(record))
    if legacy is not None:
        return from_legacy(legacy)
    raise RecordError("extraction row has neither a record nor legacy data")


def summary_of(ext: Extraction) -> dict[str, Any]:
    """The small JSON kept beside a record for the matrix (see :func:`summary_from_json`)."""
    return {
        "effective_date": ext.effective_date,
        "summaries": {
            k: {"drug": s.drug, "stance": s.stance, "criteria": s.criteria, "codes": s.codes}
            for k, s in ext.summaries.items()
        },
    }


def summary_from_json(data: dict[str, Any]) -> RecordSummary:
    """Reads :func:`summary_of`'s JSON, and an older row's full document JSON alike."""
    return RecordSummary(
        effective_date=data.get("effective_date"),
        summaries={k: DrugSummary(**v) for k, v in (data.get("summaries") or {}).items()},
    )


def coverage_fingerprint(ext: Extraction) -> str:
    """What a version says about coverage, independent of layout and wording order.

    Clause texts are compared case- and Unicode-folded, as the diff compares them.
    """
    parts = sorted(f"{c.drug}|{c.stance}|{fold_unicode(c.text).lower()}" for c in ext.clauses)
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"{FINGERPRINT_FORMAT}:{digest}"


def fingerprint_current(stored: str) -> bool:
    """Whether a stored fingerprint was made by this code's :func:`coverage_fingerprint`."""
    return stored.startswith(f"{FINGERPRINT_FORMAT}:")


def record_columns(ext: Extraction) -> dict[str, Any]:
    """The columns of an extraction row that hold ``ext`` (for ``ExtractionRecord(**...)``)."""
    return {
        "outcome": ext.outcome,
        "record": to_record(ext),
        "summary": summary_of(ext),
        "fingerprint": coverage_fingerprint(ext),
    }
