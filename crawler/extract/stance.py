"""Coverage stance from wording: a small grammar written as an ordered rule table.

Each rule names a *cue* (the words that carry the stance), the stance it gives and its
*polarity*: whether it fires on the plain cue ("is medically necessary"), only on the negated
cue ("is not medically necessary", "no longer considered investigational") or on either.
The first rule, in table order, with a cue occurrence of the right polarity decides, so order
is precedence:

1. experimental wording wins over a co-occurring "not covered" ("investigational and is not
   covered"), and over "except …" carve-outs ("investigational except for anesthesia");
2. negative stances (not covered) before formulary status, formulary status before the
   covered-with-criteria family, which comes before prior authorization ("prior
   authorization may be approved when …" states criteria), which comes before plain coverage;
3. a negated positive cue gives the opposite stance where one exists ("not preferred" is
   non-preferred, "does not require prior authorization" is covered) and is otherwise ignored
   ("not excluded", "no longer investigational": the rest of the sentence decides, and a
   sentence whose only cue was negated away states plain coverage).

Negation has a scope: a negator ("not", "no", "no longer", "never", "without", "nor") counts
when it is inside the cue or precedes it with at most four filler words between ("not
considered to be medically necessary"). Cues inside an exception ("except when used for
anesthesia", "other than as an anesthetic") do not decide the sentence's stance.

Modality ("may be covered", "will be approved", "is required") and future-tense notices
("Beginning <date>, <program> will cover …", "will become a benefit", "will be added to the
prior authorization program") are read as the stance they announce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Polarity = Literal["plain", "negated", "any"]


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    stance: str
    polarity: Polarity = "plain"


@dataclass(frozen=True)
class Match:
    """The decision for one text: the stance, the rule that gave it and the cue it read."""

    stance: str
    rule: str
    cue: str
    negated: bool = False


def _r(pattern: str, flags: int = re.I) -> re.Pattern[str]:
    return re.compile(pattern, flags)


# Shared vocabulary --------------------------------------------------------------------------
_PA = (
    r"(?:prior (?:authori[sz]ation|approval)|pre-?certification|precert|"
    r"pre-?authori[sz]ation|pre-?approval|\bPA\b)"
)
_MED_NEC = r"(?:medically necessary|reasonable and necessary|medical necessity)"
_EXPERIMENTAL = r"\b(?:experimental|investigational|investigative|unproven|E/?I/?U)\b"

RULES: tuple[Rule, ...] = (
    # -- experimental / investigational / unproven ---------------------------------------------
    Rule("experimental", _r(_EXPERIMENTAL), "experimental"),
    Rule("not proven", _r(r"\bnot (?:been |yet )?proven\b"), "experimental", "any"),
    Rule(
        "value not established",
        _r(
            r"\b(?:effectiveness|efficacy|clinical (?:value|utility)|benefit|safety)\b[^.;]{0,80}?"
            r"\b(?:has|have) not (?:yet )?been (?:established|demonstrated)"
        ),
        "experimental",
        "any",
    ),
    # -- not covered ---------------------------------------------------------------------------
    Rule("not medically necessary", _r(rf"\b{_MED_NEC}\b"), "not_covered", "negated"),
    Rule(
        "not covered",
        _r(
            r"\b(?:covered|cover|covers|a covered (?:benefit|service|drug)|a benefit|payable|"
            r"reimbursable|reimbursed|paid|pay for|"
            r"eligible for (?:coverage|reimbursement|payment))\b"
            r"|\bcoverage\b[^.;]{0,80}?\bavailable\b"
        ),
        "not_covered",
        "negated",
    ),
    Rule(
        "non-covered",
        _r(
            r"\b(?:non-?covered|will be denied|(?:is|are|be) denied|"
            r"(?:a |the )?(?:plan|contract|benefit|policy) exclusion|"
            r"(?:is|are|remains?) excluded|excluded from (?:coverage|the benefit|the plan)|"
            r"(?:is|are) (?:a )?(?:contract |benefit )?exclusion)\b"
        ),
        "not_covered",
    ),
    Rule(
        "not approved",
        _r(r"\b(?:be )?(?:approved|authori[sz]ed|approvable)\b(?! (?:by|for use by) the FDA)"),
        "not_covered",
        "negated",
    ),
    Rule("not recommended", _r(r"\brecommended\b"), "not_covered", "negated"),
    # -- formulary status ----------------------------------------------------------------------
    Rule(
        "step therapy", _r(r"\bstep[- ]therapy\b|\bstep edit\b|\bfail[- ]first\b"), "step_therapy"
    ),
    Rule(
        "non-preferred",
        _r(r"\bnon[- ]?preferred\b|\bnon[- ]?formulary\b|\bnot on the (?:formulary|PDL)\b"),
        "non_preferred",
    ),
    Rule("NP / NF flag", _r(r"(?:^|[\s,(-])(?:NP|NF)(?:$|[\s,)])", 0), "non_preferred"),
    Rule("not preferred", _r(r"\bpreferred\b"), "non_preferred", "negated"),
    # A drug's own formulary status outranks the PA process named beside it ("is now a
    # preferred agent; its clinical PA criteria still apply").
    Rule(
        "preferred status",
        _r(
            r"\b(?:is|are|remains?|becomes?|moves? to|now)\s+(?:now\s+)?(?:an?\s+)?preferred\b"
            # "Preferred: covered without a PA request" (a status label and its gloss)
            r"|\bpreferred status\b|^\W*preferred\s*:"
        ),
        "preferred",
    ),
    # -- covered when criteria are met (before PA: "prior authorization may be approved when") -
    # Diagnosis codes accepted for approval are criteria of approval, whatever process is named.
    Rule(
        "diagnosis codes accepted",
        _r(
            r"\b(?:diagnos[ie]s codes?|ICD-10(?:-CM)? codes?)\b[^;]{0,100}?"
            r"\b(?:accepted|approvable|allowed|added|include[sd]?)\b"
            r"|\binclude (?:the )?diagnos[ie]s codes?\b"
        ),
        "covered_with_criteria",
    ),
    Rule(
        "approve for a period",
        _r(r"\bapprove\b[^.;]{0,60}?\bfor (?:up to )?(?:\d+|one|two|three|four|six|twelve)\b"),
        "covered_with_criteria",
    ),
    Rule(
        "approvable when criteria",
        _r(
            r"\b(?:may|will|can|shall|should) (?:only )?be (?:approved|authori[sz]ed|considered|"
            r"covered|granted)\b[^.]{0,80}\b(?:when|if|for|provided|once)\b"
        ),
        "covered_with_criteria",
    ),
    Rule("medically necessary", _r(rf"\b(?:proven and )?{_MED_NEC}\b"), "covered_with_criteria"),
    Rule(
        "may be approved",
        _r(
            r"\b(?:may|can) (?:only )?be (?:approved|authori[sz]ed)\b"
            r"|\b(?:treatment|therapy|use) (?:may|can) (?:continue|be continued|be renewed)\b"
            r"|\b(?:may|can) (?:continue|be continued|be renewed) (?:when|if)\b"
        ),
        "covered_with_criteria",
    ),
    Rule(
        "approvable",
        _r(
            r"\bapprovable\b|\bcriteria for (?:approval|coverage|use)\b|\bapproval criteria\b|"
            r"\bapprove (?:if|when)\b"
        ),
        "covered_with_criteria",
    ),
    Rule("may be covered", _r(r"\bmay (?:be )?(?:covered|cover)\b"), "covered_with_criteria"),
    Rule(
        "covered when",
        _r(
            r"\b(?:cover(?:s|ed)?|payable|reimbursable|reimbursed|pays? for)\b[^.]{0,200}?"
            r"\b(?:when|if|provided that|only for|criteria|requirements|(?:who|that) meets?)\b"
        ),
        "covered_with_criteria",
    ),
    # -- prior authorization -------------------------------------------------------------------
    Rule(
        "no prior authorization",
        _r(
            rf"{_PA}[^.;]{{0,40}}?\b(?:required|needed)\b|\brequires? (?:a |an )?{_PA}"
            rf"|{_PA}"
        ),
        "covered",
        "negated",
    ),
    Rule(
        "prior authorization required",
        _r(
            rf"{_PA}[^.;]{{0,40}}?\b(?:is |are )?(?:required|needed|apply|applies)\b"
            rf"|\b(?:requires?|needs?|needing|requiring) (?:a |an )?(?:[a-z]+ ){{0,2}}{_PA}"
            rf"|\bsubject to (?:a )?{_PA}"
            rf"|\bfor {_PA}"
            rf"|\badded to (?:the )?[^.;]{{0,60}}?{_PA}"
            rf"|\bwith (?:an? )?(?:approved )?{_PA}"
        ),
        "prior_authorization",
    ),
    Rule(
        "requests reviewed",
        _r(
            r"\brequests?\b[^.;]{0,60}?\b(?:are|is|will be) reviewed\b"
            r"|\b(?:needs?|requires?) an? (?:approved )?authori[sz]ation\b"
            r"|\bauthori[sz]ation (?:on file|is required)\b"
        ),
        "prior_authorization",
    ),
    Rule("PA status cell", _r(rf"^\s*-?\s*{_PA}"), "prior_authorization"),
    # -- plain coverage ------------------------------------------------------------------------
    Rule("preferred", _r(r"\bpreferred\b"), "preferred"),
    Rule(
        "covered",
        _r(
            r"\b(?:is|are|be|remains?) covered\b|\bcovers\b|\bwill cover\b|\bpays? for\b|"
            r"\beligible for (?:coverage|reimbursement|payment)\b|\bcoverage is available\b|"
            r"\b(?:begins?|starts?|continues?) (?:covering|to cover)\b|"
            r"\b(?:is|are|be|become|becomes|remains?) a (?:covered )?benefit\b|"
            r"\bcovered (?:under|by|as)\b|\b(?:is|are|be) (?:payable|reimbursable)\b"
        ),
        "covered",
    ),
    # A sentence whose only cues were negated away ("not excluded", "no longer considered
    # investigational", "no longer subject to step therapy") states that the drug is covered.
    Rule(
        "negated exclusion",
        _r(rf"{_EXPERIMENTAL}|\bexclu(?:ded|sion)\b|\bstep[- ]therapy\b|\bnon[- ]?preferred\b"),
        "covered",
        "negated",
    ),
)

# "not" / "no longer" and the filler words allowed between a negator and its cue.
_NEGATOR = r"(?:not|no longer|no|never|without|nor|cannot|n't)"
_FILLER = (
    r"(?:be|been|being|is|are|was|were|considered|deemed|currently|generally|always|yet|"
    r"routinely|usually|typically|otherwise|to|a|an|the|as|listed|eligible|for|medically|"
    r"proven|meet|meets|met|require|requires|required|need|needs|definition|of|criteria|on|"
    r"subject|or|nor|experimental|investigational|unproven|clinically)"
)
_NEG_BEFORE_RE = re.compile(rf"\b{_NEGATOR}(?:\s+{_FILLER}){{0,4}}\s*$", re.I)
_NEG_INSIDE_RE = re.compile(rf"\b{_NEGATOR}\b", re.I)
# Cues inside an exception ("except when used for anesthesia") do not decide the sentence.
_EXCEPTION_RE = re.compile(
    r"\b(?:except(?: for| when| if| as| in)?|other than|apart from|excluding|unless)\b"
    r"[^.;,]*?(?=[.;,]|\b(?:is|are|will|may|must|remains?)\b|$)",
    re.I,
)


def _exception_spans(text: str) -> list[tuple[int, int]]:
    if (
        "xcept" not in text
        and "other than" not in text
        and "unless" not in text
        and ("apart from" not in text and "xcluding" not in text)
    ):
        return []
    return [m.span() for m in _EXCEPTION_RE.finditer(text)]


# "No <subject> has found …": a negative subject negates the sentence's predicate.
_NEG_SUBJECT_RE = re.compile(
    r"^\W*(?:no|none of the|neither)\s+(?!longer\b|prior\b|pa\b|pre)\w+", re.I
)


def _negated(text: str, start: int, end: int) -> bool:
    """A negator inside the cue, or before it with only filler words in between, or a
    negative subject at the start of the sentence."""
    window = text[max(0, start - 60) : end].lower()
    # Every negator contains "no", "n't", "never" or "without": most cues are rejected here.
    if (
        "no" not in window
        and "n't" not in window
        and "never" not in window
        and "without" not in window
        and not text[:8].lower().lstrip(" (-•").startswith(("no", "neither"))
    ):
        return False
    if _NEG_INSIDE_RE.search(text, start, end) or _NEG_SUBJECT_RE.match(text[:start]):
        return True
    return bool(_NEG_BEFORE_RE.search(text[max(0, start - 60) : start]))


@lru_cache(maxsize=8192)
def match_rule(text: str) -> Match | None:
    """The rule, cue and stance that decide ``text``, or None when it states no stance."""
    spans = _exception_spans(text)
    for rule in RULES:
        for m in rule.pattern.finditer(text):
            start, end = m.span()
            if any(a <= start < b for a, b in spans):
                continue
            negated = _negated(text, start, end)
            if rule.polarity == "any" or (rule.polarity == "negated") == negated:
                return Match(rule.stance, rule.name, m.group(0).strip(), negated)
    return None


def classify(text: str) -> str | None:
    """The stance the text's wording states, or None when it states none."""
    found = match_rule(text)
    return found.stance if found else None


def is_negative(stance: str | None) -> bool:
    """Stances whose governed lists are exclusions (listings), not conditions of approval."""
    return stance in ("experimental", "not_covered")
