"""Cost of storing a raw body: whole (zlib) against a delta on the previous version (zstd).

    python bench/blobs.py [--repeat 30] [--template 16]

Takes one synthetic policy page of ~175 KB (``bench/policy_pages.py``) in three variants: the
base, a criteria change (a few lines) and a stance change, each with a per-version comment
as the crawl sees real pages. For each variant prints the stored bytes and the CPU ms (best of
``--repeat``, CPU time of this process, so the figures hold on a busy machine) of:

- ``put_blob`` storing the body whole, as before migration 0006, and as a delta against the base
  (real SQLite database through the storage layer, one transaction per body);
- ``read_blob`` reading it back (sha256 verified both ways).

Always exits 0; the figures are for reading, not a pass/fail gate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from policy_pages import document
from sqlalchemy import delete, select

from storage.blobs import put_blob, read_blob, sha256_hex
from storage.db import Database
from storage.models import Blob


def _best(fn: Callable[[], object], repeat: int) -> float:
    """Best CPU seconds of ``repeat`` calls."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--template", type=int, default=16, help="bench/policy_pages index (16: ~175 KB HTML)"
    )
    args = parser.parse_args()
    base_body = document(args.template, 0)[0] + b"\n<!-- version 0 -->\n"
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'blobs.sqlite'}")
        with db.session() as s:
            base = put_blob(s, base_body)

        def store(body: bytes, base_sha: str | None) -> None:
            with db.session() as s:
                s.execute(delete(Blob).where(Blob.sha256 == sha256_hex(body)))
                put_blob(s, body, base_sha256=base_sha)

        def read(sha: str) -> None:
            with db.session() as s:
                read_blob(s, sha)

        print(
            f"{'variant':16} {'body KB':>8} {'how':>6} {'stored B':>9} {'put ms':>7} {'read ms':>8}"
        )
        for variant, label in ((0, "same text"), (1, "criteria change"), (2, "stance change")):
            body = document(args.template, variant)[0] + b"\n<!-- version 1 -->\n"
            sha = sha256_hex(body)
            for how, base_sha in (("whole", None), ("delta", base)):
                put = _best(partial(store, body, base_sha), args.repeat)
                got = _best(partial(read, sha), args.repeat)
                with db.session() as s:
                    compression, data = s.execute(
                        select(Blob.compression, Blob.data).where(Blob.sha256 == sha)
                    ).one()
                print(
                    f"{label:16} {len(body) / 1024:8.0f} {how:>6} {len(data):9,} "
                    f"{put * 1000:7.2f} {got * 1000:8.2f}  ({compression})"
                )
        db.dispose()


if __name__ == "__main__":
    main()
