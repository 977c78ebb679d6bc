"""The extracted document: plain dataclasses shared by extraction, diffing and storage.

Everything here is JSON-serialisable through ``to_dict`` / ``from_dict`` (the full document, for
``extract --json``); storage uses the compact form of :mod:`crawler.extract.record`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

Drug = Literal["ketamine", "esketamine"]
DRUGS: tuple[Drug, ...] = ("ketamine", "esketamine")

Stance = Literal[
    "covered",
    "covered_with_criteria",
    "prior_authorization",
    "step_therapy",
    "preferred",
    "non_preferred",
    "not_covered",
    "experimental",
]
STANCES: tuple[str, ...] = get_args(Stance)

ClauseType = Literal["statement", "criterion", "limitation", "listing"]

# Extraction outcomes. Only "ok" and "no_drug_content" are good versions; every other outcome
# means the page is not (or no longer) a usable policy and must never be diffed as coverage.
Outcome = Literal[
    "ok",  # a policy document with drug clauses
    "no_drug_content",  # a valid document that is genuinely about something else
    "error_page",  # "404 not found", "500 internal error" bodies served with 200
    "maintenance",  # "down for maintenance", "temporarily unavailable"
    "login_wall",  # sign-in required
    "bot_challenge",  # captcha / "checking your browser"
    "empty_shell",  # JavaScript app shell with no text
    "soft_404",  # "page not found", "no longer available"
    "anchors_lost",  # looks like the source but lost title / policy number / coverage section
    "unparseable",  # corrupt PDF, undecodable JSON
]
GOOD_OUTCOMES: frozenset[str] = frozenset({"ok", "no_drug_content"})
# A body arrived but is no usable version: these outcomes count as failed fetches for health.
UNAVAILABLE_OUTCOMES: frozenset[str] = frozenset(get_args(Outcome)) - GOOD_OUTCOMES


BlockKind = Literal["heading", "paragraph", "list_item", "table_row"]


@dataclass(slots=True)
class Block:
    """One ordered text block of the document."""

    kind: BlockKind
    text: str
    heading_path: list[str] = field(default_factory=list)
    level: int = 0  # heading level, or list nesting depth
    columns: list[str] = field(default_factory=list)  # table column headers for table_row
    cells: list[str] = field(default_factory=list)  # table cells for table_row
    parent: int = -1  # index of the enclosing list item (nested lists), -1 at top level
    group: int = -1  # id shared by the items of one list or the rows of one table


@dataclass
class Clause:
    """A sentence, list item or table row that states (or conditions) coverage of a drug."""

    text: str
    drug: Drug
    stance: str
    type: ClauseType
    section: str = ""  # the heading path joined with " > "
    path: list[str] = field(default_factory=list)  # criteria path: governing statements/groups
    indication: str | None = None  # e.g. TRD, MDSI
    codes: list[str] = field(default_factory=list)  # billing / diagnosis codes in the clause


@dataclass
class DrugSummary:
    """Per drug: the governing stance and the key criteria as comparable values."""

    drug: Drug
    stance: str | None
    criteria: dict[str, Any] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)


@dataclass
class Extraction:
    """The result of extracting one snapshot."""

    outcome: str
    format: str  # html | pdf | json
    title: str | None = None
    policy_number: str | None = None
    effective_date: str | None = None  # ISO date
    last_reviewed: str | None = None  # ISO date
    blocks: list[Block] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)
    summaries: dict[str, DrugSummary] = field(default_factory=dict)
    message: str = ""  # why the outcome, for people
    text_length: int = 0
    # A heading opens coverage content: an anchor of the page. Kept apart from the blocks
    # because stored records drop the blocks (they are recomputed from the raw snapshot).
    coverage_heading: bool = False

    @property
    def good(self) -> bool:
        return self.outcome in GOOD_OUTCOMES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Extraction:
        data = dict(data)
        data["blocks"] = [Block(**b) for b in data.get("blocks", [])]
        data["clauses"] = [Clause(**c) for c in data.get("clauses", [])]
        data["summaries"] = {k: DrugSummary(**v) for k, v in data.get("summaries", {}).items()}
        return cls(**data)
