"""The stored form of an extraction: compact, compressed, without blocks, and lossless otherwise."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib
from typing import Any

import pytest

from crawler.extract import extract
from crawler.extract.model import Extraction
from crawler.extract.record import (
    RecordError,
    coverage_fingerprint,
    from_legacy,
    from_record,
    load_record,
    record_columns,
    summary_from_json,
    to_record,
)
from monitor.diff.normalize import normalize
from monitor.sites.demo import ROUNDS, document

PAGES = [
    (name, page, ctype)
    for name in ROUNDS
    for page, ctype in (
        ("evergreen-ketamine.html", "text/html"),
        ("columbia-medicaid-pdl.html", "text/html"),
        ("bayside-spravato.pdf", "application/pdf"),
        ("sample-mac-esketamine.json", "application/json"),
    )
]


def _plain(ext: Extraction) -> dict[str, Any]:
    """The document as JSON would store it (tuples become lists), blocks left out."""
    data = json.loads(json.dumps(ext.to_dict()))
    data.pop("blocks")
    return data


@pytest.mark.parametrize(("round_name", "page", "ctype"), PAGES)
def test_record_keeps_everything_but_the_blocks(round_name: str, page: str, ctype: str) -> None:
    ext = extract(document(round_name, page), ctype)
    assert ext.blocks and ext.clauses
    back = from_record(to_record(ext))
    assert back.blocks == []
    assert _plain(back) == _plain(ext)
    assert back.good == ext.good


def test_record_is_small_and_holds_no_block_text() -> None:
    body = document("round1", "evergreen-ketamine.html")
    ext = extract(body, "text/html")
    record = to_record(ext)
    stored = json.dumps(json.loads(zlib.decompress(record)), ensure_ascii=False)
    clause_text = " ".join(c.text for c in ext.clauses)
    prose = [
        b.text
        for b in ext.blocks
        if b.kind != "heading" and len(b.text) > 40 and b.text not in clause_text
    ]
    assert prose, "the page has text outside its clauses"
    assert not any(text in stored for text in prose)
    assert len(record) * 10 < len(json.dumps(ext.to_dict()))


def test_coverage_heading_survives_without_blocks() -> None:
    page = b"""<html><body><h1>Ketamine infusion</h1><h2>Coverage Criteria</h2>
    <p>See the pharmacy benefit.</p></body></html>"""
    ext = extract(page, "text/html")
    assert ext.coverage_heading
    assert from_record(to_record(ext)).coverage_heading


def test_legacy_documents_load_and_derive_the_coverage_heading() -> None:
    ext = extract(document("round1", "evergreen-ketamine.html"), "text/html")
    old = json.loads(json.dumps(ext.to_dict()))
    del old["coverage_heading"]  # documents stored before the compact record lack it
    loaded = load_record(None, old)
    assert loaded.coverage_heading == ext.coverage_heading
    assert _plain(loaded) == _plain(ext)
    assert len(loaded.blocks) == len(ext.blocks)
    with pytest.raises(RecordError):
        load_record(None, None)


def test_unreadable_or_unknown_records_are_refused_with_what_to_do() -> None:
    with pytest.raises(RecordError, match="unreadable"):
        from_record(b"not a record")
    future = zlib.compress(json.dumps({"v": 99}).encode())
    with pytest.raises(RecordError, match="policywatch reextract"):
        from_record(future)


def test_fingerprint_ignores_order_case_and_unicode_variants_only() -> None:
    ext = extract(document("round1", "evergreen-ketamine.html"), "text/html")
    same = dataclasses.replace(
        ext,
        clauses=[
            dataclasses.replace(c, text=c.text.upper().replace(" ", "\u00a0"))
            for c in reversed(ext.clauses)
        ],
    )
    assert coverage_fingerprint(same) == coverage_fingerprint(ext)
    flipped = dataclasses.replace(
        ext, clauses=[dataclasses.replace(ext.clauses[0], stance="not_covered"), *ext.clauses[1:]]
    )
    assert ext.clauses[0].stance != "not_covered"
    assert coverage_fingerprint(flipped) != coverage_fingerprint(ext)
    # The diff's own normalisation, so stored fingerprints compare with the diff's view.
    parts = sorted(f"{c.drug}|{c.stance}|{normalize(c.text)}" for c in ext.clauses)
    assert coverage_fingerprint(ext).endswith(hashlib.sha256("\n".join(parts).encode()).hexdigest())


def test_summary_column_reads_like_the_documents_summaries() -> None:
    ext = extract(document("round1", "columbia-medicaid-pdl.html"), "text/html")
    columns = record_columns(ext)
    summary = summary_from_json(json.loads(json.dumps(columns["summary"])))
    assert summary.effective_date == ext.effective_date
    assert json.loads(json.dumps({k: dataclasses.asdict(v) for k, v in ext.summaries.items()})) == {
        k: dataclasses.asdict(v) for k, v in summary.summaries.items()
    }
    # A legacy document (the full JSON) reads as a summary too.
    legacy = summary_from_json(json.loads(json.dumps(ext.to_dict())))
    assert legacy == summary
    assert columns["outcome"] == ext.outcome
    assert (
        from_legacy(json.loads(json.dumps(ext.to_dict()))).summaries.keys()
        == summary.summaries.keys()
    )


def test_any_text_round_trips_even_lone_surrogates() -> None:
    ext = extract(document("round1", "evergreen-ketamine.html"), "text/html")
    odd = dataclasses.replace(
        ext,
        title="Spravato\u00ae \ud83d broken \u2265 18",
        clauses=[dataclasses.replace(ext.clauses[0], text="caf\u00e9 \udc80 \u201cquoted\u201d")],
    )
    back = from_record(to_record(odd))
    assert back.title == odd.title
    assert back.clauses[0].text == odd.clauses[0].text
