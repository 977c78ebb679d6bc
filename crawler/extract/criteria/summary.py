"""Per drug: the governing stance, the criteria values and the billing codes of a document."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from crawler.extract.drugs import ESKETAMINE_CODES, codes_in, diagnosis_codes, has_drug_code
from crawler.extract.model import DRUGS, Block, Clause, DrugSummary
from crawler.extract.sections import CONTEXT, section_kind

from . import rules as r
from .values import drug_criteria


def _pick(stances: Sequence[str]) -> str | None:
    """The governing one of several stances: see :func:`governing_stance`."""
    distinct = list(dict.fromkeys(stances))  # documents repeat a stance hundreds of times
    if not distinct:
        return None
    said = [s for s in distinct if s not in r.NOTE_STANCES] or distinct
    ranked = [s for s in r.STANCE_RANK if s in said]
    return ranked[0] if ranked else said[0]


def governing_stance(clauses: Iterable[Clause]) -> str | None:
    """The stance that governs a drug in a document.

    The rule, first step that leaves a choice decides:

    1. Statements govern; listings (table rows, PDL entries) govern when no statement says
       more than a process note; criteria and limitations inherit their stance and govern only
       a document that has nothing else (a bare criteria list).
    2. A bare process note ("Prior authorization is required for Spravato") gives way to any
       clause of the same rank or the next that says what is covered: covered, covered with
       criteria, preferred, non-preferred, step therapy, not covered or experimental. It
       governs only when nothing else is stated.
    3. Among the rest, the most favourable (:data:`rules.STANCE_RANK`) wins: a drug covered for
       TRD and experimental for everything else is governed by its coverage.

    So "Spravato is not medically necessary" beside a PDL row "non-preferred" is not covered;
    "Prior authorization is required" beside "medically necessary when all of the following
    are met" is covered with criteria; a PDL row "non-preferred" beside "PA criteria apply
    regardless of PDL status" is non-preferred. The rule does not depend on clause order, so a
    reordered document keeps its stance.
    """
    statements: list[str] = []
    listings: list[str] = []
    others: list[str] = []
    for c in clauses:
        (
            statements if c.type == "statement" else listings if c.type == "listing" else others
        ).append(c.stance)
    for tier in (statements, listings):
        said = [s for s in tier if s not in r.NOTE_STANCES]
        if said:
            return _pick(said)
    return _pick(statements + listings or others)


def indication_stances(clauses: Iterable[Clause]) -> dict[str, str]:
    """Per explicitly labelled indication (``Clause.indication``), its governing stance."""
    by_ind: dict[str, list[str]] = {}
    for c in clauses:
        if c.indication and c.type in r.STANCE_TYPES:
            by_ind.setdefault(c.indication, []).append(c.stance)
    return {ind: s for ind, stances in by_ind.items() if (s := _pick(stances)) is not None}


def _code_texts(blocks: Sequence[Block]) -> tuple[list[str], list[str]]:
    """(code-list texts, texts where billing codes count) of a document.

    Code lists live in tables and under coding headings. Billing codes count there and in
    coverage (non-context) sections; background, evidence and reference prose that merely
    mentions a code does not state what is billed. Blocks under one heading share one path
    list, so the section verdicts are computed once per distinct path.
    """
    code_lists: list[str] = []
    billing: list[str] = []
    last_path: list[str] | None = None
    is_code = is_context = False
    for block in blocks:
        if block.kind == "table_row":
            code_lists.append(block.text)
            continue
        path = block.heading_path
        if path is not last_path:
            last_path = path
            is_code = any(r.CODE_HEADING.search(h) for h in path)
            is_context = section_kind(path) == CONTEXT
        if is_code:
            code_lists.append(block.text)
        elif not is_context:
            billing.append(block.text)
    return code_lists, billing


def summarize(clauses: Sequence[Clause], blocks: Sequence[Block] = ()) -> dict[str, DrugSummary]:
    """A summary per drug that has clauses: governing stance, criteria values, billing codes.

    ``blocks`` add the document's code lists, which are often tables rather than clauses:
    diagnosis codes count for every drug (a code list belongs to the policy, not to one
    sentence); billing codes are esketamine's own codes, and unlisted-drug codes wherever the
    same block speaks of ketamine.
    """
    if not clauses:
        return {}
    doc_dx: list[str] = []
    doc_codes: list[str] = []
    if blocks:
        code_lists, billing = _code_texts(blocks)
        doc_dx = diagnosis_codes("\n".join(code_lists))
        for text in code_lists + billing:
            # A literal pre-check (C substring search) skips texts that hold none of the codes.
            if has_drug_code(text):
                doc_codes.extend(c for c in codes_in(text) if c not in doc_codes)
    out: dict[str, DrugSummary] = {}
    for drug in DRUGS:
        mine = [c for c in clauses if c.drug == drug]
        if not mine:
            continue
        criteria = drug_criteria(mine)
        if doc_dx:
            criteria["diagnosis_codes"] = sorted(
                set(criteria.get("diagnosis_codes", [])) | set(doc_dx)
            )
        codes = sorted({c for c in doc_codes if (c in ESKETAMINE_CODES) == (drug == "esketamine")})
        if codes:
            criteria["hcpcs_codes"] = sorted(set(criteria.get("hcpcs_codes", [])) | set(codes))
        out[drug] = DrugSummary(
            drug=drug, stance=governing_stance(mine), criteria=criteria, codes=codes
        )
    return out
