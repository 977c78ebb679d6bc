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
import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from monitor.reports.model import VersionRef
from storage.blobs import BlobIntegrityError, read_blobs

log = logging.getLogger(__name__)
ARCHIVE_DIR = "archive"
EXPORTED = ".exported"  # names of the files exported with verified bytes
_THREADS = 2
_ANNOUNCE = 500  # exports at least this large are announced in the log

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
    by_sha: dict[str, list[tuple[str, VersionRef]]] = {}
    for name, ref in todo.items():
        by_sha.setdefault(ref.sha256, []).append((name, ref))
    if len(todo) >= _ANNOUNCE:  # a first export into an empty folder: say why it takes a while
        log.info(
            "exporting %d archived versions into %s (once: later writes add only new ones)",
            len(todo),
            directory,
        )
    try:
        # Decoding and writing release the GIL: threads keep both cores of a small machine busy
        # on a first export, which writes every cited version at once. A few writes are in
        # flight at a time, so memory stays bounded by the read batch.
        with ThreadPoolExecutor(_THREADS, thread_name_prefix="policywatch-export") as pool:
            pending: deque[Future[str | None]] = deque()
            for sha, body in read_blobs(session, by_sha, mapper=pool.map):
                for name, ref in by_sha[sha]:
                    pending.append(pool.submit(_export_one, directory, name, ref, body))
                while len(pending) > 4 * _THREADS:
                    if done := pending.popleft().result():
                        added.append(done)
            while pending:
                if done := pending.popleft().result():
                    added.append(done)
    finally:
        if added:
            # Appended only after the files are in place: a crash leaves them unlisted, not lost.
            with open(directory / EXPORTED, "a", encoding="utf-8") as fh:
                fh.write("".join(f"{name}\n" for name in added))
    return written


def _export_one(
    directory: Path, name: str, ref: VersionRef, body: bytes | BlobIntegrityError
) -> str | None:
    """Write one evidence file; its name once it holds the verified bytes, else None."""
    if isinstance(body, BlobIntegrityError):
        log.error("snapshot %s not exported: %s", ref.snapshot_id, body)
        write_atomic(directory / name, damaged_note(ref, str(body)))
        return None
    write_atomic(directory / name, body)
    return name


def damaged_note(ref: VersionRef, problem: str) -> bytes:
    return (
        f"DAMAGED EVIDENCE: snapshot {ref.snapshot_id} of {ref.url}\n"
        f"expected sha256 {ref.sha256}\n{problem}\n"
        "Run `policywatch db check`, and restore the database from a backup.\n"
    ).encode()


def write_atomic(target: Path, data: bytes | Iterable[bytes]) -> None:
    """Replace ``target`` in one step, so a reader never sees half a report or snapshot.

    ``data`` may come in pieces (an iterable of bytes), written as they are made. The temporary
    name is unique to this process and thread, and is made with plain ``os.open``: ``mkstemp``'s
    random names and extra ``chmod`` were a fifth of a large export's CPU.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, 0o644)  # a crashed run's leftover of the same name is reused
        with os.fdopen(fd, "wb") as fh:  # buffered: many small pieces, few system calls
            if isinstance(data, bytes):
                fh.write(data)
            else:
                for piece in data:
                    fh.write(piece)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
