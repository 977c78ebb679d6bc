"""New versions stored as zstd deltas against a whole base: reads, checks, backups, migrations."""

from __future__ import annotations

import json
import random
import zlib
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text

from storage.backup import backup, restore
from storage.blobs import DELTA, WHOLE, BlobIntegrityError, put_blob, read_blob, sha256_hex
from storage.db import Database, alembic_config, current_revision, head_revision
from storage.integrity import check_database
from storage.models import Blob


def _policy(version: int, extra: str = "") -> bytes:
    """A policy page of ~60 KB whose versions differ in one line, as real revisions do."""
    rng = random.Random(7)
    words = ["ketamine", "esketamine", "criteria", "prior", "authorization", "member", "REMS"]
    paragraphs = [" ".join(rng.choice(words) for _ in range(40)) for _ in range(200)]
    paragraphs[100] = f"Revision {version}: trials of two (2) antidepressants{extra}."
    return ("<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>").encode()


def _row(db: Database, sha: str) -> tuple[str, str | None]:
    with db.session() as s:
        blob = s.get(Blob, sha)
        assert blob is not None
        return blob.compression, blob.base_sha256


def _store(db: Database, body: bytes, base: str | None = None) -> str:
    with db.session() as s:
        return put_blob(s, body, base_sha256=base)


def _read(db: Database, sha: str) -> bytes:
    with db.session() as s:
        return read_blob(s, sha)


def test_a_new_version_is_a_small_delta_that_reads_back_exactly(db_url: str) -> None:
    db = Database(db_url)
    v0, v1 = _policy(0), _policy(1)
    first = _store(db, v0)
    second = _store(db, v1, base=first)
    assert second == sha256_hex(v1)  # still addressed by the full body
    assert _row(db, first) == (WHOLE, None)
    assert _row(db, second) == (DELTA, first)
    with db.session() as s:
        data = s.scalars(select(Blob.data).where(Blob.sha256 == second)).one()
    assert 2 * len(data) <= len(zlib.compress(v1, 6))
    assert _read(db, first) == v0 and _read(db, second) == v1
    db.dispose()


def test_chains_stay_one_deep_over_five_versions(db_url: str) -> None:
    db = Database(db_url)
    shas = [_store(db, _policy(0))]
    for version in range(1, 5):
        shas.append(_store(db, _policy(version), base=shas[-1]))  # the previous version
    assert _row(db, shas[0]) == (WHOLE, None)
    for sha in shas[1:]:
        assert _row(db, sha) == (DELTA, shas[0])
    assert [_read(db, sha) for sha in shas] == [_policy(v) for v in range(5)]
    db.dispose()


def test_a_rewrite_is_stored_whole(db_url: str) -> None:
    db = Database(db_url)
    first = _store(db, _policy(0))
    rng = random.Random(3)
    rewrite = " ".join(f"{rng.random():.12f}" for _ in range(4000)).encode()
    second = _store(db, rewrite, base=first)
    assert _row(db, second) == (WHOLE, None)
    assert _read(db, second) == rewrite
    # A body identical to its own base's base never becomes a delta of itself.
    third = _store(db, _policy(1), base=first)
    assert _store(db, _policy(0), base=third) == first
    assert _read(db, first) == _policy(0)
    db.dispose()


def test_db_check_reports_a_delta_whose_base_is_missing(db_url: str) -> None:
    db = Database(db_url)
    first = _store(db, _policy(0))
    second = _store(db, _policy(1), base=first)
    with db.session() as s:
        # No snapshot names either, but the base is in use by the delta.
        problems = check_database(db.engine, s)
        assert [(p.kind, p.where) for p in problems] == [("orphan_blob", f"blob {second}")]
        s.execute(delete(Blob).where(Blob.sha256 == first))
    with db.session() as s:
        problems = check_database(db.engine, s)
    missing = [p for p in problems if p.kind == "missing_base"]
    assert len(missing) == 1 and missing[0].where == f"blob {second}"
    assert first[:16] in missing[0].detail
    with pytest.raises(BlobIntegrityError, match="missing"):
        _read(db, second)
    db.dispose()


def test_db_check_reports_a_delta_whose_base_is_damaged(db_url: str) -> None:
    db = Database(db_url)
    first = _store(db, _policy(0))
    second = _store(db, _policy(1), base=first)
    with db.session() as s:
        s.get(Blob, first).data = zlib.compress(b"<html>forged</html>")  # type: ignore[union-attr]
    with db.session() as s:
        damaged = {p.where for p in check_database(db.engine, s) if p.kind == "damaged_blob"}
    assert damaged == {f"blob {first}", f"blob {second}"}
    with pytest.raises(BlobIntegrityError, match=f"its base {first[:16]} is damaged"):
        _read(db, second)
    db.dispose()


