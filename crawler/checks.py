"""The outcome of checking one registry entry live: can it be fetched, and is it the document?"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from crawler.extract.model import UNAVAILABLE_OUTCOMES

# Outcomes that fail a check: the URL serves no usable version. A short page without anchors
# is judged against the source's history (monitor/changes.py), which a live check lacks.
FAILING_OUTCOMES = UNAVAILABLE_OUTCOMES - {"anchors_lost"}


@dataclass
class CheckResult:
    source_id: str
    url: str
    http_status: int | None = None
    final_url: str | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    robots_allowed: bool | None = None  # None: robots.txt not consulted (obey_robots off)
    content_type: str | None = None
    outcome: str | None = None  # extraction outcome
    message: str = ""
    expected_drugs: list[str] = field(default_factory=list)
    found_drugs: list[str] = field(default_factory=list)
    error_kind: str | None = None
    duration_s: float = 0.0

    @property
    def drugs_ok(self) -> bool:
        """Every drug the entry promises was found by extraction (vacuous for indexes)."""
        return set(self.expected_drugs) <= set(self.found_drugs)

    @property
    def passed(self) -> bool:
        """The URL works: 2xx, allowed by robots.txt, and not a failure page.

        A missing drug is reported but does not fail the entry: ``verified`` dates the URL,
        and a general document (a provider manual) can work without naming the drug.
        """
        return (
            self.error_kind is None
            and self.http_status is not None
            and 200 <= self.http_status < 300
            and self.robots_allowed is not False
            and self.outcome not in FAILING_OUTCOMES
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(passed=self.passed, drugs_ok=self.drugs_ok)
        return data
