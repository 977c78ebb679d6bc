"""Plain language for readers: one table per kind of term, never a raw enum name on a page.

Stances, criteria and abbreviations are written for someone asking "will my insurance pay for
ketamine or Spravato?", not for an analyst. Every renderer (HTML, Markdown, Atom, the map)
reads its words from here, so they all say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DRUG_NAMES = {
    "esketamine": "Spravato (esketamine nasal spray)",
    "ketamine": "Ketamine (infusions and other forms)",
}
DRUG_SHORT = {"esketamine": "Spravato", "ketamine": "Ketamine"}
DRUG_ORDER = ("esketamine", "ketamine")


@dataclass(frozen=True)
class StanceWords:
    label: str  # a short label for badges, legends and tables
    sentence: str  # "{drug} ..." a full sentence for the reader
    group: str  # the colour group on the map and badges


# The groups the map colours, in legend order, with their fill colours. The palette keeps the
# groups apart for the common colour-vision deficiencies (blue/orange rather than red/green
# carries the main contrast) and each tile also carries its state code and a title.
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("covered", "Covered", "#1b7837"),
    ("conditions", "Covered with conditions", "#2166ac"),
    ("restricted", "Non-preferred drug", "#e08214"),
    ("denied", "Not covered", "#b2182b"),
    ("silent", "Drug not mentioned", "#9e9e9e"),
    ("nosource", "No source yet", "#f2f2f2"),
)
GROUP_FILL = {key: fill for key, _, fill in GROUPS}

STANCES: Mapping[str, StanceWords] = {
    "covered": StanceWords("Covered", "{drug} is covered.", "covered"),
    "preferred": StanceWords(
        "Preferred drug",
        "{drug} is on the preferred drug list: it is covered, usually without extra paperwork.",
        "covered",
    ),
    "covered_with_criteria": StanceWords(
        "Covered if you meet criteria",
        "{drug} is covered when you meet the plan's criteria; your prescriber sends the "
        "plan proof that you do.",
        "conditions",
    ),
    "prior_authorization": StanceWords(
        "Covered with prior authorization",
        "{drug} is covered with prior authorization: your prescriber must get the plan's "
        "approval before treatment starts.",
        "conditions",
    ),
    "step_therapy": StanceWords(
        "Covered after other treatments",
        "{drug} is covered only after other treatments have been tried first (step therapy).",
        "conditions",
    ),
    "non_preferred": StanceWords(
        "Non-preferred drug",
        "{drug} is a non-preferred drug: the plan pays only with prior authorization, "
        "usually after preferred drugs did not help.",
        "restricted",
    ),
    "not_covered": StanceWords(
        "Not covered",
        "{drug} is not covered: the plan does not consider it medically necessary.",
        "denied",
    ),
    "experimental": StanceWords(
        "Not covered (considered experimental)",
        "{drug} is not covered for these uses: the plan considers it experimental or unproven.",
        "denied",
    ),
}
NOT_MENTIONED = StanceWords(
    "Not mentioned",
    "The documents we watch here do not mention {drug}.",
    "silent",
)
NO_SOURCE = StanceWords("No source yet", "We have no source for {drug} here yet.", "nosource")
# Values the diff stores in stance fields that are not stances.
_OTHER = {
    "absent": "not mentioned",
    "unknown": "unreadable",
}


def stance_words(stance: str | None) -> StanceWords:
    """The words for a stance; a value we do not know reads as "not mentioned", never raw."""
    if stance is None:
        return NOT_MENTIONED
    return STANCES.get(stance, NOT_MENTIONED)


def stance_label(stance: str | None) -> str:
    if stance in _OTHER:
        return _OTHER[str(stance)]
    return stance_words(stance).label.lower() if stance else "not mentioned"


PLAN_TYPES = {
    "commercial": "private insurance",
    "medicare": "Medicare",
    "medicare_advantage": "Medicare Advantage",
    "medicaid": "state Medicaid program",
    "medicaid_mco": "Medicaid managed-care plan",
    "tricare": "TRICARE, military health",
    "va": "Veterans Affairs health care",
    "fehb": "Federal Employees Health Benefits",
}


def plan_type_name(plan_type: str) -> str:
    return PLAN_TYPES.get(plan_type, plan_type.replace("_", " "))


DRUG_TAGS = {"esketamine": "spravato", "ketamine": "ketamine"}


def tag(words: str) -> str:
    """A taxonomy tag for static site generators: plain words, lower case, hyphens."""
    return "-".join("".join(ch if ch.isalnum() else " " for ch in words.lower()).split())


def plan_type_tag(plan_type: str) -> str:
    return tag(plan_type_name(plan_type))


def plan_type_title(plan_type: str) -> str:
    """The plan type as a heading: first letter capitalised."""
    name = plan_type_name(plan_type)
    return name[:1].upper() + name[1:]


# Indications as the extractor names them → words for readers.
# Further conditions the extractor names (crawler/extract/criteria/rules.py) → what you need.
REQUIREMENTS = {
    "augmentation trial": "to have tried adding a second medicine to an antidepressant",
    "psychotherapy": "to be in (or have tried) talk therapy",
    "ECT/TMS considered": "to have considered ECT or TMS (brain-stimulation treatments)",
    "no active substance use": "no active drug or alcohol use disorder",
    "no psychosis": "no psychosis (or a prescriber's view that the benefit outweighs the risk)",
    "baseline score": "a depression score measured before treatment starts",
    "documented response": "to renew: records showing the treatment is helping",
    "PDMP check": "a check of the state's prescription-monitoring database",
    "supervised administration": "to take each dose under a clinician's supervision",
    "current episode": "the antidepressant trials to be in the current episode of depression",
    "DSM diagnosis": "a formal diagnosis (DSM-5) by a clinician",
}

INDICATIONS = {
    "trd": "treatment-resistant depression",
    "mdsi": "depression with suicidal thoughts or actions",
    "mdd": "major depression",
    "ptsd": "post-traumatic stress disorder (PTSD)",
    "ocd": "obsessive-compulsive disorder (OCD)",
}


def indication_name(value: str) -> str:
    return INDICATIONS.get(value.lower(), value)


def _months(value: Any) -> str:
    return str(value).replace("_", " ")


def _join(values: Any, conj: str = "or") -> str:
    if isinstance(values, list | tuple):
        items = [str(v).replace("_", " ") for v in values]
        if len(items) > 1:
            return ", ".join(items[:-1]) + f" {conj} " + items[-1]
        return items[0] if items else ""
    return str(values).replace("_", " ")


# Criteria keys → a phrase completing "You need: ..." (None: not shown to readers as a need).
def criterion_phrase(key: str, value: Any) -> str | None:
    """One criterion as a plain phrase, or None when it is not a requirement for the reader."""
    if value in (None, [], {}, ""):
        return None
    if key == "failed_trials":
        return f"to have tried at least {value} antidepressants without enough improvement"
    if key == "antidepressant_classes":
        return f"those antidepressants to come from at least {value} different drug classes"
    if key == "trial_weeks":
        return f"each antidepressant tried for at least {value} weeks"
    if key == "monotherapy_allowed":
        # Allowed alone is not a need (see limit_phrase); only the restriction is.
        return None if value else "to take it together with an oral antidepressant"
    if key == "prescriber":
        return f"a prescription from or with a {_join(value)}"
    if key == "min_age":
        return f"to be {value} or older"
    if key == "severity":
        return f"a depression score at or above the plan's threshold ({_join(value)})"
    if key == "rems":
        return "treatment at a center certified in the Spravato safety program (REMS)"
    if key == "monitoring_hours":
        return f"to stay under observation for {value} hours after each dose"
    if key == "indications" and isinstance(value, Mapping):
        covered = [
            indication_name(str(i))
            for stance, items in value.items()
            if stance in ("covered", "covered_with_criteria", "prior_authorization", "preferred")
            for i in items
        ]
        return f"a diagnosis of {_join(sorted(set(covered)))}" if covered else None
    return None


# Facts about the coverage that are not the reader's requirements.
def limit_phrase(key: str, value: Any) -> str | None:
    if value in (None, [], {}, ""):
        return None
    if key == "monotherapy_allowed":
        return "It may be used on its own, without an oral antidepressant." if value else None
    if key == "approval_initial":
        return f"A first approval lasts {_months(value)}."
    if key == "approval_renewal":
        return f"Renewals last {_months(value)}."
    if key == "quantity_limits":
        return f"Quantity limit: {_join(value)}."
    if key == "hcpcs_codes":
        return f"Billing codes: {', '.join(str(v) for v in value)}."
    if key == "indications" and isinstance(value, Mapping):
        denied = sorted(
            {
                indication_name(str(i))
                for stance, items in value.items()
                if stance in ("experimental", "not_covered")
                for i in items
            }
        )
        if denied:
            return f"Uses the plan does not cover: {_join(denied, 'and')}."
    return None


CRITERIA_ORDER = (
    "indications",
    "failed_trials",
    "antidepressant_classes",
    "trial_weeks",
    "monotherapy_allowed",
    "min_age",
    "severity",
    "prescriber",
    "rems",
    "monitoring_hours",
    "requirements",
)
LIMITS_ORDER = (
    "indications",
    "monotherapy_allowed",
    "approval_initial",
    "approval_renewal",
    "quantity_limits",
    "hcpcs_codes",
)

# Short names of criteria, for before/after tables of a change.
CRITERIA_NAMES = {
    "indications": "Conditions covered",
    "failed_trials": "Antidepressants you must have tried",
    "antidepressant_classes": "Different drug classes tried",
    "trial_weeks": "Weeks each antidepressant must be tried",
    "monotherapy_allowed": "May be used without an oral antidepressant",
    "prescriber": "Who must prescribe",
    "min_age": "Minimum age",
    "severity": "Depression score needed",
    "approval_initial": "First approval lasts",
    "approval_renewal": "Renewal lasts",
    "monitoring_hours": "Observation after each dose (hours)",
    "rems": "Certified treatment center (REMS) required",
    "requirements": "Other requirements",
    "routes": "Forms of the drug named",
    "quantity_limits": "Quantity limits",
    "hcpcs_codes": "Billing codes (HCPCS)",
    "diagnosis_codes": "Diagnosis codes accepted",
}


def criterion_name(key: str) -> str:
    return CRITERIA_NAMES.get(key, key.replace("_", " ").capitalize())


def criteria_needs(criteria: Mapping[str, Any]) -> list[str]:
    """The reader's requirements, in reading order."""
    out = []
    for key in CRITERIA_ORDER:
        if key == "requirements":
            out += [REQUIREMENTS.get(str(v), str(v)) for v in criteria.get(key) or []]
            continue
        phrase = criterion_phrase(key, criteria.get(key))
        if phrase:
            out.append(phrase)
    return out


