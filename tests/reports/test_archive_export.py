"""Evidence export reads blobs a batch at a time: every body right, damage confined to its file."""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import update

from monitor.reports.archive import EXPORTED, archive_name, export_snapshots
from monitor.reports.model import VersionRef
from storage.blobs import READ_BATCH, put_blob
from storage.db import Database
from storage.models import Blob


def _ref(i: int, body: bytes) -> VersionRef:
    return VersionRef(
        snapshot_id=i,
        sha256=hashlib.sha256(body).hexdigest(),
        fetched_at=datetime(2026, 11, 30, tzinfo=UTC),
        url=f"https://payer.example/p/{i}.pdf",
        content_type="application/pdf",
        size=len(body),
    )


def test_export_over_several_batches_keeps_bytes_and_confines_damage(tmp_path: Path) -> None:
    bodies = [f"%PDF-1.7 policy {i} ".encode() * (50 + i) for i in range(2 * READ_BATCH + 7)]
    refs = [_ref(i, b) for i, b in enumerate(bodies, 1)]
    missing = _ref(10_000, b"%PDF never stored")
    db = Database(f"sqlite:///{tmp_path / 'a.sqlite'}")
    with db.session() as s:
        for body in bodies:
            put_blob(s, body)
    damaged, forged = refs[READ_BATCH + 3], refs[5]
    with db.session() as s:
        s.execute(update(Blob).where(Blob.sha256 == damaged.sha256).values(data=b"not zlib"))
        s.execute(
            update(Blob)
            .where(Blob.sha256 == forged.sha256)
            .values(data=zlib.compress(b"%PDF forged coverage"))
        )
    out = tmp_path / "archive"
    with db.session() as s:
        cited = [*refs, refs[0], missing]  # a repeat is exported (and listed) once
        paths = export_snapshots(s, cited, out)
    db.dispose()

    assert [p.name for p in paths] == [archive_name(r) for r in [*refs, missing]]
    bad = {damaged.sha256, forged.sha256, missing.sha256}
    for ref, path in zip([*refs, missing], paths, strict=True):
        data = path.read_bytes()
        if ref.sha256 in bad:
            assert data.startswith(b"DAMAGED EVIDENCE: snapshot %d" % ref.snapshot_id)
        else:
            assert hashlib.sha256(data).hexdigest() == ref.sha256
    listed = (out / EXPORTED).read_text().split()
    assert sorted(listed) == sorted(archive_name(r) for r in refs if r.sha256 not in bad)
    note = (out / archive_name(damaged)).read_text()
    assert "stored data is damaged" in note
    assert "do not match sha256" in (out / archive_name(forged)).read_text()
    assert "missing from the database" in (out / archive_name(missing)).read_text()
