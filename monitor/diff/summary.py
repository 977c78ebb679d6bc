"""One-line summaries a person would write for a change event.

"Cigna: esketamine TRD now allows monotherapy; failed trials 3 → 2". Built only from the
event's own before/after values, so the line and the stored detail cannot disagree.
"""

from __future__ import annotations

from typing import Any

from monitor.diff.model import ChangeEvent

_STANCE_WORDS = {
    "covered": "covered",
    "covered_with_criteria": "covered with criteria",
    "prior_authorization": "prior authorization",
    "step_therapy": "step therapy",
    "preferred": "preferred",
    "non_preferred": "non-preferred",
    "not_covered": "not covered",
    "experimental": "experimental/investigational",
    "absent": "absent",
    "unknown": "unknown",
}

# Criteria keys (crawler/extract/criteria/values.py) in the order a reader cares about, with
# how to name them.
_LABELS: tuple[tuple[str, str], ...] = (
    ("failed_trials", "failed trials"),
    ("trial_weeks", "trial length (weeks)"),
    ("antidepressant_classes", "antidepressant classes"),
    ("approval_initial", "initial approval"),
    ("approval_renewal", "renewal approval"),
    ("prescriber", "prescriber"),
    ("min_age", "minimum age"),
    ("severity", "severity threshold"),
    ("monitoring_hours", "monitoring hours"),
    ("rems", "REMS"),
    ("quantity_limits", "quantity limit"),
    ("routes", "routes"),
    ("requirements", "requirements"),
    ("diagnosis_codes", "diagnosis codes"),
    ("hcpcs_codes", "billing codes"),
)


def stance_words(stance: str | None) -> str:
    """Readable name of a stance value."""
    if stance is None:
        return "unknown"
    return _STANCE_WORDS.get(stance, stance.replace("_", " "))


def _fmt(values: Any) -> str:
    if isinstance(values, list):
        return ", ".join(str(v) for v in values) if values else "none"
    return str(values)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _set_change(label: str, before: Any, after: Any) -> str:
    b, a = _as_list(before), _as_list(after)
    if isinstance(before, bool) or isinstance(after, bool):
        return f"{label} {'now required' if after else 'no longer required'}"
    if len(b) == 1 and len(a) == 1:
        return f"{label} {b[0]} → {a[0]}"
    added = [v for v in a if v not in b]
    removed = [v for v in b if v not in a]
    parts = []
    if added:
        parts.append(f"{label} added {_fmt(added)}")
    if removed:
        parts.append(f"{label} removed {_fmt(removed)}")
    return "; ".join(parts)


def criteria_phrases(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Readable phrases for each criteria value that differs between two summaries."""
    phrases: list[str] = []
    mb, ma = before.get("monotherapy_allowed"), after.get("monotherapy_allowed")
    if mb != ma:
        if ma is True:
            phrases.append("now allows monotherapy")
        elif mb is True:
            phrases.append("no longer allows monotherapy")
        elif ma is False:
            phrases.append("now requires a concomitant oral antidepressant")
        else:
            phrases.append("monotherapy wording removed")
    ib: dict[str, list[str]] = before.get("indications", {})
    ia: dict[str, list[str]] = after.get("indications", {})
    for stance in sorted(ib.keys() | ia.keys()):
        b, a = ib.get(stance, []), ia.get(stance, [])
        if b != a:
            what = f"{stance_words(stance)} indications"
            added = [v for v in a if v not in b]
            removed = [v for v in b if v not in a]
            if added:
                phrases.append(f"{what} add {_fmt(added)}")
            if removed:
                phrases.append(f"{what} drop {_fmt(removed)}")
    for key, label in _LABELS:
        vb, va = before.get(key), after.get(key)
        if vb != va:
            phrase = _set_change(label, vb, va)
            if phrase:
                phrases.append(phrase)
    return phrases


def summarize_event(
    event: ChangeEvent, payer: str | None = None, *, content_changed: bool = False
) -> str:
    """The one-line summary of ``event``; ``payer`` prefixes it when given.

    ``content_changed``: other events of the same comparison changed coverage (a ``moved``
    event then does not claim the content is unchanged).
    """
    prefix = f"{payer}: " if payer else ""
    drug = event.drug or "document"
    kind = event.kind
    if kind == "unavailable":
        outcome = event.facts_after.get("outcome")
        why = f" ({str(outcome).replace('_', ' ')})" if outcome else ""
        return f"{prefix}source unavailable{why}; coverage not compared, last good version kept"
    if kind == "moved":
        new = event.facts_after.get("url")
        what = "coverage changed too (see the other events)"
        if not content_changed:
            what = "content unchanged"
        return f"{prefix}document moved{' to ' + new if new else ''}; {what}"
    moved_note = " (document also moved)" if event.url_changed else ""
    if kind == "added":
        stance = stance_words(event.stance_after)
        return f"{prefix}{drug} coverage content added ({stance}){moved_note}"
    if kind == "removed":
        stance = stance_words(event.stance_before)
        retired = "; the policy was retired" if event.facts_after.get("retired") else ""
        return f"{prefix}{drug} coverage content removed (was {stance}){retired}{moved_note}"
    phrases = criteria_phrases(event.criteria_before, event.criteria_after)
    if kind == "coding_change":
        codes = [p for p in phrases if p.startswith("billing codes")]
        what = "; ".join(codes) or "codes changed"
        return f"{prefix}{drug} billing codes updated: {what}; coverage unchanged"
    head = drug
    ind = _changed_indication(event)
    if ind:
        head = f"{drug} {ind}"
    if kind == "stance_change":
        phrases = [
            f"{stance_words(event.stance_before)} → {stance_words(event.stance_after)}",
            *phrases,
        ]
    if not phrases:
        n = len(event.clause_changes)
        phrases = [
            f"criteria reworded with new conditions ({n} clause{'s' if n != 1 else ''} changed)"
        ]
    return f"{prefix}{head} {'; '.join(phrases[:4])}{moved_note}"


def _changed_indication(event: ChangeEvent) -> str | None:
    """The one indication every changed clause belongs to, if there is exactly one."""
    inds = {c.indication for c in event.clause_changes}
    if len(inds) == 1:
        return inds.pop()
    return None
