"""Export archived snapshots next to the reports, so every evidence link opens the exact bytes.

File names are ``<sha256>.<ext>``: the content's hash, so identical bytes fetched many times
(a page that flips back, an outage's refetches) are stored once, names are stable across runs,
and a reader can check the file against the sha256 printed beside the link.

Exports already made are listed in ``archive/.exported``, so a cycle neither stats nor reads
them again: its work is proportional to the new versions it cites. Deleting that list makes the
next export check every cited file once.

Archived pages are hostile input: an HTML or XML snapshot opened from the published folder would
run its scripts on the publisher's origin. They are exported byte for byte (the sha256 still
checks) under a ``.txt`` suffix, so browsers and web servers treat them as plain text.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from isal import isal_zlib
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.reports.model import VersionRef
from storage.blobs import BlobIntegrityError, read_blob, sha256_hex
from storage.models import Blob

log = logging.getLogger(__name__)
ARCHIVE_DIR = "archive"
EXPORTED = ".exported"  # names of the files exported with verified bytes
# isal's stubs declare its error class as an instance; it is the class IsalError.
_INFLATE_ERROR = cast("type[Exception]", isal_zlib.error)
_BATCH = 200  # blobs per query: bounded memory (compressed bodies), well under parameter limits

_EXT_BY_TYPE = (
    ("html", "html"),
    ("pdf", "pdf"),
    ("json", "json"),
    ("xml", "xml"),
    ("text/plain", "txt"),
)
_KNOWN_EXTS = frozenset({"html", "htm", "pdf", "json", "xml", "txt"})
# Formats a browser would execute (scripts, XSLT, SVG handlers): exported as text.
ACTIVE_EXTS = frozenset({"html", "htm", "xml"})
INERT_SUFFIX = "txt"


def extension(ref: VersionRef) -> str:
    """The snapshot's format as a file extension (html, pdf, json, xml, txt or bin)."""
    ctype = (ref.content_type or "").lower()
    for marker, ext in _EXT_BY_TYPE:
        if marker in ctype:
            return ext
    suffix = Path(urlsplit(ref.url).path).suffix.lower().lstrip(".")
    return suffix if suffix in _KNOWN_EXTS else "bin"


def base_name(ref: VersionRef) -> str:
    """``<sha256>.<format>``, before any neutralising suffix: one name per distinct content."""
    return f"{ref.sha256}.{extension(ref)}"


def archive_name(ref: VersionRef) -> str:
    """The exported file name: active formats (HTML, XML) get ``.txt`` so they cannot run."""
    name = base_name(ref)
    return f"{name}.{INERT_SUFFIX}" if extension(ref) in ACTIVE_EXTS else name


@dataclass(frozen=True)
class Links:
    """Where the reports point for archived versions: relative to them, or a published URL."""

    base: str = ARCHIVE_DIR + "/"

    @classmethod
    def for_base_url(cls, archive_base_url: str = "") -> Links:
        return cls(archive_base_url.rstrip("/") + "/" if archive_base_url else ARCHIVE_DIR + "/")

    def snapshot(self, ref: VersionRef) -> str:
        return self.base + archive_name(ref)


def _known(directory: Path) -> set[str]:
    listing = directory / EXPORTED
    if not listing.is_file():
        return set()
    return set(listing.read_text(encoding="utf-8").split())


def export_snapshots(session: Session, refs: Iterable[VersionRef], directory: Path) -> list[Path]:
    """Write each snapshot's raw bytes into ``directory`` once per distinct content.

    Files listed in ``.exported`` are known to hold their verified bytes and are skipped
    without a stat or a blob read; the others' blobs are read a batch at a time. A snapshot
    whose stored bytes fail their sha256 must not become evidence, nor stop the other reports:
    its file holds a note saying so instead, so its evidence link shows the damage, and the
    problem is logged; it is not listed, so a later export writes the real bytes once the
    database is restored.
    """
    directory.mkdir(parents=True, exist_ok=True)
    known = _known(directory)
    added: list[str] = []
    written: list[Path] = []
    todo: dict[str, VersionRef] = {}  # name → the first ref cited under it, still to write
    seen: set[str] = set()
    for ref in refs:
        name = archive_name(ref)
        if name in seen:
            continue
        seen.add(name)
        target = directory / name
        written.append(target)
        if name in known:
            continue
        # Exported before the list existed (or by an interrupted run): check it once.
        if target.is_file() and target.stat().st_size == ref.size:
            added.append(name)
            continue
        todo[name] = ref
    try:
        for name, ref, body in _bodies(session, list(todo.items())):
            if isinstance(body, BlobIntegrityError):
                log.error("snapshot %s not exported: %s", ref.snapshot_id, body)
                write_atomic(directory / name, damaged_note(ref, str(body)))
                continue
            write_atomic(directory / name, body)
            added.append(name)
    finally:
        if added:
            # Appended only after the files are in place: a crash leaves them unlisted, not lost.
            with open(directory / EXPORTED, "a", encoding="utf-8") as fh:
                fh.write("".join(f"{name}\n" for name in added))
    return written


def _bodies(
    session: Session, todo: list[tuple[str, VersionRef]]
) -> Iterator[tuple[str, VersionRef, bytes | BlobIntegrityError]]:
    """Each name's verified bytes (or why they cannot be had), one query per batch of blobs.

    Only a batch of compressed bodies is held at a time (the session keeps no strong refs).
    """
    for i in range(0, len(todo), _BATCH):
        batch = todo[i : i + _BATCH]
        wanted = sorted({ref.sha256 for _, ref in batch})
        blobs = {b.sha256: b for b in session.scalars(select(Blob).where(Blob.sha256.in_(wanted)))}
        for name, ref in batch:
            blob = blobs.get(ref.sha256)
            try:
                if blob is None:
                    raise BlobIntegrityError(f"blob {ref.sha256[:16]}: missing from the database")
                if blob.compression == "zlib":
                    yield name, ref, _inflate_verified(blob.sha256, blob.data)
                else:  # stored some other way (perhaps needing other rows): storage reads it
                    yield name, ref, read_blob(session, blob.sha256)
            except BlobIntegrityError as exc:
                yield name, ref, exc


def _inflate_verified(sha256: str, data: bytes) -> bytes:
    """A whole zlib blob's bytes, checked against its sha256 (as ``storage.blobs.decode_blob``).

    Inflating is most of an export's CPU: ISA-L's inflate reads the same zlib stream about
    twice as fast as zlib's.
    """
    try:
        body = isal_zlib.decompress(data)
    except _INFLATE_ERROR as exc:
        raise BlobIntegrityError(f"blob {sha256[:16]}: stored data is damaged ({exc})") from None
    if sha256_hex(body) != sha256:
        raise BlobIntegrityError(
            f"blob {sha256[:16]}: stored bytes do not match sha256 "
            "(tampered or damaged; restore it from a backup, see `policywatch db check`)"
        )
    return body


def damaged_note(ref: VersionRef, problem: str) -> bytes:
    return (
        f"DAMAGED EVIDENCE: snapshot {ref.snapshot_id} of {ref.url}\n"
        f"expected sha256 {ref.sha256}\n{problem}\n"
        "Run `policywatch db check`, and restore the database from a backup.\n"
    ).encode()


def write_atomic(target: Path, data: bytes | Iterable[bytes]) -> None:
    """Replace ``target`` in one step, so a reader never sees half a report or snapshot.

    ``data`` may come in pieces (an iterable of bytes), written as they are made.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes):
                fh.write(data)
            else:
                for piece in data:
                    fh.write(piece)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; reports are meant to be published
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
