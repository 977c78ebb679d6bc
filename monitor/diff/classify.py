"""Turn an alignment and the per-drug summaries into change events with kinds.

Decision order per drug (first that applies wins):

1. content only after → ``added``; only before → ``removed`` (the after version is a *good*
   extraction, so absence is real, not an outage);
2. governing stance differs, an explicitly labelled indication changed stance, an unchanged
   row/statement now sits under another stance (a PDL column move), an edited statement or row
   states another stance, or an indication left one stance for another ("investigational for
   PTSD" → "medically necessary for PTSD") → ``stance_change``;
3. a criteria value differs (trials, weeks, monotherapy, prescriber, approval, indications,
   diagnosis codes, …) → ``criteria_change``; diagnosis codes count from the drug's clauses
   and, for drugs the document makes approvable, from its code lists;
4. clauses were added, removed or edited and the words that differ carry meaning (numbers,
   conditions, connectors like ALL/ONE, negations) → ``criteria_change``; words that differ
   only in filler ("considered", "the member", a sentence split in two) are rewording → nothing;
5. only billing codes differ → ``coding_change``.

A URL change is one ``moved`` event (drug None) whatever else changed; the coverage events of
the same comparison carry ``url_changed``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from crawler.extract.criteria import (
    CODING_KEYS,
    drug_criteria,
    fold_numbers,
    governing_stance,
    indication_stances,
    scope_text,
)
from crawler.extract.model import DRUGS, Clause, DrugSummary, Extraction
from crawler.extract.outcome import is_retirement
from monitor.diff.align import AlignedPair, align
from monitor.diff.model import ChangeEvent, ClauseChange
from monitor.diff.normalize import normalize, url_identity
from monitor.diff.redline import redline_text, redline_tokens
from monitor.diff.synonyms import fold_synonyms

# Words whose appearance or disappearance does not change what a clause requires. Deliberately
# short: anything not listed here counts as meaning, so an unforeseen real change is reported
# rather than missed. Stance words and drug names are here because the clause's stance and drug
# are compared on their own; quantifiers (all, one, any, both, either), negations and "must"
# are NOT here.
_FILLER_WORDS = """
    a an the of to in on at by as for with from into than then that this these those which who
    whom whose it its is are be been being was were has have had do does such e.g i.e eg ie etc
    also additionally further furthermore however therefore thus considered deemed regarded
    individual member patient client person enrollee beneficiary recipient participant
    following below above listed criteria criterion met meets meet meeting policy plan company
    health medical coverage covered we our us they their there here including
    i ii iii iv v vi and/or
    may can will shall should could would when if where whether medically
    effective beginning starting
    medication medicine agent product given administered used
    experimental investigational investigative unproven proven necessary necessity reasonable
    appropriate eligible
    esketamine ketamine spravato ketalar hydrochloride hcl
