"""The site writer takes files as they come, and a failure part-way leaves the old site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.publish.writer import MANIFEST, write_site


def test_files_stream_in_and_the_manifest_lists_them(tmp_path: Path) -> None:
    def files() -> Iterator[tuple[str, bytes | None]]:
        for i in range(3):
            yield f"archive/{i}.pdf", b"%PDF " + bytes([48 + i])
        yield "index.html", b"<h1>Coverage</h1>"

    stats = write_site(tmp_path, files())
    assert stats.written == ["archive/0.pdf", "archive/1.pdf", "archive/2.pdf", "index.html"]
    assert (tmp_path / "archive/2.pdf").read_bytes() == b"%PDF 2"
    assert (tmp_path / MANIFEST).read_text().split() == stats.written
    again = write_site(tmp_path, iter([("index.html", b"<h1>Coverage</h1>")]))
    assert again.unchanged == ["index.html"]
    assert again.removed == ["archive/0.pdf", "archive/1.pdf", "archive/2.pdf"]


def test_a_failure_part_way_removes_what_this_run_created(tmp_path: Path) -> None:
    write_site(tmp_path, iter([("archive/old.pdf", b"%PDF old"), ("index.html", b"v1")]))
    manifest = (tmp_path / MANIFEST).read_bytes()

    def files() -> Iterator[tuple[str, bytes | None]]:
        yield "archive/old.pdf", None  # kept, as already exported
        yield "archive/new.pdf", b"%PDF new"
        raise ValueError("snapshot 7: stored bytes do not match sha256")

    with pytest.raises(ValueError, match="do not match"):
        write_site(tmp_path, files())
    assert not (tmp_path / "archive/new.pdf").exists()
    assert (tmp_path / "archive/old.pdf").read_bytes() == b"%PDF old"
    assert (tmp_path / "index.html").read_bytes() == b"v1"
    assert (tmp_path / MANIFEST).read_bytes() == manifest
