"""Coverage stance from wording: an ordered, readable rule table.

The first rule whose pattern matches decides. Order encodes precedence and negation:
"not medically necessary" is tested before "medically necessary", "non-preferred" before
"preferred", "no prior authorization required" before "prior authorization required", and
experimental wording wins over a co-occurring "not covered" ("experimental and is not covered").
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    stance: str


def _r(pattern: str, flags: int = re.I) -> re.Pattern[str]:
    return re.compile(pattern, flags)


RULES: tuple[Rule, ...] = (
    # -- experimental / investigational / unproven -------------------------------------------
    Rule(
        "experimental",
        _r(r"\b(?:experimental|investigational|investigative|unproven)\b"),
        "experimental",
    ),
    Rule("not proven", _r(r"\bnot (?:been )?proven\b"), "experimental"),
    Rule(
        "value not established",
        _r(
            r"\b(?:effectiveness|efficacy|clinical (?:value|utility)|benefit)\b[^.;]{0,80}?"
            r"\b(?:has|have) not been (?:established|demonstrated)"
        ),
        "experimental",
    ),
    Rule("EIU", _r(r"\bE/?I/?U\b", 0), "experimental"),
    # -- not covered (negations before the positive wording they contain) ---------------------
    Rule(
        "not medically necessary",
        _r(r"\bnot (?:be )?(?:considered |deemed )?(?:to be )?medically necessary\b"),
        "not_covered",
    ),
    Rule(
        "not reasonable and necessary",
        _r(r"\bnot (?:be )?(?:considered )?reasonable and necessary\b"),
        "not_covered",
    ),
    Rule(
        "not covered",
        _r(
            r"\b(?:not (?:be )?covered|non-?covered|does not cover|do not cover|will be denied|"
            r"(?:is|are) (?:a )?(?:contract |benefit )?exclu(?:ded|sion)|"
            r"excluded from coverage|not a covered benefit|not a benefit|not payable)\b"
        ),
        "not_covered",
    ),
    # -- formulary status ----------------------------------------------------------------------
    Rule("step therapy", _r(r"\bstep[- ]therapy\b|\bstep edit\b"), "step_therapy"),
    Rule("non-preferred", _r(r"\bnon[- ]?preferred\b|\bnon[- ]?formulary\b"), "non_preferred"),
    Rule("NP / NF flag", _r(r"(?:^|[\s,(-])(?:NP|NF)(?:$|[\s,)])", 0), "non_preferred"),
    # -- covered when criteria are met (before PA: "prior authorization may be approved when") -
    Rule(
        "approvable when criteria",
        _r(
            r"\b(?:may|will|can) be (?:approved|authorized|considered)\b[^.]{0,80}\b"
            r"(?:when|if|for)\b"
        ),
        "covered_with_criteria",
    ),
    Rule(
        "medically necessary",
        _r(r"\b(?:proven and )?medically necessary\b|\breasonable and necessary\b"),
        "covered_with_criteria",
    ),
    Rule(
        "approvable",
        _r(r"\bapprovable\b|\bapprove for \d+|\bcriteria for approval\b"),
        "covered_with_criteria",
    ),
    Rule(
        "covered when",
        _r(r"\bcover(?:s|ed)?\b[^.]{0,200}?\b(?:when|if|provided that|only for|criteria)\b"),
        "covered_with_criteria",
    ),
    # -- prior authorization -------------------------------------------------------------------
    Rule(
        "no prior authorization",
        _r(
            r"\b(?:no|without|does not require|"
            r"do not require)\s+(?:a\s+)?(?:prior authori[sz]ation|PA|precertification)\b"
        ),
        "covered",
    ),
    Rule(
        "prior authorization required",
        _r(
            r"\b(?:prior authori[sz]ation|prior approval|pre-?certification|"
            r"pre-?authori[sz]ation|PA)\b"
            r"[^.;]{0,40}?\b(?:is |are )?(?:required|needed|apply|applies)\b"
            r"|\brequires? (?:a |an )?(?:prior authori[sz]ation|prior approval|pre-?certification|"
            r"pre-?authori[sz]ation|PA)\b"
            r"|\bsubject to (?:prior authori[sz]ation|pre-?certification)\b"
        ),
        "prior_authorization",
    ),
    Rule(
        "PA status cell",
        _r(r"^\s*-?\s*(?:prior authori[sz]ation|PA|precert(?:ification)?|prior approval)\b"),
        "prior_authorization",
    ),
    # -- plain coverage ------------------------------------------------------------------------
    Rule("preferred", _r(r"\bpreferred\b"), "preferred"),
    Rule(
        "covered",
        _r(r"\b(?:is|are) covered\b|\bcovers\b|\b(?:is|are) a (?:covered )?benefit\b"),
        "covered",
    ),
)


def classify(text: str) -> str | None:
    """The stance the text's wording states, or None when it states none."""
    return match_rule(text)[0]


def match_rule(text: str) -> tuple[str | None, str | None]:
    """(stance, rule name) of the first matching rule, for explaining a decision."""
    for rule in RULES:
        if rule.pattern.search(text):
            return rule.stance, rule.name
    return None, None


def is_negative(stance: str | None) -> bool:
    """Stances whose governed lists are exclusions (listings), not conditions of approval."""
    return stance in ("experimental", "not_covered")