def criteria_limits(criteria: Mapping[str, Any]) -> list[str]:
    out = []
    for key in LIMITS_ORDER:
        phrase = limit_phrase(key, criteria.get(key))
        if phrase:
            out.append(phrase)
    return out


def value_words(value: Any) -> str:
    """A criterion value in a before/after table."""
    if value is None or value == [] or value == {}:
        return "not stated"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        parts = []
        for stance, items in value.items():
            names = ", ".join(indication_name(str(i)) for i in items)
            parts.append(f"{stance_label(str(stance))}: {names}")
        return "; ".join(parts)
    if isinstance(value, list | tuple):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value).replace("_", " ")


# Abbreviations readers meet in the documents we link to, spelled out on the glossary page.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (
        "TRD",
        "Treatment-resistant depression: depression that did not improve enough after "
        "several antidepressants.",
    ),
    ("MDSI", "Major depression with suicidal thoughts or actions (Spravato's second use)."),
    ("MDD", "Major depressive disorder."),
    ("PA", "Prior authorization: the plan must approve the treatment before it starts."),
    ("PDL", "Preferred drug list: the drugs a plan covers most easily."),
    (
        "REMS",
        "Risk Evaluation and Mitigation Strategy: the FDA safety program that requires "
        "Spravato to be given and watched at a certified center.",
    ),
    ("MCO", "Managed-care organization: a private plan that runs Medicaid benefits for a state."),
    ("FFS", "Fee-for-service: the state Medicaid program paying providers directly."),
    (
        "MAC",
        "Medicare Administrative Contractor: the company that handles Medicare claims in a region.",
    ),
    ("HCPCS", "The billing codes for drugs and services (for example S0013, J0013, G2082)."),
    ("ICD-10", "The diagnosis codes a claim must carry."),
    (
        "PDMP",
        "Prescription drug monitoring program: a state database of controlled-drug prescriptions.",
    ),
    ("MADRS / HAM-D / PHQ-9", "Depression rating scales; plans may ask for a minimum score."),
    ("TRICARE", "The health program for military members, retirees and their families."),
    ("VA", "The Department of Veterans Affairs health care system."),
    ("FEHB", "Federal Employees Health Benefits: the plans offered to federal workers."),
)
