"""Export archived snapshots next to the reports, so every evidence link opens the exact bytes.

File names are ``<snapshot_id>-<sha256[:12]>.<ext>``: unique per version, stable across runs,
and a reader can check the file against the sha256 printed beside the link.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from monitor.reports.model import VersionRef
from storage.blobs import read_blob, sha256_hex

ARCHIVE_DIR = "archive"

_EXT_BY_TYPE = (
    ("html", "html"),
    ("pdf", "pdf"),
    ("json", "json"),
    ("xml", "xml"),
    ("text/plain", "txt"),
)
_KNOWN_EXTS = frozenset({"html", "htm", "pdf", "json", "xml", "txt"})


def extension(ref: VersionRef) -> str:
    """The file extension a browser needs to open the snapshot the way it was served."""
    ctype = (ref.content_type or "").lower()
    for marker, ext in _EXT_BY_TYPE:
        if marker in ctype:
            return ext
    suffix = Path(urlsplit(ref.url).path).suffix.lower().lstrip(".")
    return suffix if suffix in _KNOWN_EXTS else "bin"


def archive_name(ref: VersionRef) -> str:
    return f"{ref.snapshot_id}-{ref.sha256[:12]}.{extension(ref)}"


@dataclass(frozen=True)
class Links:
    """Where the reports point for archived versions: relative to them, or a published URL."""

    base: str = ARCHIVE_DIR + "/"

    @classmethod
    def for_base_url(cls, archive_base_url: str = "") -> Links:
        return cls(archive_base_url.rstrip("/") + "/" if archive_base_url else ARCHIVE_DIR + "/")

    def snapshot(self, ref: VersionRef) -> str:
        return self.base + archive_name(ref)


def export_snapshots(session: Session, refs: Iterable[VersionRef], directory: Path) -> list[Path]:
    """Write each snapshot's raw bytes into ``directory`` (skipping files already there)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    seen: set[int] = set()
    for ref in refs:
        if ref.snapshot_id in seen:
            continue
        seen.add(ref.snapshot_id)
        target = directory / archive_name(ref)
        if not (target.is_file() and target.stat().st_size == ref.size):
            body = read_blob(session, ref.sha256)
            if sha256_hex(body) != ref.sha256:  # a corrupt blob must not become evidence
                raise ValueError(f"snapshot {ref.snapshot_id}: stored bytes do not match sha256")
            write_atomic(target, body)
        written.append(target)
    return written


def write_atomic(target: Path, data: bytes) -> None:
    """Replace ``target`` in one step, so a reader never sees half a report or snapshot."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; reports are meant to be published
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
