"""What is wrong with a source, in a few words: shared by `policywatch health` and the web app."""

from __future__ import annotations

from crawler.extract.model import GOOD_OUTCOMES, UNAVAILABLE_OUTCOMES
from storage.models import Source


def source_problem(src: Source) -> str:
    """ "" for a healthy source; else never crawled, N failures, robots, or quarantined."""
    if src.last_checked_at is None:
        return "never crawled"
    if src.consecutive_failures and src.last_error_kind in UNAVAILABLE_OUTCOMES:
        # Fetched, but not a usable version (maintenance, login, error page ...).
        n = src.consecutive_failures
        return f"quarantined: {src.last_error_kind}" + (f" ({n} fetches in a row)" if n > 1 else "")
    if src.consecutive_failures:
        return f"{src.consecutive_failures}× {src.last_error_kind}"
    if src.health and src.health not in GOOD_OUTCOMES:
        return f"quarantined: {src.health}"
    return ""
