"""Which sources need an operator, and why: the one rule behind `policywatch health`, the
operators' page and the operators' notifications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from crawler.errors import HINTS
from crawler.extract.model import GOOD_OUTCOMES, UNAVAILABLE_OUTCOMES
from storage.models import Source

ProblemKind = Literal["never_crawled", "quarantined", "robots", "failing"]


@dataclass(frozen=True)
class SourceProblem:
    kind: ProblemKind
    summary: str  # a few words for lists: "3× timeout", "quarantined: maintenance"
    detail: str  # one line for a notification
    advice: str  # what an operator can do about it
    failures: int  # consecutive failed fetches

    def announce(self, threshold: int) -> bool:
        """Whether operators are sent it: robots.txt at once, other failures at ``threshold``.

        A quarantined version is announced by its ``unavailable`` change event (once per
        outage, however many fetches it lasts); a source never crawled has failed at nothing.
        """
        return self.kind == "robots" or (self.kind == "failing" and self.failures >= threshold)


def source_problem(src: Source) -> SourceProblem | None:
    """None for a healthy source; else never crawled, failing, robots or quarantined."""
    n = src.consecutive_failures or 0
    kind = src.last_error_kind or "other"
    if src.last_checked_at is None:
        return SourceProblem(
            "never_crawled",
            "never crawled",
            "not fetched yet",
            f"run `policywatch crawl --source {src.id}`",
            0,
        )
    if n and kind in UNAVAILABLE_OUTCOMES:
        # Fetched, but not a usable version (maintenance, login, error page ...).
        return _quarantined(src, kind, f" ({n} fetches in a row)" if n > 1 else "", n)
    if n:
        return SourceProblem(
            "robots" if kind == "robots" else "failing",
            f"{n}× {kind}",
            f"robots.txt disallows {src.url} — ask the site or drop it"
            if kind == "robots"
            else f"{n} consecutive failures ({kind}: {src.last_error})",
            f"{src.last_error} — {HINTS.get(kind, '')}",
            n,
        )
    if src.health and src.health not in GOOD_OUTCOMES:
        return _quarantined(src, src.health, "", 0)
    return None


def _quarantined(src: Source, outcome: str, streak: str, failures: int) -> SourceProblem:
    return SourceProblem(
        "quarantined",
        f"quarantined: {outcome}{streak}",
        f"version quarantined ({outcome})",
        f"{src.health_message or ''} — check the live page; the last good version is kept",
        failures,
    )
