"""Content-addressed, compressed raw bodies."""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Blob


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


def put_blob(session: Session, body: bytes, sha256: str | None = None) -> str:
    """Store ``body`` unless identical bytes are already stored; return its sha256.

    One statement, no check-then-insert: two writers storing the same bytes at once both
    succeed instead of one losing its whole transaction to a unique violation.
    """
    digest = sha256 or sha256_hex(body)
    session.execute(
        _insert_ignore(session).values(
            sha256=digest, size=len(body), compression="zlib", data=zlib.compress(body, 6)
        )
    )
    return digest


def decode_blob(blob: Blob) -> bytes:
    """The original bytes of ``blob``, verified against its sha256."""
    try:
        body = zlib.decompress(blob.data) if blob.compression == "zlib" else bytes(blob.data)
    except zlib.error as exc:
        raise BlobIntegrityError(
            f"blob {blob.sha256[:16]}: stored data is damaged ({exc})"
        ) from None
    if sha256_hex(body) != blob.sha256:
        raise BlobIntegrityError(
            f"blob {blob.sha256[:16]}: stored bytes do not match sha256 "
            "(tampered or damaged; restore it from a backup, see `policywatch db check`)"
        )
    return body


def read_blob(session: Session, sha256: str) -> bytes:
    """The bytes stored under ``sha256``; BlobIntegrityError when they are missing or altered."""
    blob = session.execute(select(Blob).where(Blob.sha256 == sha256)).scalar_one_or_none()
    if blob is None:
        raise BlobIntegrityError(f"blob {sha256[:16]}: missing from the database")
    return decode_blob(blob)
