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
SIGNIFICANT_KINDS: frozenset[str] = frozenset(
    {"stance_change", "criteria_change", "added", "removed"}
)


@dataclass
class ClauseChange:
    """One aligned clause pair; ``before`` or ``after`` is None for added / removed clauses."""

    op: Literal["added", "removed", "modified"]
    before: str | None
    after: str | None
    section: str = ""
    redline: str = ""  # word-level redline: [-removed-] {+added+}
    # Optional detail (added by the diff; older stored events simply lack it):
    tokens: list[tuple[str, str]] = field(default_factory=list)  # (equal|delete|insert, text)
    drug: str | None = None
    clause_type: str | None = None
    indication: str | None = None  # of the clause or of the statement governing it
    stance_before: str | None = None
    stance_after: str | None = None


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
    # The source's URL differed between the two versions (a move); set together with the real
    # change when a move and a coverage change arrive in the same fetch.
    url_changed: bool = False

    @property
    def significant(self) -> bool:
        return self.kind in SIGNIFICANT_KINDS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangeEvent:
        data = dict(data)
        changes = []
        for c in data.get("clause_changes", []):
            c = dict(c)
            # JSON turns the (op, text) tuples into lists; restore them.
            c["tokens"] = [tuple(t) for t in c.get("tokens", [])]
            changes.append(ClauseChange(**c))
        data["clause_changes"] = changes
        return cls(**data)
