"""SQLAlchemy 2.x models: sources, fetch attempts, immutable snapshots and what derives from them.

Raw bodies live in ``blobs``, keyed by sha256 and compressed, so identical bodies are stored once
whichever source or version they belong to. Everything below a snapshot (extractions, change
events) is recomputable and carries the version of the code that made it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A watched document. ``id`` is the registry's stable slug, never derived from the URL."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    payer: Mapped[str] = mapped_column(String(200))
    plan_type: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(2))
    document_type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(10))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Health, kept current by each fetch and extraction.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_kind: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    health: Mapped[str | None] = mapped_column(String(40))  # latest extraction outcome
    health_message: Mapped[str | None] = mapped_column(Text)
    # Change detection has looked at every snapshot up to this one.
    last_diffed_snapshot_id: Mapped[int | None] = mapped_column(Integer)
    # Found by discovery after the registry was first crawled: its first version is news.
    discovered: Mapped[bool] = mapped_column(Boolean, default=False)

    snapshots: Mapped[list[Snapshot]] = relationship(back_populates="source")


class Blob(Base):
    """Raw bytes of a body, stored once per distinct content."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    compression: Mapped[str] = mapped_column(String(10), default="zlib")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # compression "zstd-delta": the whole blob whose bytes are the zstd dictionary. No foreign
    # key, so a backup restores in any row order; `db check` reports a missing base.
    base_sha256: Mapped[str | None] = mapped_column(String(64), default=None)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sources_total: Mapped[int] = mapped_column(Integer, default=0)
    new_versions: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="running")


class Snapshot(Base):
    """One distinct body of a source at a point in time. Immutable once written."""

    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_source_fetched", "source_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    size: Mapped[int] = mapped_column(BigInteger)
    requested_url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    etag: Mapped[str | None] = mapped_column(String(400))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    redirects: Mapped[list[Any]] = mapped_column(JSON, default=list)

    source: Mapped[Source] = relationship(back_populates="snapshots")
    blob: Mapped[Blob] = relationship()


class FetchAttempt(Base):
    """Every fetch, successful or not: the operator's audit trail."""

    __tablename__ = "fetch_attempts"
    __table_args__ = (Index("ix_fetch_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    # new_version | unchanged | not_modified | failed
    result: Mapped[str] = mapped_column(String(20))
    error_kind: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))


class ExtractionRecord(Base):
    """The extractor's output for one snapshot, per extractor version (recomputable).

    ``record`` is the compact, compressed extraction without its blocks (they are recomputed
    from the raw snapshot); ``summary`` and ``fingerprint`` are the small parts that the matrix
    and the diff's flap check read without opening it. ``data`` holds the full JSON document
    of rows written before the compact record existed; new rows leave it empty.
    """

    __tablename__ = "extractions"
    __table_args__ = (UniqueConstraint("snapshot_id", "extractor_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"), index=True)
    extractor_version: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    record: Mapped[bytes | None] = mapped_column(LargeBinary)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    fingerprint: Mapped[str | None] = mapped_column(String(80))
    # Deferred: a legacy row's document is hundreds of KB that only its loader should read.
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), deferred=True)


class ChangeEventRecord(Base):
    """A change of one drug's coverage (or availability) between two snapshots of a source."""

    __tablename__ = "change_events"
    __table_args__ = (
        UniqueConstraint("source_id", "before_snapshot_id", "after_snapshot_id", "kind", "drug"),
        Index("ix_events_detected", "detected_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    before_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    after_snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    effective_date: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    drug: Mapped[str] = mapped_column(String(20), default="")  # "" when not drug-specific
    significant: Mapped[bool] = mapped_column(Boolean, default=False)
    stance_before: Mapped[str | None] = mapped_column(String(40))
    stance_after: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    # new | confirmed | dismissed | flapping (a flip back to recent content: kept, not announced)
    review_status: Mapped[str] = mapped_column(String(20), default="new")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)
    # The summary an analyst approved for publication (None: the diff's own summary).
    review_summary: Mapped[str | None] = mapped_column(Text)
    differ_version: Mapped[str] = mapped_column(String(40), default="")


class Quarantine(Base):
    """A snapshot that reads as a policy alone but not next to its source's history.

    E.g. a truncated page that kept its header: judged by the diff job against the last good
    version, so it is recorded here (derived, recomputable) rather than in the extraction.
    """

    __tablename__ = "quarantines"

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """A message already sent, keyed so each problem or change is announced at most once."""

    __tablename__ = "notifications"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    audience: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(Text)


class ProposedSource(Base):
    """A document found by discovery on an index page, waiting for an operator to accept it."""

    __tablename__ = "proposed_sources"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    proposed_id: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(Text)
    payer: Mapped[str] = mapped_column(String(200))
    plan_type: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(2))
    document_type: Mapped[str] = mapped_column(String(40))
    format: Mapped[str | None] = mapped_column(String(10))
    drugs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    found_via: Mapped[str] = mapped_column(Text)  # the index source id and page it came from
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed | accepted


class User(Base):
    """A person (or tool) allowed into the review workspace; secrets are stored only hashed."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))  # viewer | analyst | operator | admin
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id, with its parameters and salt
    # sha256 of the API token: the token is random and long, so a fast hash is enough.
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Review(Base):
    """One verdict or edit on a change event: the audit trail, never updated or deleted."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_event_at", "event_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("change_events.id"))
    reviewer: Mapped[str] = mapped_column(String(80))  # a user name, or "cli:<login>"
    verdict: Mapped[str] = mapped_column(String(20))  # the event's status after this review
    summary: Mapped[str | None] = mapped_column(Text)  # the summary to publish, if edited
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
