"""Stage 3: write fetch records, snapshots and extractions, in batches, and keep source health.

Writes are batched because one transaction per page would cap an unchanged recrawl at the
database's commit rate rather than the network's. A batch is bounded by count and by bytes, so
memory stays small however large the pages. Nothing is counted before its transaction commits:
a batch that fails is retried one item at a time, and what still cannot be written is reported
(the run ends "failed") instead of being announced as stored.

Batches are written by one writer thread, in order: compressing, serialising and committing a
batch takes long enough that, on the reactor thread, every download stalled behind it. One
thread keeps a single writer (SQLite allows no more) and the order of writes. At most one batch
is being written and one waits; a third makes the pipeline wait, so memory stays bounded. The
item that fills a batch is passed on only once its batch is written, as before: with
``POLICYWATCH_BATCH_SIZE = 1`` (cluster workers) every item is stored before the next stage.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from crawler.extract.model import GOOD_OUTCOMES
from crawler.extract.record import record_columns
from crawler.items import FetchResult
from storage.blobs import put_blob
from storage.db import Database
from storage.models import CrawlRun, ExtractionRecord, FetchAttempt, Snapshot, Source

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("POLICYWATCH_BATCH_SIZE", 200)
        self.batch_bytes = crawler.settings.getint("POLICYWATCH_BATCH_BYTES", 8 * 1024 * 1024)
        self.buffer: list[FetchResult] = []
        self.buffered_bytes = 0
        self.counts = {"new_versions": 0, "unchanged": 0, "failed": 0}
        self.unstored: list[str] = []  # source ids whose outcome could not be written
        self.failures: dict[str, int] = {}
        # Each source's latest extraction outcome: a refetch of the same maintenance page
        # (identical bytes or 304) is the same outage going on, so it counts as a failure too.
        self.health: dict[str, str | None] = {}
        self.db: Database | None = None
        self.run_id: int | None = None
        # Once open_spider has run, counts, unstored, failures and health are touched by the
        # writer thread only; the reactor thread fills the buffer and hands it over.
        self.writer: ThreadPoolExecutor | None = None
        self.pending: list[Future[None]] = []  # batches handed to the writer, not yet written

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.db = Database(self.crawler.settings.get("POLICYWATCH_DB_URL"))
        with self.db.session() as session:
            run = CrawlRun(started_at=datetime.now(UTC), status="running")
            session.add(run)
            session.flush()
            self.run_id = run.id
            rows = session.execute(
                select(Source.id, Source.consecutive_failures, Source.health)
            ).all()
            self.failures = {r.id: r.consecutive_failures or 0 for r in rows}
            self.health = {r.id: r.health for r in rows}
        self.crawler.stats.set_value("policywatch/run_id", self.run_id)
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="policywatch-store")

    async def process_item(self, item: FetchResult) -> FetchResult:
        while len(self.pending) >= 2:  # one batch being written, one waiting: wait for a turn
            await asyncio.wrap_future(self.pending[0])
        self.buffer.append(item)
        self.buffered_bytes += len(item.body)
        if len(self.buffer) >= self.batch_size or self.buffered_bytes >= self.batch_bytes:
            await asyncio.wrap_future(self.flush())
        return item

    def flush(self) -> Future[None]:
        """Hand the buffered items to the writer thread; the future is done once written."""
        if not self.buffer or self.db is None or self.writer is None:
            done: Future[None] = Future()
            done.set_result(None)
            return done
        items, self.buffer, self.buffered_bytes = self.buffer, [], 0
        future = self.writer.submit(self._write_batch, items)
        self.pending.append(future)
        future.add_done_callback(self._written)
        return future

    def _written(self, future: Future[None]) -> None:
        # On the writer thread; list.remove is atomic under the GIL.
        self.pending.remove(future)
        if future.exception() is not None:
            log.error("a batch could not be stored: %s", future.exception())

    def _write_batch(self, items: list[FetchResult]) -> None:
        try:
            self._write(items)
        except Exception as exc:  # the database refused the batch: try each item alone
            log.warning("storing a batch of %d failed (%s); retrying one by one", len(items), exc)
            for item in items:
                try:
                    self._write([item])
                except Exception as one:
                    log.error("could not store the outcome of %s: %s", item.source_id, one)
                    self.unstored.append(item.source_id)
        for item in items:
            item.body = b""  # the bytes are stored; do not keep them alive in memory
            item.extraction_fields = None

    def _write(self, items: list[FetchResult]) -> None:
        assert self.db is not None
        attempts: list[dict[str, Any]] = []
        health: list[dict[str, Any]] = []
        failures = dict(self.failures)
        with self.db.session() as session:
            for item in items:
                snapshot_id = self._store_version(session, item) if item.is_new else None
                attempts.append(self._attempt(item, snapshot_id))
                health.append(self._health(item, failures))
            session.execute(insert(FetchAttempt), attempts)
            session.execute(update(Source), health)
        # Committed: only now does any of it count.
        self.failures = failures
        for row in attempts:
            key = {"failed": "failed", "new_version": "new_versions"}.get(row["result"])
            self.counts[key or "unchanged"] += 1

    def _store_version(self, session: Session, item: FetchResult) -> int | None:
        """Write a new snapshot, or None when the source's newest one already has these bytes.

        The newest snapshot is read inside this transaction (the source row locked on
        PostgreSQL, the database on SQLite), so a second writer of the same bytes, e.g. an
        overlapping crawl, finds the first one's snapshot instead of adding a duplicate.
        """
        assert item.sha256 is not None
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(Source.id).where(Source.id == item.source_id).with_for_update())
        newest = session.execute(
            select(Snapshot.sha256)
            .where(Snapshot.source_id == item.source_id)
            .order_by(Snapshot.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if newest == item.sha256:
            item.is_new = False
            return None
        # The previous version is the likeliest near-copy: store this one as a delta against it.
        put_blob(session, item.body, item.sha256, base_sha256=newest)
        snap = Snapshot(
            source_id=item.source_id,
            sha256=item.sha256,
            size=len(item.body),
            requested_url=item.url,
            final_url=item.final_url or item.url,
            http_status=item.http_status or 200,
            content_type=item.content_type,
            etag=item.etag,
            last_modified=item.last_modified,
            fetched_at=item.started_at,
            redirects=item.redirects,
        )
        session.add(snap)
        session.flush()
        item.snapshot_id = snap.id
        if item.extraction is not None:
            # Computed in the extraction worker (crawler/pipelines/pool.py) when it ran there.
            fields = item.extraction_fields or record_columns(item.extraction)
            session.add(
                ExtractionRecord(
                    snapshot_id=snap.id,
                    extractor_version=item.extractor_version,
                    created_at=datetime.now(UTC),
                    **fields,
                )
            )
        return snap.id

    def _attempt(self, item: FetchResult, snapshot_id: int | None) -> dict[str, Any]:
        if item.status == "failed":
            result = "failed"
        elif item.status == "not_modified":
            result = "not_modified"
        else:
            result = "new_version" if snapshot_id is not None else "unchanged"
        return {
            "run_id": self.run_id,
            "source_id": item.source_id,
            "started_at": item.started_at,
            "duration_s": item.duration_s,
            "url": item.url,
            "final_url": item.final_url,
            "http_status": item.http_status,
            "result": result,
            "error_kind": item.error_kind,
            "error": item.error,
            "bytes": len(item.body),
            "snapshot_id": snapshot_id,
        }

    def _unavailable(self, item: FetchResult) -> tuple[str, str] | None:
        """(kind, message) when a fetch that returned a body still gave no usable version.

        A new body the extractor reads as a maintenance, login, error or soft-404 page, or a
        refetch (same bytes, or 304) of a source whose latest version is one: every fetch of an
        outage counts towards the failure streak, not only the first.
        """
        ext = item.extraction
        if item.is_new and ext is not None:
            self.health[item.source_id] = ext.outcome
            if not ext.good:
                return ext.outcome, ext.message or f"page reads as {ext.outcome}"
            return None
        outcome = self.health.get(item.source_id)
        if not item.is_new and outcome is not None and outcome not in GOOD_OUTCOMES:
            return outcome, f"still {outcome.replace('_', ' ')} (same version as last fetch)"
        return None

    def _health(self, item: FetchResult, failures: dict[str, int]) -> dict[str, Any]:
        row: dict[str, Any] = {"id": item.source_id, "last_checked_at": item.started_at}
        unavailable = None if item.status == "failed" else self._unavailable(item)
        if item.status == "failed" or unavailable:
            count = failures.get(item.source_id, 0) + 1
            kind, error = unavailable or (item.error_kind, item.error)
            row.update(consecutive_failures=count, last_error_kind=kind, last_error=error)
        else:
            count = 0
            row.update(
                consecutive_failures=0,
                last_success_at=item.started_at,
                last_error_kind=None,
                last_error=None,
            )
        if item.extraction is not None:
            row.update(health=item.extraction.outcome, health_message=item.extraction.message)
        failures[item.source_id] = count
        return row

    def close_spider(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.shutdown(wait=True)  # every batch handed over is written
            self.writer = None
        if self.db is None:
            return
        try:
            with self.db.session() as session:
                run = session.get(CrawlRun, self.run_id)
                if run is not None:
                    run.finished_at = datetime.now(UTC)
                    run.sources_total = sum(self.counts.values()) + len(self.unstored)
                    run.new_versions = self.counts["new_versions"]
                    run.unchanged = self.counts["unchanged"]
                    run.failed = self.counts["failed"] + len(self.unstored)
                    run.status = "failed" if self.unstored else "finished"
        except Exception as exc:  # the database is gone: the next start closes the row
            log.error("could not close crawl run %s: %s", self.run_id, exc)
        self.crawler.stats.set_value("policywatch/unstored", list(self.unstored))
        self.db.dispose()