"""
_FILLER: frozenset[str] = frozenset(_FILLER_WORDS.split())
_SPLIT_CONNECTORS = frozenset({"and", "or"})
_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*|>=|<=|[<>%]")
_HCPCS_LIKE = re.compile(r"^(?:[abceghjklmpqrstv]\d{4}|9\d{4}|0\d{3}t)$")


def url_moved(url_before: str | None, url_after: str | None) -> bool:
    """Whether two fetch URLs name different addresses (both must be known)."""
    if not url_before or not url_after:
        return False
    return url_identity(url_before) != url_identity(url_after)


def _stem(word: str) -> str:
    # Light plural folding only: "antidepressants" and "antidepressant" are the same requirement.
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# Dates inside a clause ("effective 01/01/2026", "as of March 1, 2025") say when, not what.
_DATE = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?\d{4}\b"
    r"|\b(?:19|20)\d{2}\b"
)


# "anesthetic agents, including ketamine": the class of the drug the clause is about, which
# names the drug again rather than a condition of its coverage.
_DRUG_CLASS = re.compile(
    r"\b[a-z-]+ (?:agents?|drugs?|medications?),? (?:including|such as|e\.g\.,?|like)"
    r"(?= (?:ketamine|esketamine|spravato|ketalar)\b)"
)


def content_tokens(text: str) -> set[str]:
    """Meaning-bearing word set of a text: filler and dates dropped, numbers folded to digits,
    synonymous wordings folded to one form (:mod:`monitor.diff.synonyms`), and the words that
    do not change what a stance is about left out (:func:`scope_text`: examples of a class the
    clause names, procedural carve-outs)."""
    t = _DRUG_CLASS.sub(" ", scope_text(fold_numbers(normalize(text))))
    t = fold_synonyms(_DATE.sub(" ", t))
    return {_stem(w) for w in _TOKEN.findall(t) if w not in _FILLER}


def _meaningful_word_change(
    before: Sequence[Clause], after: Sequence[Clause]
) -> tuple[set[str], set[str]]:
    """Content words only on one side of the changed clauses, billing codes excluded."""
    tb: set[str] = set()
    ta: set[str] = set()
    for c in before:
        tb |= content_tokens(c.text)
    for c in after:
        ta |= content_tokens(c.text)
    ignore: frozenset[str] = frozenset()
    if len(before) != len(after):
        # A sentence split in two (or two merged) drops or adds the "and"/"or" that joined
        # them; with equal clause counts a swapped connector still counts.
        ignore = _SPLIT_CONNECTORS
    gone = {w for w in tb - ta if w not in ignore and not _HCPCS_LIKE.match(w)}
    new = {w for w in ta - tb if w not in ignore and not _HCPCS_LIKE.match(w)}
    return gone, new


# Stances under which a drug can be approved: a document's diagnosis-code list names the
# diagnoses these drugs are approved for. A drug the same document calls experimental or not
# covered is not approvable for those codes, so a code list change is not its change.
APPROVABLE: frozenset[str] = frozenset(
    {
        "covered",
        "covered_with_criteria",
        "prior_authorization",
        "step_therapy",
        "preferred",
        "non_preferred",
    }
)


def icd_key(code: str) -> str:
    """One spelling per ICD-10 code: upper case, the dot after the category ("f331" → "F33.1")."""
    code = code.upper().replace(".", "")
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def _table_codes(extracted: DrugSummary | None, doc_dx: bool) -> set[str]:
    """Codes the extractor read for a drug outside its clauses (code tables, code lists).

    ``doc_dx``: the document's diagnosis-code lists count for this drug (see
    :data:`APPROVABLE`).
    """
    if extracted is None:
        return set()
    out = {c.upper() if _HCPCS_LIKE.match(c.lower()) else icd_key(c) for c in extracted.codes}
    if doc_dx:
        out |= {icd_key(c) for c in extracted.criteria.get("diagnosis_codes", [])}
    return out


def _codes(criteria: dict[str, Any], table: set[str]) -> tuple[set[str], set[str]]:
    """(billing codes, diagnosis codes) from clause values plus the drug's code tables."""
    hc = set(criteria.get("hcpcs_codes", []))
    dx = {icd_key(c) for c in criteria.get("diagnosis_codes", [])}
    for code in table:
        (hc if _HCPCS_LIKE.match(code.lower()) else dx).add(code)
    return hc, dx


def _doc_dx_drugs(before: Extraction, after: Extraction) -> set[str]:
    """Drugs a document's diagnosis-code lists belong to: the approvable ones on either side,
    or every drug when none is approvable (a list of excluded diagnoses, say)."""
    stances = {
        drug: {
            governing_stance([c for c in ext.clauses if c.drug == drug]) for ext in (before, after)
        }
        for drug in DRUGS
    }
    approvable: set[str] = {d for d, s in stances.items() if s & APPROVABLE}
    return approvable or set(DRUGS)


