"""A big history on SQLite: database size, diff job and report times, peak memory.

    python bench/scale.py [--sources 10000] [--versions 10] [--cycles 7] [--keep DIR]

Builds a SQLite database of N sources x V versions through the storage layer's models:
sources (commercial, Medicaid and Medicare Advantage plans across payers and states), crawl
runs and fetch records (a version a week, a cycle a day: the other days answer 304),
snapshots with their compressed raw bodies (each version its own bytes) and extractions. The
extractions are real: the extractor runs once on each template policy (bench/policy_pages.py:
HTML of 50-300 KB and a PDF) in three variants (base, criteria change, stance change) and the
results are reused. A quarter of the sources change once somewhere in their history, 5% more
at the newest version. Change events of the history are what the real diff job finds for the
same transitions (run once on a scratch database), marked confirmed as analysts would have;
every source's newest version is left for the diff job measured here.

Then measures, each as a child process (CPU and wall seconds, peak RSS):
``policywatch diff`` over the newest versions, ``policywatch report --format matrix``,
``--format html`` (the change report) and ``report --all``, next to the CLI's start-up cost.
Prints the database file size (and per table, where SQLite has dbstat). Figures only; the
targets of issue 10 are printed beside them. The default size needs the compact extraction
record of issue 10: on the landed build 10,000 x 10 is a database of about 24 GB.

``extraction_rows`` is the only place that knows how an extraction is stored: it uses the
crawl's own function for the columns where the build has one.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import measure
from policy_pages import document
from sqlalchemy import create_engine, event, insert, select

from crawler.extract import EXTRACTOR_VERSION, extract
from crawler.extract.model import Extraction
from storage.db import Database

try:  # the build stores new versions as deltas against an earlier body
    from storage.blobs import encode_blob
except ImportError:
    encode_blob = None  # type: ignore[assignment]
from storage.models import (
    Blob,
    ChangeEventRecord,
    CrawlRun,
    ExtractionRecord,
    FetchAttempt,
    Snapshot,
    Source,
)

_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
)
STATES = _STATE_CODES.split(" ")
PLANS = ("commercial", "commercial", "medicaid", "medicaid_mco", "medicare_advantage")
# bench/policy_pages indexes: HTML of 50, 112, 173, 235 and 297 KB and a 16-page PDF.
TEMPLATES = (0, 8, 16, 24, 32, 9)
VARIANTS = (0, 1, 2)  # base, criteria change, stance change
WEEK = timedelta(days=7)
BATCH = 500


@dataclass
class Template:
    body: bytes
    content_type: str
    extraction: Extraction
    rows: dict[str, Any]  # the stored form, built once and shared by every row
    packer: Any  # zlib state after the body: each version only compresses its own suffix
    packed: bytes
    digest: Any  # sha256 state after the body


def extraction_rows(ext: Extraction) -> dict[str, Any]:
    """ExtractionRecord's columns for ``ext`` (minus snapshot id and time), as the crawl stores it.

    The crawl's own function when there is one (the compact record of issue 10:
    ``crawler.pipelines.store.extraction_fields``, ``crawler.extract.record.record_columns``);
    otherwise the landed format, the full JSON document.
    """
    from crawler.pipelines import store

    columns: Any = getattr(store, "extraction_fields", None)
    if columns is None:
        try:
            from crawler.extract.record import record_columns
        except ModuleNotFoundError:
            record_columns = None
        columns = record_columns
    fields = columns(ext) if columns else {"outcome": ext.outcome, "data": ext.to_dict()}
    return {"extractor_version": EXTRACTOR_VERSION, **fields}


def blob_row(
    sid: str,
    sha: str,
    tpl: Template,
    suffix: bytes,
    packer: Any,
    bases: dict[str, tuple[str, Template, bytes]],
) -> dict[str, Any]:
    """The blobs row of one version, stored as the crawl stores it (``storage.blobs``).

    Where the build stores versions as deltas (``encode_blob``), each version after a source's
    first is encoded against that source's base; otherwise every body is zlib, whole.
    """
    size = len(tpl.body) + len(suffix)
    whole = {"sha256": sha, "size": size, "compression": "zlib", "base_sha256": None}
    base = bases.get(sid)
    if encode_blob is None or base is None:
        if encode_blob is not None:
            bases[sid] = (sha, tpl, suffix)
        else:
            del whole["base_sha256"]
        return {**whole, "data": tpl.packed + packer.compress(suffix) + packer.flush()}
    compression, data = encode_blob(tpl.body + suffix, base[1].body + base[2])
    if compression == "zlib":
        bases[sid] = (sha, tpl, suffix)
        return {**whole, "data": data}
    return {**whole, "compression": compression, "data": data, "base_sha256": base[0]}


def templates() -> dict[tuple[int, int], Template]:
    out = {}
    for t in TEMPLATES:
        for v in VARIANTS:
            body, ctype = document(t, v)
            ext = extract(body, ctype)
            packer = zlib.compressobj(6)
            packed = packer.compress(body)
            out[t, v] = Template(
                body, ctype, ext, extraction_rows(ext), packer, packed, hashlib.sha256(body)
            )
    return out


def history(rng: random.Random, versions: int) -> list[int]:
    """Each version's variant: most sources never change, a quarter once, 5% at the newest."""
    roll = rng.random()
    if roll < 0.70 or versions < 2:
        return [0] * versions
    change = versions - 1 if roll >= 0.95 else rng.randint(1, versions - 1)
    to = 2 if rng.random() < 0.2 else 1
    return [0] * change + [to] * (versions - change)


