"""Wordings that say the same thing, folded to one form before clauses' words are compared.

Payers reword criteria between versions without changing them: "used together with an oral
antidepressant" becomes "used alongside" or "in conjunction with"; "prior authorization"
becomes "prior approval"; "inadequate response to" becomes "failed". The diff reports a
changed word as a possible change of meaning (so an unforeseen real change is not missed),
which makes such rewording a false alarm unless the variants fold to one form first.

The table reads as a spec: each row is the form compared and the wordings folded to it. Only
wordings that mean the same in every criteria context belong here; anything that can narrow or
widen a requirement ("must" vs "may", "all" vs "one", "psychiatrist" vs "prescriber") does not.
Rows are matched on normalised (lower-case, Unicode-folded) text, longest wording first.
"""

from __future__ import annotations

import re

# (form compared, wordings folded to it)
SYNONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Given with another drug.
    (
        "with",
        (
            "together with",
            "along with",
            "alongside",
            "in conjunction with",
            "in combination with",
            "combined with",
            "concurrently with",
            "concomitantly with",
            "coupled with",
            "in addition to",
        ),
    ),
    # Order in time.
    ("before", ("prior to", "preceding", "in advance of")),
    ("after", ("subsequent to",)),
    # Authorization vocabulary: payers use either family for the same process.
    (
        "prior approval",
        (
            "prior authorization",
            "prior authorisation",
            "preauthorization",
            "pre-authorization",
            "preauthorisation",
            "precertification",
            "pre-certification",
            "precert",
            "prior auth",
        ),
    ),
    ("approval", ("authorization", "authorisation")),
    ("approved", ("authorized", "authorised")),
    ("approve", ("authorize", "authorise")),
    # Treatment failure.
    (
        "fail",
        (
            "inadequate response to",
            "inadequate response",
            "insufficient response to",
            "insufficient response",
            "lack of response to",
            "lack of response",
            "did not respond to",
            "did not respond",
            "failure of",
            "failure to respond to",
            "failure",
            "failed",
            "non-response to",
            "nonresponse to",
            "has not responded to",
            "have not responded to",
            "not responded to",
        ),
    ),
    # Conditions written out or abbreviated.
    ("trd", ("treatment-resistant depression", "treatment resistant depression")),
    ("mdd", ("major depressive disorder",)),
    # Diagnosis.
    (
        "diagnosis",
        (
            "has been diagnosed with",
            "is diagnosed with",
            "diagnosed with",
            "a diagnosis of",
            "diagnosis of",
        ),
    ),
    # Obligation (not permission: "may" stays apart from these).
    (
        "must",
        (
            "is required to",
            "are required to",
            "needs to",
            "need to",
            "has to",
            "have to",
        ),
    ),
    # Consultation with a specialist.
    (
        "consult",
        (
            "in consultation with",
            "after consultation with",
            "upon consultation with",
            "in collaboration with",
            "consultation with",
            "consulting with",
        ),
    ),
    # Bounds.
    ("at least", ("a minimum of", "no fewer than", "no less than", "not less than")),
    ("up to", ("a maximum of", "no more than", "not to exceed", "not more than")),
    # Conditions.
    ("if", ("provided that", "as long as", "in cases where", "in the event that")),
    # Purpose: "for the treatment of chronic pain" is "for chronic pain".
    ("for", ("for the treatment of", "for treatment of", "in the treatment of", "to treat")),
    # Spelling.
    ("healthcare", ("health care", "health-care")),
    ("documented", ("documentation of", "documentation that", "evidence of")),
)

_FORM: dict[str, str] = {wording: form for form, wordings in SYNONYMS for wording in wordings}
_PATTERN = re.compile(
    r"\b(?:"
    + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_FORM, key=len, reverse=True))
    + r")\b"
)


def fold_synonyms(text: str) -> str:
    """``text`` (normalised: lower case) with every wording of :data:`SYNONYMS` in its form."""
    return _PATTERN.sub(lambda m: _FORM[" ".join(m.group(0).split())], text)