# Above this many clauses of one drug, events show the criteria values of the changed clauses
# rather than of the whole document: parsing thousands of unchanged clauses would make a large
# policy's diff slower than the budget (5x a line diff), and the values that changed are the same.
FULL_CRITERIA_LIMIT = 400


def _display_criteria(
    cb: Sequence[Clause],
    ca: Sequence[Clause],
    changed_b: Sequence[Clause],
    changed_a: Sequence[Clause],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Criteria before/after shown on an event (whole drug, or changed clauses if very large)."""
    if len(cb) <= FULL_CRITERIA_LIMIT and len(ca) <= FULL_CRITERIA_LIMIT:
        return drug_criteria(cb), drug_criteria(ca)
    crit_b, crit_a = drug_criteria(changed_b), drug_criteria(changed_a)
    crit_b["scope"] = crit_a["scope"] = "changed clauses"
    return crit_b, crit_a


def _meaning(criteria: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in criteria.items() if k not in CODING_KEYS}


def facts(ext: Extraction | None, url: str | None) -> dict[str, Any]:
    """Document facts shown before/after on every event."""
    if ext is None:
        return {}
    out: dict[str, Any] = {
        "title": ext.title,
        "policy_number": ext.policy_number,
        "effective_date": ext.effective_date,
        "last_reviewed": ext.last_reviewed,
        "outcome": ext.outcome,
    }
    if is_retirement(ext.outcome, ext.message):
        out["retired"] = ext.message
    if url is not None:
        out["url"] = url
    return out


IndicationIndex = dict[tuple[str, str], str]


def indication_index(clauses: Sequence[Clause]) -> IndicationIndex:
    """(drug, statement text) → indication, for finding the indication a criterion hangs from."""
    return {(c.drug, c.text): c.indication for c in clauses if c.indication}


def _indication_of(clause: Clause, index: IndicationIndex) -> str | None:
    """The clause's indication, or that of the nearest group on its criteria path.

    A path element names a group either by its statement text or by a heading that is the
    indication itself ("TRD").
    """
    if clause.indication:
        return clause.indication
    known = {ind.lower(): ind for ind in index.values()}
    for parent in reversed(clause.path):
        found = index.get((clause.drug, parent)) or known.get(parent.strip().lower())
        if found:
            return found
    return None


def _clause_change(
    pair: AlignedPair,
    before: Sequence[Clause],
    after: Sequence[Clause],
    indexes: tuple[IndicationIndex, IndicationIndex],
) -> ClauseChange:
    b = before[pair.before] if pair.before is not None else None
    a = after[pair.after] if pair.after is not None else None
    ref = a or b
    assert ref is not None  # an aligned pair always has at least one side
    if b is not None and a is not None:
        tokens = redline_tokens(b.text, a.text)
        op = "modified"
    elif a is not None:
        tokens = [("insert", a.text)]
        op = "added"
    else:
        assert b is not None
        tokens = [("delete", b.text)]
        op = "removed"
    return ClauseChange(
        op=op,  # type: ignore[arg-type]  # one of the three literals by construction
        before=b.text if b else None,
        after=a.text if a else None,
        section=ref.section,
        redline=redline_text(tokens),
        tokens=[(o, t) for o, t in tokens],
        drug=ref.drug,
        clause_type=ref.type,
        stance_before=b.stance if b else None,
        stance_after=a.stance if a else None,
        indication=_indication_of(a, indexes[1]) if a else _indication_of(ref, indexes[0]),
    )


def classify(
    before: Extraction,
    after: Extraction,
    *,
    url_before: str | None = None,
    url_after: str | None = None,
) -> list[ChangeEvent]:
    """Events (without summaries) between two good extractions; see the module docstring."""
    url_changed = url_moved(url_before, url_after)
    pairs = align(before.clauses, after.clauses)
    dx_drugs = _doc_dx_drugs(before, after)
    events: list[ChangeEvent] = []
    for drug in DRUGS:
        cb = [c for c in before.clauses if c.drug == drug]
        ca = [c for c in after.clauses if c.drug == drug]
        ext_b = before.summaries.get(drug)
        ext_a = after.summaries.get(drug)
        drug_pairs = _pairs_for(pairs, before.clauses, after.clauses, drug)
        changed = [p for p in drug_pairs if p.op in ("modified", "added", "removed")]
        restanced = [
            p
            for p in drug_pairs
            if p.op in ("equal", "moved")
            and p.before is not None
            and p.after is not None
            and before.clauses[p.before].stance != after.clauses[p.after].stance
            and after.clauses[p.after].type in ("statement", "listing")
        ]
        changed_b = [before.clauses[p.before] for p in changed if p.before is not None]
        changed_a = [after.clauses[p.after] for p in changed if p.after is not None]
        # Values of the changed clauses only: unchanged clauses state the same values on both
        # sides, so any difference in the document-wide values shows up here too. This keeps a
        # large policy with a few edits from re-parsing thousands of clauses.
        local_b = drug_criteria(changed_b)
        local_a = drug_criteria(changed_a)
        table_b = _table_codes(ext_b, drug in dx_drugs)
        table_a = _table_codes(ext_a, drug in dx_drugs)
        hc_b, dx_b = _codes(local_b, table_b)
        hc_a, dx_a = _codes(local_a, table_a)

        kind: str | None = None
        stance_b = governing_stance(cb) if cb else None
        stance_a = governing_stance(ca) if ca else None
        if cb and not ca:
            kind = "removed"
        elif ca and not cb:
            kind = "added"
        elif cb and ca:
            ind_b = indication_stances(cb)
            ind_a = indication_stances(ca)
            if (
                stance_b != stance_a
                or any(ind_b[i] != ind_a[i] for i in ind_b.keys() & ind_a.keys())
                or restanced
                or _edited_stance(changed, before.clauses, after.clauses)
                or _moved_indications(local_b, local_a)
            ):
                kind = "stance_change"
            elif (
                _meaning(local_b) != _meaning(local_a)
                or dx_b != dx_a
                or any(_meaningful_word_change(changed_b, changed_a))
            ):
                kind = "criteria_change"
            elif hc_b != hc_a:
                kind = "coding_change"
        if kind is None:
            continue
        indexes = (indication_index(before.clauses), indication_index(after.clauses))
        shown = sorted(changed + restanced, key=_document_order)
        clause_changes = [_clause_change(p, before.clauses, after.clauses, indexes) for p in shown]
        table = _code_table_change(table_b, table_a, drug)
        if table is not None:
            clause_changes.append(table)
        crit_b, crit_a = _display_criteria(cb, ca, changed_b, changed_a)
        for crit, hc, dx in ((crit_b, hc_b, dx_b), (crit_a, hc_a, dx_a)):
            # Code tables read by the extractor are part of what the analyst sees.
            if hc or hc_b or hc_a:
                crit["hcpcs_codes"] = sorted(hc | set(crit.get("hcpcs_codes", [])))
            if dx or dx_b or dx_a:
                crit["diagnosis_codes"] = sorted(dx | set(crit.get("diagnosis_codes", [])))
        events.append(
            ChangeEvent(
                kind=kind,
                drug=drug,
                summary="",
                stance_before=stance_b if cb else "absent",
                stance_after=stance_a if ca else "absent",
                criteria_before=crit_b,
                criteria_after=crit_a,
                facts_before=facts(before, url_before),
                facts_after=facts(after, url_after),
                clause_changes=clause_changes,
                effective_date=after.effective_date,
                url_changed=url_changed,
            )
        )
    if url_changed:
        # A move is reported for operators whatever else changed: the registry's URL needs an
        # edit either way, and the coverage events carry ``url_changed`` for analysts.
        events.insert(
            0,
            ChangeEvent(
                kind="moved",
                drug=None,
                summary="",
                stance_before=governing_stance(before.clauses) or "absent",
                stance_after=governing_stance(after.clauses) or "absent",
                facts_before=facts(before, url_before),
                facts_after=facts(after, url_after),
                effective_date=after.effective_date,
                url_changed=True,
            ),
        )
    return events


# A statement that says "prior authorization is required" and one that says "medically
# necessary when the criteria below are met" state the same coverage (the governing-stance rule
# treats the first as a process note), so an edit between them is not a stance change.
_SAME_COVERAGE: frozenset[frozenset[str]] = frozenset(
    {frozenset({"prior_authorization", "covered_with_criteria"})}
)


def _edited_stance(
    changed: Sequence[AlignedPair], before: Sequence[Clause], after: Sequence[Clause]
) -> bool:
    """An edited statement or listing now states another stance ("investigational for PTSD"
    → "medically necessary for PTSD"): a stance change even when the drug's governing stance,
    decided by its most favourable statement, stays the same."""
    for p in changed:
        if p.op != "modified" or p.before is None or p.after is None:
            continue
        b, a = before[p.before], after[p.after]
        if (
            a.type in ("statement", "listing")
            and b.type == a.type
            and b.stance != a.stance
            and frozenset({b.stance, a.stance}) not in _SAME_COVERAGE
        ):
            return True
    return False


def _moved_indications(local_b: dict[str, Any], local_a: dict[str, Any]) -> bool:
    """An indication named by the changed statements left one stance for another (removed from
    the experimental list and added under medically necessary): a stance change, not a scope
    change. An indication only added to or dropped from a list is a criteria change."""
    by_b: dict[str, set[str]] = {}
    by_a: dict[str, set[str]] = {}
    for values, out in ((local_b, by_b), (local_a, by_a)):
        for stance, labels in values.get("indications", {}).items():
            for label in labels:
                out.setdefault(label, set()).add(stance)
    for label in by_b.keys() & by_a.keys():
        gone, new = by_b[label] - by_a[label], by_a[label] - by_b[label]
        if gone and new and frozenset({*gone, *new}) not in _SAME_COVERAGE:
            return True
    return False


def _code_table_change(table_b: set[str], table_a: set[str], drug: str) -> ClauseChange | None:
    """The extractor's code tables as one pseudo-clause change, so the analyst sees a redline."""
    codes_b, codes_a = sorted(table_b), sorted(table_a)
    if codes_b == codes_a:
        return None
    before, after = " ".join(codes_b), " ".join(codes_a)
    tokens = redline_tokens(before, after)
    return ClauseChange(
        op="modified" if codes_b and codes_a else ("added" if codes_a else "removed"),
        before=before or None,
        after=after or None,
        section="Codes",
        redline=redline_text(tokens),
        tokens=list(tokens),
        drug=drug,
        clause_type="codes",
    )


def _document_order(p: AlignedPair) -> tuple[int, int]:
    # Order of the new version; a removal sits where it used to be.
    return (p.after if p.after is not None else (p.before or 0), p.after is None)


def _pairs_for(
    pairs: Sequence[AlignedPair], before: Sequence[Clause], after: Sequence[Clause], drug: str
) -> list[AlignedPair]:
    out = []
    for p in pairs:
        ref = after[p.after] if p.after is not None else before[p.before]  # type: ignore[index]
        if ref.drug == drug:
            out.append(p)
    return out


def unavailable_event(
    before: Extraction | None,
    after: Extraction,
    *,
    url_before: str | None = None,
    url_after: str | None = None,
) -> ChangeEvent:
    """The single operator-facing event for a quarantined version (never a coverage change)."""
    return ChangeEvent(
        kind="unavailable",
        drug=None,
        summary="",
        stance_before=(governing_stance(before.clauses) or "absent")
        if before is not None
        else None,
        stance_after="unknown",
        facts_before=facts(before, url_before),
        facts_after=facts(after, url_after),
        effective_date=None,
        url_changed=url_moved(url_before, url_after),
    )
