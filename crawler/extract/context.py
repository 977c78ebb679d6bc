"""Where a clause's drug comes from when its own words do not name one, and the shapes of
text that are context rather than coverage (citations).

Reset rule for the context drug, documented once here: the drug of a drug-less sentence is
taken, in order, from

1. the last statement of the current section (a heading that names another drug, a context
   heading such as References, or a heading above the statement's level ends its reach;
   a sub-heading naming the same drug, "Continuation of Spravato therapy", does not);
2. the nearest heading of the block's heading path that names exactly one drug;
3. the last drug named in the current section (reset at every heading);
4. the document title, when it names exactly one drug.

A title or heading naming both drugs decides nothing: the sentence is left unattributed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .drugs import drugs_in
from .model import Drug


@dataclass
class Why:
    """Why a clause has its drug and stance: for ``policywatch extract --explain``."""

    rule: str  # the stance rule, or how the stance was inherited
    cue: str  # the words the rule read ("" when inherited)
    drug_from: str  # text | previous statement | heading | section | title | governing
    context: str = ""  # the heading, title or statement the drug or stance came from
    path: list[str] = field(default_factory=list)


# A subject that points back to a product named elsewhere, or a sentence with no subject at all
# ("Requires prior authorization"), or one whose subject is the coverage requirement itself.
_ANAPHOR_RE = re.compile(
    r"^\W*(?:"
    r"(?:the|this|these|that|those|such)\s+(?:requested\s+|restricted\s+|prescribed\s+|above\s+|"
    r"listed\s+|named\s+)?(?:products?|medications?|medicines?|drugs?|agents?|therap(?:y|ies)|"
    r"treatments?|services?|benefits?|nasal sprays?|infusions?|items?)(?:\s*\(s\))?"
    r"|it|they|(?:treatment|therapy|continuation|renewal|use)\s+(?:may|can|will|is|must)"
    r"|coverage|requires?|needs?|is|are|will|may"
    r"|(?:prior authori[sz]ation|prior approval|pre-?certification|PA)\s+(?:is|are|will|may)"
    r")\b",
    re.I,
)
# "The same criteria apply to …": no stance word, the previous statement's stance.
_SAME_RE = re.compile(
    r"^\W*(?:the\s+)?same\s+(?:criteria|determination|requirements?|rules?|coverage|limits?|"
    r"position|policy|conditions?)\s+(?:also\s+)?(?:apply|applies|hold|holds|is|are)\b",
    re.I,
)
_CRITERIA_HEADING_RE = re.compile(
    r"\bcriteria\b|\b(?:approval|authori[sz]ation) (?:duration|length|period)\b|"
    r"\b(?:duration|length) of (?:approval|authori[sz]ation|therapy)\b|\bquantity limits?\b|"
    r"\bdosing\b|\binitial (?:authori[sz]ation|approval|therapy|request|review)\b|"
    r"\bcontinu(?:ation|ed|ing)\b|\bre-?authori[sz]ation\b|\brenewal\b|\brecertification\b|"
    r"\bprior authori[sz]ation\b|\bprecertification\b|\bcoverage indications\b|"
    r"\bindications and limitations\b|\bconditions? not covered\b|\bexclusions?\b|"
    r"\bexperimental\b|\binvestigational\b|\brequirements?\b|\bauthori[sz]ation duration\b",
    re.I,
)
# "Criteria:", "Initial criteria:", "Approval requirements:", "Criteria for initial approval"
# (a label may lose its colon when a form is flattened; it never ends with a full stop).
_LABEL_RE = re.compile(
    r"^\W*(?:[A-Za-z-]+\s+){0,3}(?:criteria|requirements|conditions)"
    r"(?:\s+for\s+(?:[A-Za-z-]+\s+){0,2}[A-Za-z-]+)?\s*:?\s*$",
    re.I,
)

# A bibliographic reference: author initials, journal volume(issue):pages, doi, PMID, et al.
_CITATION_STRONG_RE = re.compile(
    r"\bet al\b|\bdoi\s*:|doi\.org/|\bPMID\b|\bPMCID\b|"
    r"\b(?:19|20)\d{2}\s*[;:]\s*\d+\s*(?:\(\s*[\w-]+\s*\))?\s*:\s*[A-Za-z]?\d+|"
    r"\b(?:19|20)\d{2}\s*;\s*\d+\s*:\s*\d+",
    re.I,
)
_CITATION_WEAK_RE = re.compile(
    r"^\W*(?:\d+\.\s*)?[A-Z][A-Za-z'-]+,?\s+[A-Z]{1,3}[.,]|\baccessed\b|\bretrieved\b|"
    r"\bavailable (?:at|from)\s*:|\bpublished\s+(?:19|20)\d{2}\b|\bvol\.\s*\d|\bpp?\.\s*\d",
    re.I,
)


def is_anaphoric(sentence: str) -> bool:
    """The sentence's subject is a product named elsewhere (or the requirement itself)."""
    return bool(_ANAPHOR_RE.match(sentence))


