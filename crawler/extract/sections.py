"""Which headings open coverage content and which open context (background, codes, references).

Only clauses under coverage (or unclassified) headings carry a stance; drug mentions under
Background, Clinical Evidence, FDA, References, Coding or History headings are context.
The first matching rule decides, so "Coverage Rationale" is coverage although "Rationale"
alone is context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .drugs import mentions_drug
from .model import Block

COVERAGE = "coverage"
CONTEXT = "context"
NEUTRAL = "neutral"

SECTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        COVERAGE,
        re.compile(
            r"coverage (?:rationale|position|policy|criteria|statement|guidelines?)|"
            r"policy statement|"
            r"medical(?:ly)? necess|criteria|prior authori[sz]ation|precertification|"
            r"initial (?:authori[sz]ation|approval|request)|coverage indications|"
            r"indications and limitations|conditions not covered|"
            r"experimental|investigational|not covered|exclusions?|limitations?|"
            r"authori[sz]ation duration|approval duration|length of approval|"
            r"quantity limits?|dosing limits?|initial therapy|continuation|reauthori[sz]ation|"
            r"renewal|"
            r"^policy$|^\W*(?:[ivx]+|\d+)\W+policy$|^coverage$|preferred|formulary",
            re.I,
        ),
    ),
    (
        CONTEXT,
        re.compile(
            r"background|rationale|description|overview|clinical evidence|evidence review|"
            r"summary of evidence|"
            r"food and drug|\bfda\b|references?|bibliography|sources|works cited|citations|"
            r"literature|further reading|"
            r"policy history|revision|document history|history|summary of changes|"
            r"applicable codes|coding|codes?\b|billing|reimbursement guidelines|modifiers?|"
            r"related (?:policies|documents|guidelines)|cross[- ]references?|see also|"
            r"scope|instructions for use|disclaimer|legal|notice|keywords|definitions|"
            r"table of contents|contents|appendix|associated documents|contractor information",
            re.I,
        ),
    ),
)


@lru_cache(maxsize=4096)
def classify_heading(heading: str) -> str:
    """COVERAGE, CONTEXT, or NEUTRAL for a heading text."""
    text = heading.strip()
    for kind, pattern in SECTION_RULES:
        if pattern.search(text):
            # A heading that names the drug is the document's or a product's title
            # ("Billing and Coding: Esketamine"), never a context section.
            if kind == CONTEXT and mentions_drug(text):
                return NEUTRAL
            return kind
    return NEUTRAL


def section_kind(heading_path: list[str], title: str | None = None) -> str:
    """The kind of the innermost classified heading (the one nearest the block wins).

    The document's own title is no section: a notice titled "Billing Update" is not a
    billing section, so a heading equal to ``title`` is passed over.
    """
    if title and heading_path and heading_path[0] == title:
        heading_path = heading_path[1:]
    return _path_kind(tuple(heading_path))


@lru_cache(maxsize=4096)
def _path_kind(heading_path: tuple[str, ...]) -> str:
    for heading in reversed(heading_path):
        kind = classify_heading(heading)
        if kind != NEUTRAL:
            return kind
    return NEUTRAL


def has_coverage_heading(blocks: Iterable[Block]) -> bool:
    """Whether a heading opens coverage content: one of a page's anchors."""
    return any(b.kind == "heading" and classify_heading(b.text) == COVERAGE for b in blocks)
