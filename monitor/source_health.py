"""What is wrong with a source, in a few words: shared by `policywatch health` and the web app."""

from __future__ import annotations

from crawler.extract.model import GOOD_OUTCOMES
from storage.models import Source


def source_problem(src: Source) -> str:
    """ "" for a healthy source; else never crawled, N failures, robots, or quarantined."""
    if src.last_checked_at is None:
        return "never crawled"
    if src.consecutive_failures:
        return f"{src.consecutive_failures}× {src.last_error_kind}"
    if src.health and src.health not in GOOD_OUTCOMES:
        return f"quarantined: {src.health}"
    return ""
