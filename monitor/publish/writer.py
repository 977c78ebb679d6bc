"""Write the site: only files whose bytes changed, atomically; remove pages no longer published.

A manifest (``.publish-manifest``) lists what the last run wrote, so a change that is later
dismissed loses its page, while files the site's owner added by hand are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from monitor.reports.archive import write_atomic

MANIFEST = ".publish-manifest"


@dataclass
class WriteStats:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _safe_rel(rel: str) -> str:
    path = Path(rel)
    if path.is_absolute() or ".." in path.parts or not rel:
        raise ValueError(f"refusing to write outside the site folder: {rel!r}")
    return path.as_posix()


def owned(out_dir: Path) -> set[str]:
    """The files the last run wrote (relative paths), from the manifest."""
    manifest = out_dir / MANIFEST
    if not manifest.is_file():
        return set()
    return set(manifest.read_text(encoding="utf-8").splitlines())


def write_site(out_dir: Path, files: Iterable[tuple[str, bytes | None]]) -> WriteStats:
    """Make ``out_dir`` hold ``files`` ((relative path, bytes); None keeps an existing file).

    Files are written as they come, so a large archive is never held in memory. If one cannot
    be made (a damaged archived version, a full disk), the files this run created are removed
    and the manifest is left as it was: the published site stays the previous one.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stats = WriteStats()
    names: set[str] = set()
    created: list[Path] = []
    try:
        for rel, data in files:
            target = out_dir / _safe_rel(rel)
            names.add(rel)
            exists = target.is_file()
            if data is None or (exists and target.read_bytes() == data):
                stats.unchanged.append(rel)
                continue
            write_atomic(target, data)
            stats.written.append(rel)
            if not exists:
                created.append(target)
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    stats.written.sort()
    stats.unchanged.sort()
    manifest = out_dir / MANIFEST
    previous = manifest.read_text(encoding="utf-8").splitlines() if manifest.is_file() else []
    for rel in sorted(set(previous) - names):
        stale = out_dir / _safe_rel(rel)
        if stale.is_file():
            stale.unlink()
            stats.removed.append(rel)
    listing = ("\n".join(sorted(names)) + "\n").encode("utf-8")
    if not (manifest.is_file() and manifest.read_bytes() == listing):
        write_atomic(manifest, listing)
    return stats
