"""Content-addressed, compressed raw bodies, new versions stored as deltas.

A policy's next version usually differs from its previous one in a few lines, so a body with a
known base (the source's previous body) is stored the way git packs objects: zstd-compressed
with the base's bytes as a raw-content dictionary ("zstd-delta"). Chains are one deep: a base is
always a whole ("zlib") blob, so reading any body costs at most two rows. Every blob stays
addressed and verified by the sha256 of its full body.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, cast

import zstandard
from isal import isal_zlib
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Blob

WHOLE = "zlib"
DELTA = "zstd-delta"
# A delta must be at least this many times smaller than the whole body compressed, or the body
# is stored whole: a near-rewrite gains little and would still tie the body to its base.
DELTA_GAIN = 2
# Deflate never compresses better than about 1032:1, so a delta this small beats zlib by
# DELTA_GAIN without paying for the zlib pass.
_DEFLATE_MAX_RATIO = 1032
_ZSTD_LEVEL = 3
_ISAL_LEVEL = 3
# isal's stubs declare its error class as an instance; it is the class IsalError.
_INFLATE_ERRORS = (zlib.error, cast("type[Exception]", isal_zlib.error))
READ_BATCH = 200  # blobs per query in read_blobs: bounded memory, far below parameter limits
_DECODE_WINDOW = 16  # bodies decoded at once by read_blobs


class BlobIntegrityError(ValueError):
    """Stored bytes no longer match their sha256 (tampering, disk or restore damage)."""


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _insert_ignore(session: Session) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for this session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(Blob).on_conflict_do_nothing(index_elements=["sha256"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(Blob).on_conflict_do_nothing(index_elements=["sha256"])


def _dictionary(base: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def encode_blob(body: bytes, base: bytes | None = None) -> tuple[str, bytes]:
    """(compression, data) for ``body``: a delta against ``base`` when that pays, else whole."""
    if base is not None:
        delta = zstandard.ZstdCompressor(level=_ZSTD_LEVEL, dict_data=_dictionary(base)).compress(
            body
        )
        if DELTA_GAIN * len(delta) * _DEFLATE_MAX_RATIO <= len(body):
            return DELTA, delta
        whole = deflate(body)
        if DELTA_GAIN * len(delta) <= len(whole):
            return DELTA, delta
        return WHOLE, whole
    return WHOLE, deflate(body)


def _full_base(session: Session, sha256: str) -> tuple[str, bytes] | None:
    """(sha256, bytes) of the whole blob a new delta on ``sha256`` should use, if usable.

    A delta's own base stands in for it, so chains stay one deep. A base that is missing or
    fails its sha256 gives None: the new body is then stored whole rather than tied to it.
    """
    row = session.execute(
        select(Blob.compression, Blob.base_sha256).where(Blob.sha256 == sha256)
    ).one_or_none()
    if row is None:
        return None
    if row.compression == DELTA:
        if row.base_sha256 is None:
            return None
        sha256 = row.base_sha256
    blob = session.get(Blob, sha256)
    if blob is None or blob.compression == DELTA:
        return None
    try:
        return sha256, decode_blob(blob)
    except BlobIntegrityError:
        return None


def put_blob(
    session: Session, body: bytes, sha256: str | None = None, base_sha256: str | None = None
) -> str:
    """Store ``body`` unless identical bytes are already stored; return its sha256.

    ``base_sha256`` names a body this one probably resembles (the source's previous version):
    the new body is stored as a delta against it (or against its own base) when that is at least
    DELTA_GAIN times smaller than storing it whole.

    One statement, no check-then-insert: two writers storing the same bytes at once both
    succeed instead of one losing its whole transaction to a unique violation.
    """
    digest = sha256 or sha256_hex(body)
    base = _full_base(session, base_sha256) if base_sha256 else None
    if base is not None and base[0] == digest:
        base = None  # a body is never its own base
    compression, data = encode_blob(body, base[1] if base else None)
    session.execute(
        _insert_ignore(session).values(
            sha256=digest,
            size=len(body),
            compression=compression,
            data=data,
            base_sha256=base[0] if base and compression == DELTA else None,
        )
    )
    return digest


def deflate(body: bytes) -> bytes:
    """A whole body as a zlib stream, by ISA-L at its level 3.

    About 9x faster than zlib's level 6 on policy pages, for streams ~20% larger; any zlib
    reads them. Compressing was the largest part of storing a new version.
    """
    return isal_zlib.compress(body, _ISAL_LEVEL)


def inflate(data: bytes) -> bytes:
    """A whole blob's zlib stream, inflated by ISA-L: the same stream about twice as fast."""
    return isal_zlib.decompress(data)


def decode_blob(blob: Blob, base: bytes | None = None) -> bytes:
    """The original bytes of ``blob``, verified against its sha256.

    A delta needs ``base``, the original bytes of its base blob (see :func:`read_blob`).
    """
    try:
        if blob.compression == DELTA:
            if base is None:
                raise BlobIntegrityError(
                    f"blob {blob.sha256[:16]}: is a delta and its base "
                    f"{(blob.base_sha256 or '?')[:16]} was not given"
                )
            body = zstandard.ZstdDecompressor(dict_data=_dictionary(base)).decompress(
                bytes(blob.data)
            )
        elif blob.compression == WHOLE:
            body = inflate(blob.data)
        else:
            body = bytes(blob.data)
    except (*_INFLATE_ERRORS, zstandard.ZstdError) as exc:
        raise BlobIntegrityError(
            f"blob {blob.sha256[:16]}: stored data is damaged ({exc})"
        ) from None
    if sha256_hex(body) != blob.sha256:
        raise BlobIntegrityError(
            f"blob {blob.sha256[:16]}: stored bytes do not match sha256 "
            "(tampered or damaged; restore it from a backup, see `policywatch db check`)"
        )
    return body


class MissingBaseError(BlobIntegrityError):
    """A delta's base blob is not in the database."""


def base_of(session: Session, blob: Blob, *, verify: bool = True) -> bytes | None:
    """The original bytes of ``blob``'s base, or None for a whole blob.

    MissingBaseError when the base is gone; BlobIntegrityError when it is damaged. With
    ``verify=False`` the base's sha256 is not checked (the delta's own check still catches a
    damaged base, since the delta then decodes to other bytes).
    """
    if blob.compression != DELTA:
        return None
    base = session.get(Blob, blob.base_sha256) if blob.base_sha256 else None
    try:
        return _base_body(blob.base_sha256, base, verify=verify)
    except BlobIntegrityError as exc:
        raise type(exc)(f"blob {blob.sha256[:16]}: {exc}") from None


def _base_body(base_sha: str | None, base: Any, *, verify: bool) -> bytes:
    """A base row's bytes; the errors say what is wrong with "its base" (callers name the blob)."""
    name = (base_sha or "?")[:16]
    if base is None or base_sha is None:
        raise MissingBaseError(
            f"its base {name} is missing from the database (restore it from a backup)"
        )
    if base.compression == DELTA:  # never written so; a restore from elsewhere could
        raise BlobIntegrityError(f"its base {name} is itself a delta")
    try:
        if not verify and base.compression == WHOLE:
            return inflate(base.data)
        return decode_blob(base)
    except (*_INFLATE_ERRORS, BlobIntegrityError) as exc:
        raise BlobIntegrityError(f"its base {name} is damaged ({exc})") from None


def read_blob(session: Session, sha256: str) -> bytes:
    """The bytes stored under ``sha256``; BlobIntegrityError when they are missing or altered."""
    blob = session.execute(select(Blob).where(Blob.sha256 == sha256)).scalar_one_or_none()
    if blob is None:
        raise BlobIntegrityError(f"blob {sha256[:16]}: missing from the database")
    try:
        # One sha256 per read: the delta's check covers its base too.
        return decode_blob(blob, base_of(session, blob, verify=False))
    except BlobIntegrityError:
        if blob.compression == DELTA:
            base_of(session, blob)  # name the damaged base when that is the cause
        raise


def read_blobs(
    session: Session,
    sha256s: Iterable[str],
    *,
    mapper: Callable[..., Iterator[Any]] = map,
) -> Iterator[tuple[str, bytes | BlobIntegrityError]]:
    """Each ``sha256`` with its verified bytes (or why they cannot be had), in the given order.

    The bulk reader of :func:`read_blob`: two queries per batch of :data:`READ_BATCH` (the
    blobs, then the bases their deltas need), columns only. Bodies are decoded a few at a
    time, each base inflated once for the deltas of the same window (a change's two versions
    are usually neighbours). Only a batch of compressed rows is held. ``mapper`` decodes a
    window (``executor.map`` spreads it over threads: inflating, zstd and sha256 release the
    GIL).
    """
    wanted = list(sha256s)
    for i in range(0, len(wanted), READ_BATCH):
        batch = wanted[i : i + READ_BATCH]
        rows = _rows(session, batch)
        base_shas = {r.base_sha256 for r in rows.values() if r.compression == DELTA}
        base_shas.discard(None)
        bases = _rows(session, [b for b in base_shas if b not in rows]) if base_shas else {}
        bases.update({k: rows[k] for k in base_shas if k in rows})
        # Decoded a window at a time: a batch's bodies and bases inflated at once would hold
        # tens of megabytes, however few of them the caller needs at a time.
        for j in range(0, len(batch), _DECODE_WINDOW):
            window = batch[j : j + _DECODE_WINDOW]
            needed = sorted(
                {rows[s].base_sha256 for s in window if s in rows and rows[s].base_sha256}
            )
            inflated = dict(zip(needed, mapper(partial(_base_bytes, bases), needed), strict=True))
            yield from zip(window, mapper(partial(_decoded, rows, inflated), window), strict=True)


def _rows(session: Session, shas: list[str]) -> dict[str, Any]:
    if not shas:
        return {}
    query = select(Blob.sha256, Blob.compression, Blob.data, Blob.base_sha256).where(
        Blob.sha256.in_(sorted(set(shas)))
    )
    return {row.sha256: row for row in session.execute(query)}


def _base_bytes(rows: dict[str, Any], sha256: str) -> bytes | BlobIntegrityError:
    """A base's bytes, unverified: the delta's own sha256 check catches a damaged base."""
    try:
        return _base_body(sha256, rows.get(sha256), verify=False)
    except BlobIntegrityError as exc:
        return exc


def _decoded(
    rows: dict[str, Any], bases: dict[str, bytes | BlobIntegrityError], sha256: str
) -> bytes | BlobIntegrityError:
    row = rows.get(sha256)
    if row is None:
        return BlobIntegrityError(f"blob {sha256[:16]}: missing from the database")
    base: bytes | None = None
    if row.compression == DELTA:
        got = bases[row.base_sha256] if row.base_sha256 else _base_bytes({}, "")
        if isinstance(got, BlobIntegrityError):
            return type(got)(f"blob {sha256[:16]}: {got}")
        base = got
    try:
        return decode_blob(cast(Blob, row), base)
    except BlobIntegrityError as exc:
        return exc
