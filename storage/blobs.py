"""Content-addressed, compressed raw bodies."""

from __future__ import annotations

import hashlib
import zlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Blob


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def put_blob(session: Session, body: bytes, sha256: str | None = None) -> str:
    """Store ``body`` unless identical bytes are already stored; return its sha256."""
    digest = sha256 or sha256_hex(body)
    if session.get(Blob, digest) is None:
        session.add(
            Blob(sha256=digest, size=len(body), compression="zlib", data=zlib.compress(body, 6))
        )
    return digest


def read_blob(session: Session, sha256: str) -> bytes:
    blob = session.execute(select(Blob).where(Blob.sha256 == sha256)).scalar_one()
    if blob.compression == "zlib":
        return zlib.decompress(blob.data)
    return blob.data