def source_row(i: int) -> dict[str, Any]:
    plan = PLANS[i % len(PLANS)]
    state = STATES[i % len(STATES)] if plan.startswith("medicaid") else "US"
    return {
        "id": f"scale-{i:05d}",
        "payer": f"{state} Medicaid" if plan == "medicaid" else f"Payer {i % 600:03d}",
        "plan_type": plan,
        "state": state,
        "document_type": ("medical_policy", "drug_policy", "pa_criteria")[i % 3],
        "title": f"Ketamine and Esketamine (Spravato) {i}",
        "url": f"https://payer{i % 600}.example/policies/{i}",
        "format": None,
        "enabled": True,
        "consecutive_failures": 0,
        "discovered": False,
    }


def memo_json(value: Any, _memo: dict[int, tuple[Any, str]] = {}) -> str:  # noqa: B006
    """json.dumps that serialises each shared template object once (the build's hot spot)."""
    hit = _memo.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    text = json.dumps(value)
    if isinstance(value, dict) and len(text) > 1000:
        _memo[id(value)] = (value, text)
    return text


def bulk_engine(url: str) -> Any:
    engine = create_engine(url, json_serializer=memo_json)

    @event.listens_for(engine, "connect")
    def pragmas(conn: Any, _record: Any) -> None:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=OFF")  # the build only; measurements use the CLI

    return engine


