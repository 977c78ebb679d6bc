"""What the last report write produced: file name → a key of the data it was rendered from.

A file whose key is unchanged (and which is still there) is not rendered again, so a cycle with
no new events rewrites nothing and a new event rewrites only its week's page and the summaries.
Keys cover what a page shows (event ids, review states, wording, sources, evidence), the link
base and ``RENDER_VERSION``, never the time of the write. Delete ``.reports-manifest.json`` to
force a full rewrite.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from monitor.reports.archive import write_atomic
from monitor.reports.model import EventView, VersionRef

MANIFEST = ".reports-manifest.json"
# Bump when a template or renderer changes what it prints, so every page is rendered again.
RENDER_VERSION = "1"


def _ref(ref: VersionRef | None) -> list[Any] | None:
    if ref is None:
        return None
    return [ref.snapshot_id, ref.sha256, ref.fetched_at.isoformat(), ref.url, ref.content_type]


def event_fingerprint(ev: EventView) -> list[Any]:
    """What a rendered event depends on, short of its stored detail (fixed once the event is)."""
    src = ev.source
    return [
        ev.id, ev.kind, ev.drug, ev.significant, ev.review_status, ev.summary, ev.review_note,
        ev.stance_before, ev.stance_after, ev.effective_date, ev.detected_at.isoformat(),
        ev.differ_version, _ref(ev.before), _ref(ev.after),
        [src.id, src.payer, src.plan_type, src.state, src.title, src.url],
    ]  # fmt: skip


def key(*parts: Any) -> str:
    """A stable hash of JSON-able parts (anything else by its ``repr``)."""
    text = json.dumps([RENDER_VERSION, *parts], sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


def events_key(events: Iterable[EventView], *extra: Any) -> str:
    return key([event_fingerprint(e) for e in events], *extra)


class Manifest:
    """The manifest of one report folder; ``save`` writes it only when something changed."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / MANIFEST
        self.files: dict[str, str] = {}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self.files = {str(k): str(v) for k, v in data.get("files", {}).items()}
            except (ValueError, AttributeError):
                self.files = {}  # unreadable: render everything once, then write a good one
        self._saved = dict(self.files)

    def current(self, name: str, file_key: str) -> bool:
        """Whether ``name`` was rendered from data with this key and is still on disk."""
        return self.files.get(name) == file_key and (self.path.parent / name).is_file()

    def record(self, name: str, file_key: str) -> None:
        self.files[name] = file_key

    def forget(self, name: str) -> None:
        self.files.pop(name, None)

    def save(self) -> None:
        if self.files != self._saved:
            doc = {"render_version": RENDER_VERSION, "files": dict(sorted(self.files.items()))}
            write_atomic(self.path, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))
            self._saved = dict(self.files)