def test_backup_and_restore_keep_deltas_readable(
    db_url: str, fresh_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    shas = [_store(db, _policy(0))]
    for version in range(1, 4):
        shas.append(_store(db, _policy(version), base=shas[-1]))
    path = tmp_path / "backup.pw"
    kind = backup(db.engine, path)
    db.dispose()
    if kind == "jsonl":  # every base is written before the deltas that need it
        rows = [json.loads(line) for line in path.read_text().splitlines()[1:]]
        order = [r["r"]["sha256"] for r in rows if r["t"] == "blobs"]
        assert order.index(shas[0]) < min(order.index(sha) for sha in shas[1:])
    assert kind == ("sqlite" if db_url.startswith("sqlite") else "jsonl")
    fresh = Database(fresh_url)
    counts = restore(path, fresh.engine)
    assert counts["blobs"] == 4
    assert _row(fresh, shas[2]) == (DELTA, shas[0])
    assert [_read(fresh, sha) for sha in shas] == [_policy(v) for v in range(4)]
    with fresh.session() as s:
        assert {p.kind for p in check_database(fresh.engine, s)} == {"orphan_blob"}
    fresh.dispose()


def test_downgrade_rewrites_deltas_whole_and_upgrade_again(db_url: str) -> None:
    from alembic import command

    db = Database(db_url)
    first = _store(db, _policy(0))
    second = _store(db, _policy(1), base=first)
    cfg = alembic_config(db.engine)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    assert current_revision(db.engine) == "0005"
    with db.engine.connect() as conn:
        rows = {r.sha256: r.compression for r in conn.execute(text("SELECT * FROM blobs"))}
        data = conn.execute(
            text("SELECT data FROM blobs WHERE sha256 = :s"), {"s": second}
        ).scalar_one()
    assert rows == {first: "zlib", second: "zlib"}
    assert zlib.decompress(data) == _policy(1)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert current_revision(db.engine) == head_revision(db.engine)
    assert _row(db, second) == (WHOLE, None) and _read(db, second) == _policy(1)
    db.dispose()


def test_read_blobs_reads_deltas_in_bulk_as_read_blob_does(db_url: str) -> None:
    """The bulk reader gives each body in the asked order, across batches and threads; a
    damaged or missing base spoils only the deltas built on it, each named as damaged."""
    from concurrent.futures import ThreadPoolExecutor

    from storage.blobs import READ_BATCH, read_blobs

    db = Database(db_url)
    sources = 3
    bodies: list[bytes] = []
    shas: list[str] = []
    bases: list[str] = []
    for src in range(sources):
        base = _store(db, _policy(0, extra=f" source {src}"))
        bases.append(base)
        bodies.append(_policy(0, extra=f" source {src}"))
        shas.append(base)
        for version in range(1, READ_BATCH // 2):
            body = _policy(version, extra=f" source {src}")
            shas.append(_store(db, body, base=shas[-1]))
            bodies.append(body)
    assert _row(db, shas[5])[0] == DELTA
    with db.session() as s:
        s.execute(delete(Blob).where(Blob.sha256 == bases[1]))  # source 1 loses its base
        s.execute(  # source 2's base is damaged
            text("UPDATE blobs SET data = :d WHERE sha256 = :s"),
            {"d": b"not zlib at all", "s": bases[2]},
        )
    order = [*reversed(shas), "0" * 64]
    with db.session() as s, ThreadPoolExecutor(2) as pool:
        got = list(read_blobs(s, order, mapper=pool.map))
    assert [sha for sha, _ in got] == order
    by_sha = dict(zip(shas, bodies, strict=True))
    per_source = READ_BATCH // 2
    for sha, body in got:
        index = shas.index(sha) if sha in by_sha else -1
        source = index // per_source if index >= 0 else None
        if source == 0:
            assert body == by_sha[sha]
        else:
            assert isinstance(body, BlobIntegrityError)
            with db.session() as s, pytest.raises(BlobIntegrityError):
                read_blob(s, sha)  # the single reader agrees
    damaged = next(b for sha, b in got if sha == shas[2 * per_source + 3])
    assert "damaged" in str(damaged) and bases[2][:16] in str(damaged)
    missing = next(b for sha, b in got if sha == shas[per_source + 3])
    assert "missing" in str(missing)
    db.dispose()
