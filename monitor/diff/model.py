"""Change events produced by the clause-level diff (pure data, no database)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal[
    "stance_change",
    "criteria_change",
    "added",
    "removed",
    "coding_change",
    "moved",
    "unavailable",
]
SIGNIFICANT_KINDS: frozenset[str] = frozenset({"stance_change", "criteria_change", "added", "removed"})


@dataclass
class ClauseChange:
    """One aligned clause pair; ``before`` or ``after`` is None for added / removed clauses."""

    op: Literal["added", "removed", "modified"]
    before: str | None
    after: str | None
    section: str = ""
    redline: str = ""  # word-level redline: [-removed-] {+added+}


@dataclass
class ChangeEvent:
    """One change of one drug between two versions of a source."""

    kind: str
    drug: str | None
    summary: str
    stance_before: str | None = None
    stance_after: str | None = None
    criteria_before: dict[str, Any] = field(default_factory=dict)
    criteria_after: dict[str, Any] = field(default_factory=dict)
    facts_before: dict[str, Any] = field(default_factory=dict)  # title, policy number, dates
    facts_after: dict[str, Any] = field(default_factory=dict)
    clause_changes: list[ClauseChange] = field(default_factory=list)
    effective_date: str | None = None

    @property
    def significant(self) -> bool:
        return self.kind in SIGNIFICANT_KINDS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangeEvent:
        data = dict(data)
        data["clause_changes"] = [ClauseChange(**c) for c in data.get("clause_changes", [])]
        return cls(**data)