def chunks(rows: Iterator[Any], size: int = BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def scratch_events(tpls: dict[tuple[int, int], Template], tmp: Path) -> dict[Any, list[Any]]:
    """What the real diff job reports for each template's transitions (base -> variant)."""
    url = f"sqlite:///{tmp}/scratch.sqlite"
    build(url, tpls, sources=0, versions=2, transitions=True)
    usage = measure.run([*measure.policywatch(), "diff", "--db", url])
    if usage.returncode != 0:
        raise SystemExit(f"scratch diff failed: {usage.stderr.strip()[-400:]}")
    db = Database(url)
    found: dict[Any, list[Any]] = {}
    columns = [c.key for c in ChangeEventRecord.__table__.columns if c.key != "id"]
    with db.session() as session:
        for rec in session.scalars(select(ChangeEventRecord).order_by(ChangeEventRecord.id)):
            if rec.before_snapshot_id is None:  # the first version: not a transition
                continue
            t, v = (int(x) for x in rec.source_id.split("-")[1:])
            found.setdefault((t, v), []).append({c: getattr(rec, c) for c in columns})
    db.dispose()
    return found


def build(
    url: str,
    tpls: dict[tuple[int, int], Template],
    *,
    sources: int,
    versions: int,
    events: dict[Any, list[Any]] | None = None,
    transitions: bool = False,
    cycles: int = 1,
    now: datetime | None = None,
) -> dict[str, int]:
    """Fill a new database; with ``transitions``, one source per template transition only."""
    Database(url).dispose()  # the schema, by the real migrations
    now = now or datetime.now(UTC)
    engine = bulk_engine(url)
    rng = random.Random(42)
    if transitions:
        plan = {f"scratch-{t}-{v}": (t, [0, v]) for t in TEMPLATES for v in VARIANTS if v != 0}
        srcs = [{**source_row(0), "id": sid, "payer": "PAYER"} for sid in plan]
    else:
        plan = {
            f"scale-{i:05d}": (TEMPLATES[i % len(TEMPLATES)], history(rng, versions))
            for i in range(sources)
        }
        srcs = [source_row(i) for i in range(sources)]
    if events is not None and versions >= 2:
        # The history up to the second newest version is diffed and reviewed already. Snapshot
        # ids are assigned version by version in plan order (see below).
        for j, row in enumerate(srcs):
            row["last_diffed_snapshot_id"] = (versions - 2) * len(srcs) + j + 1
            row["health"] = "ok"
    payer = {s["id"]: s["payer"] for s in srcs}
    counts = {"sources": len(srcs), "snapshots": 0, "events": 0}
    with engine.begin() as conn:
        conn.execute(insert(Source), srcs)
        for k in range(versions):
            # A version a week, a cycle a day: the days between versions answer 304.
            for d in range(cycles if k < versions - 1 else 1):
                at = now - (versions - 1 - k) * WEEK - timedelta(hours=1) + d * WEEK / cycles
                conn.execute(
                    insert(CrawlRun),
                    [
                        {
                            "id": k * cycles + d + 1,
                            "started_at": at,
                            "finished_at": at + timedelta(minutes=30),
                            "sources_total": len(srcs),
                            "new_versions": 0 if d else len(srcs),
                            "unchanged": len(srcs) if d else 0,
                            "failed": 0,
                            "status": "finished",
                        }
                    ],
                )
    snap_ids: dict[tuple[str, int], int] = {}
    # Each source's whole base body, as put_blob chooses it: its previous version, or that
    # version's own base when the previous one was stored as a delta. Kept as (sha256,
    # template, suffix), not bytes: 10,000 bodies would not fit in memory.
    bases: dict[str, tuple[str, Template, bytes]] = {}
    for k in range(versions):
        at = now - (versions - 1 - k) * WEEK - timedelta(hours=1)
        for batch in chunks(enumerate(plan.items())):
            blobs, snaps, fetches, exts = [], [], [], []
            for j, (sid, (t, seq)) in batch:
                next_id = k * len(srcs) + j + 1
                tpl = tpls[t, seq[k]]
                suffix = f"\n<!-- {sid} version {k} -->\n".encode()
                packer, digest = tpl.packer.copy(), tpl.digest.copy()
                digest.update(suffix)
                sha = digest.hexdigest()
                page_url = f"https://payer.example/{sid}"
                blobs.append(blob_row(sid, sha, tpl, suffix, packer, bases))
                snaps.append(
                    {
                        "id": next_id,
                        "source_id": sid,
                        "sha256": sha,
                        "size": len(tpl.body) + len(suffix),
                        "requested_url": page_url,
                        "final_url": page_url,
                        "http_status": 200,
                        "content_type": tpl.content_type,
                        "etag": f'"{sha[:32]}"',
                        "last_modified": None,
                        "fetched_at": at,
                        "redirects": [],
                    }
                )
                fetches.append(
                    {
                        "run_id": k * cycles + 1,
                        "source_id": sid,
                        "started_at": at,
                        "duration_s": 0.4,
                        "url": page_url,
                        "final_url": page_url,
                        "http_status": 200,
                        "result": "new_version",
                        "bytes": len(tpl.body) + len(suffix),
                        "snapshot_id": next_id,
                    }
                )
                for d in range(1, cycles if k < versions - 1 else 1):
                    fetches.append(
                        {
                            "run_id": k * cycles + d + 1,
                            "source_id": sid,
                            "started_at": at + d * WEEK / cycles,
                            "duration_s": 0.1,
                            "url": page_url,
                            "final_url": page_url,
                            "http_status": 304,
                            "result": "not_modified",
                            "bytes": 0,
                            "snapshot_id": None,
                        }
                    )
                exts.append({"snapshot_id": next_id, "created_at": at, **tpl.rows})
                snap_ids[sid, k] = next_id
            with engine.begin() as conn:
                conn.execute(insert(Blob), blobs)
                conn.execute(insert(Snapshot), snaps)
                conn.execute(insert(FetchAttempt), fetches)
                conn.execute(insert(ExtractionRecord), exts)
            counts["snapshots"] += len(snaps)
    if events is not None and versions >= 2:
        rows = []
        for sid, (t, seq) in plan.items():
            for k in range(1, versions - 1):
                if seq[k] == seq[k - 1]:
                    continue
                for ev in events.get((t, seq[k]), []):
                    rows.append(
                        {
                            **ev,
                            "source_id": sid,
                            "before_snapshot_id": snap_ids[sid, k - 1],
                            "after_snapshot_id": snap_ids[sid, k],
                            "detected_at": now - (versions - 1 - k) * WEEK,
                            "summary": ev["summary"].replace("PAYER", payer[sid]),
                            "review_status": "confirmed" if ev["significant"] else "new",
                        }
                    )
        with engine.begin() as conn:
            for batch in chunks(iter(rows)):
                conn.execute(insert(ChangeEventRecord), batch)
        counts["events"] = len(rows)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return counts


def table_sizes(path: Path) -> list[tuple[str, int]]:
    """Bytes per table (indexes included) where SQLite was built with dbstat; else empty."""
    try:
        with sqlite3.connect(path) as db:
            rows = db.execute(
                "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
                "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
    except sqlite3.Error:
        return []
    return [(str(name), int(size)) for name, size in rows]


def write_floor(archive: Path, target: Path) -> str:
    """Write files of the sizes found in ``archive`` with bare os.write; what they came to.

    The first report into an empty folder exports every cited version. Whatever the report
    code does, the kernel must take that many bytes into that many new files: this is that
    floor, measured in its own child process like the steps it is compared with.
    """
    sizes = [p.stat().st_size for p in archive.iterdir() if not p.name.startswith(".")]
    block = random.Random(1).randbytes(max(sizes, default=0))
    target.mkdir(parents=True, exist_ok=True)
    for i, size in enumerate(sizes):
        fd = os.open(target / f"{i:08d}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, block[:size])
        finally:
            os.close(fd)
    return f"{len(sizes)} files, {sum(sizes) / 2**30:.2f} GiB"


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "_floor":
        print(write_floor(Path(sys.argv[2]), Path(sys.argv[3])))
        return
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=10, help="a week apart")
    parser.add_argument(
        "--cycles", type=int, default=7, help="crawl cycles per version (the others answer 304)"
    )
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep the database")
    args = parser.parse_args()
    if args.sources < 1 or args.versions < 2 or args.cycles < 1:
        parser.error("--sources and --cycles must be at least 1, --versions at least 2")
    with contextlib.ExitStack() as stack:
        if args.keep:
            tmp = Path(args.keep).resolve()
            tmp.mkdir(parents=True, exist_ok=True)
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        path = tmp / "scale.sqlite"
        if path.exists():
            raise SystemExit(f"{path} exists; give --keep an empty directory")
        url = f"sqlite:///{path}"

        started = time.perf_counter()
        tpls = templates()
        events = scratch_events(tpls, tmp)
        counts = build(
            url,
            tpls,
            sources=args.sources,
            versions=args.versions,
            events=events,
            cycles=args.cycles,
        )
        built = time.perf_counter() - started
        size = path.stat().st_size
        print(
            f"{counts['sources']} sources x {args.versions} versions: {counts['snapshots']} "
            f"snapshots, {counts['events']} change events in the history; built in {built:.0f} s"
        )
        print(f"database {size / 2**20:,.0f} MiB (target < 3 GiB at 10,000 x 10)")
        for name, nbytes in table_sizes(path)[:6]:
            per = nbytes / counts["snapshots"] / 1024
            print(f"  {name:22} {nbytes / 2**20:10,.0f} MiB {per:8.1f} KiB per version")

        pw = measure.policywatch()
        out = tmp / "reports"
        runs = {
            "CLI start-up (--help)": [*pw, "report", "--help"],
            "diff job (newest versions)": [*pw, "diff", "--db", url],
            "matrix (html)": [
                *pw,
                "report",
                "--db",
                url,
                "--format",
                "matrix",
                "--out",
                str(out / "matrix.html"),
            ],
            "change report (html)": [
                *pw,
                "report",
                "--db",
                url,
                "--format",
                "html",
                "--out",
                str(out / "changes.html"),
            ],
            "report --all": [*pw, "report", "--db", url, "--all", "--out", str(out / "all")],
        }
        # A scheduled cycle writes into the same folder: the evidence of earlier cycles is there.
        runs["matrix (html), next cycle"] = runs["matrix (html)"]
        runs["change report, next cycle"] = runs["change report (html)"]
        print(f"\n{'step':28} {'CPU s':>8} {'wall s':>8} {'maxRSS':>8} {'treePSS':>8}  note")
        results = {}
        for label, cmd in runs.items():
            usage = measure.run(cmd, cwd=tmp)
            results[label] = usage
            lines = usage.stdout.strip().splitlines() or [""]
            note = next((x for x in lines if "version" in x or "archived" in x), "")[:70]
            if usage.returncode != 0:
                note = f"exit {usage.returncode}: {(usage.stderr.strip().splitlines() or [''])[-1]}"
            print(
                f"{label:28} {usage.cpu:8.2f} {usage.wall:8.1f} {usage.max_rss_mib:8.0f} "
                f"{usage.tree_rss_mib:8.0f}  {note}",
                flush=True,
            )
        # Wall time on a shared machine is noisy; CPU seconds net of the CLI's start-up are not.
        base = results["CLI start-up (--help)"]

        def net(*labels: str) -> str:
            cpu = sum(results[x].cpu - base.cpu for x in labels)
            wall = sum(results[x].wall - base.wall for x in labels)
            return f"{cpu:.1f} s CPU, {wall:.1f} s wall net of start-up"

        floor = measure.run(
            [sys.executable, __file__, "_floor", str(out / "archive"), str(tmp / "floor")]
        )
        print(f"{'bare os.write of the evidence':28} {floor.cpu:8.2f} {floor.wall:8.1f}", end="")
        print(f" {'':8} {'':8}  {floor.stdout.strip()}")
        print(f"\nmatrix + change report: {net('matrix (html)', 'change report (html)')}", end="")
        print(" (target < 5 s at 10,000 x 10), first write into an empty folder")
        print(
            f"  of which the kernel's part, writing the evidence files: about {floor.cpu:.1f} s "
            "CPU (bare os.write of the same sizes)"
        )
        again = net("matrix (html), next cycle", "change report, next cycle")
        print(f"matrix + change report, next cycle (evidence already exported): {again}")
        print(f"report --all: {net('report --all')}")
        print(f"diff job: {net('diff job (newest versions)')} (target < 60 s at 10,000 sources)")
        peak = max(max(u.max_rss_mib, u.tree_rss_mib) for u in results.values())
        print(f"peak memory of any step: {peak:.0f} MiB (target < 500 MiB at 10,000 sources)")


if __name__ == "__main__":
    main()
