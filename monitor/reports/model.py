"""Plain data the report renderers take: no ORM objects, so rendering needs no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.reviews import UNPUBLISHED_STATUSES


@dataclass(frozen=True)
class SourceInfo:
    """The registry facts and health of one watched document."""

    id: str
    payer: str
    plan_type: str
    state: str
    document_type: str
    title: str
    url: str
    last_checked_at: datetime | None = None
    health: str | None = None  # outcome of the latest extraction
    health_message: str | None = None
    consecutive_failures: int = 0
    last_error_kind: str | None = None
    last_error: str | None = None
    last_success_at: datetime | None = None
    format: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class VersionRef:
    """One archived snapshot as evidence: what was fetched, when, and its content hash."""

    snapshot_id: int
    sha256: str
    fetched_at: datetime
    url: str
    content_type: str | None
    size: int
    source_id: str | None = None
    requested_url: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    redirects: tuple[Any, ...] = ()


@dataclass(frozen=True)
class EventView:
    """A stored change event with its source and both compared versions."""

    id: int
    source: SourceInfo
    kind: str
    drug: str | None
    significant: bool
    stance_before: str | None
    stance_after: str | None
    summary: str
    effective_date: str | None
    detected_at: datetime
    review_status: str
    before: VersionRef | None
    after: VersionRef
    detail: dict[str, Any] = field(default_factory=dict)  # ChangeEvent.to_dict()
    differ_version: str = ""
    review_note: str | None = None  # the analyst's note, published with the change
    review_summary: str | None = None  # the analyst's wording (``summary`` already uses it)
    reviewed_at: datetime | None = None
    detected_summary: str = ""  # the differ's own wording, as stored

    @property
    def published(self) -> bool:
        """A coverage change readers should hear of: significant, and not dismissed by an
        analyst nor a flip back to content reported a few days before."""
        return self.significant and self.review_status not in UNPUBLISHED_STATUSES


@dataclass(frozen=True)
class MatrixRow:
    """A source's current stance on one drug, read from its latest good version.

    ``drug`` is None for a source that has nothing to show per drug (no good version yet, or a
    good version without ketamine/esketamine content); ``status`` says which.
    """

    source: SourceInfo
    drug: str | None
    stance: str | None
    criteria: dict[str, Any]
    effective_date: str | None
    evidence: VersionRef | None
    status: str  # current | unavailable | failing | no_good_version | no_drug_content
    note: str = ""


@dataclass(frozen=True)
class Period:
    """The reporting window (``until`` exclusive) and when the report was made."""

    since: datetime | None
    until: datetime | None
    generated_at: datetime
    awaiting_review: int = 0  # significant changes held back until an analyst confirms them
