"""Clause-level change detection between two extracted versions of one source.

Pure functions: no database, no clock, no network. The caller picks the versions (the previous
*good* one as ``before``), stores the events and stamps detection time.

Semantics of :func:`diff_versions`:

- ``after`` not good (maintenance, login wall, soft 404, …) → exactly one ``unavailable`` event
  with drug None; nothing about coverage is concluded.
- ``before`` None → the first good version of a source is the *baseline*: no events (there is
  nothing to compare; storing it as "added" would flood analysts on every new source).
- otherwise, per drug: ``added``, ``removed``, ``stance_change``, ``criteria_change`` or
  ``coding_change`` (see :mod:`monitor.diff.classify` for the decision order), and one
  ``moved`` event (drug None) whenever the URL changed, beside any coverage events (which
  then carry ``url_changed``). Noise produces no event.
- an outage is the caller's to track: it calls with each version it sets aside only while no
  outage is open (one ``unavailable`` event per outage, not per fetch), and compares the first
  good version after it with the last good version before it, which reports only real changes.

Criteria values and stances are always recomputed from the clauses, through the same functions
the extractor fills ``Extraction.summaries`` with (:mod:`crawler.extract.criteria`), never taken
from the stored summaries; only the extractor's code lists are used, because code tables are
often not clauses.
"""

from __future__ import annotations

from crawler.extract.criteria import summarize
from crawler.extract.model import Extraction
from monitor.diff.classify import classify, unavailable_event
from monitor.diff.model import SIGNIFICANT_KINDS, ChangeEvent, ClauseChange
from monitor.diff.redline import redline, redline_tokens
from monitor.diff.summary import summarize_event

# Bump when a change here can turn the same two extractions into different events, so stored
# events can be recomputed (style note 6).
DIFFER_VERSION = "1.3.0"

__all__ = [
    "DIFFER_VERSION",
    "SIGNIFICANT_KINDS",
    "ChangeEvent",
    "ClauseChange",
    "diff_versions",
    "redline",
    "redline_tokens",
    "summarize",
]


def diff_versions(
    before: Extraction | None,
    after: Extraction,
    *,
    url_before: str | None = None,
    url_after: str | None = None,
    payer: str | None = None,
) -> list[ChangeEvent]:
    """Change events between the last good version ``before`` and the new version ``after``."""
    if before is not None and not before.good:
        raise ValueError(
            f"before must be the previous good version, got outcome {before.outcome!r}; "
            "pass the last good extraction"
        )
    if not after.good:
        events = [unavailable_event(before, after, url_before=url_before, url_after=url_after)]
    elif before is None:
        events = []
    else:
        events = classify(before, after, url_before=url_before, url_after=url_after)
    content_changed = any(ev.kind != "moved" for ev in events)
    for ev in events:
        ev.summary = summarize_event(ev, payer, content_changed=content_changed)
    return events