def same_as_before(sentence: str) -> bool:
    """ "The same criteria apply to …": the stance of the statement before."""
    return bool(_SAME_RE.match(sentence))


def is_criteria_heading(heading: str) -> bool:
    """A heading that opens a list of criteria (or of exclusions)."""
    return bool(_CRITERIA_HEADING_RE.search(heading))


_DURATION_HEADING_RE = re.compile(
    r"\b(?:approval|authori[sz]ation) (?:duration|length|period)\b|"
    r"\b(?:duration|length) of (?:approval|authori[sz]ation)\b|\bquantity limits?\b",
    re.I,
)


def is_duration_heading(heading: str) -> bool:
    """ "Approval Duration", "Length of Authorization", "Quantity Limits": every amount
    below is a limitation of the approval."""
    return bool(_DURATION_HEADING_RE.search(heading))


def is_section_part(heading: str) -> bool:
    """A short criteria heading that continues the section of a statement ("Continuation of
    Therapy", "Approval Duration") rather than opening a new topic."""
    return len(heading.split()) <= 4 and is_criteria_heading(heading)


def is_label(text: str) -> bool:
    """A short label that opens a form's criteria lines ("Criteria:")."""
    return len(text) <= 60 and bool(_LABEL_RE.match(text))


def is_citation(text: str) -> bool:
    """A bibliographic reference, by its shape rather than by the heading it sits under."""
    # Every reference carries a year, a doi, a PMID or "et al": substring tests reject the
    # criteria lines (the common case) before any regex runs.
    if len(text) < 30 or not (
        "19" in text or "20" in text or "et al" in text or "doi" in text or "PMID" in text
    ):
        return False
    if _CITATION_STRONG_RE.search(text):
        return True
    return len(_CITATION_WEAK_RE.findall(text)) >= 2


def _single_drug(text: str) -> Drug | None:
    found = drugs_in(text)
    return found[0] if len(found) == 1 else None


def context_drug(
    path: list[str],
    title: str | None,
    previous: tuple[Drug, str] | None,
    named: tuple[Drug, str] | None,
) -> tuple[Drug, str, str] | None:
    """(drug, where from, the text it came from) for a sentence that names no drug.

    ``previous`` is the last statement of the section, ``named`` the last drug named in the
    section, each with its text; see the module docstring for the order and the reset rule.
    """
    if previous is not None:
        return previous[0], "previous statement", previous[1]
    for heading in reversed(path):
        if title and heading == title:
            break
        drug = _single_drug(heading)
        if drug is not None:
            return drug, "heading", heading
        if drugs_in(heading):
            return None  # a heading naming both drugs: ambiguous
    if named is not None:
        return named[0], "section", named[1]
    if title:
        drug = _single_drug(title)
        if drug is not None:
            return drug, "title", title
    return None
