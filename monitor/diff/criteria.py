"""Criteria values parsed from clause texts, and the per-drug summary the diff compares.

The diff never trusts a summary computed elsewhere: :func:`summarize` recomputes it from the
clauses, so an extractor change cannot move a value without its text moving too. Values are
plain JSON types (ints, strings, sorted lists) so they can be stored on a change event and
compared with ``==``.

Each parser is one ordered, readable rule (style note 10): a wording pattern and the value it
yields. Number words are folded to digits first, so "three (3)", "three" and "3" agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from monitor.diff.normalize import normalize
from monitor.extract.model import DRUGS, Clause, DrugSummary

# Most favourable first: a drug covered for TRD and experimental for everything else is governed
# by its coverage, and PDL status is more specific than a bare PA requirement.
STANCE_RANK: tuple[str, ...] = (
    "covered",
    "preferred",
    "covered_with_criteria",
    "non_preferred",
    "step_therapy",
    "prior_authorization",
    "not_covered",
    "experimental",
)

# Values that are billing detail, not coverage meaning: a change confined to these is a
# coding_change.
CODING_KEYS: frozenset[str] = frozenset({"hcpcs_codes"})

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}  # fmt: skip
_NUM_WORD_RE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b(?:\s*\(\d+\))?")


def fold_numbers(text: str) -> str:
    """Number words to digits: "two (2)" -> "2", "three" -> "3"."""
    return _NUM_WORD_RE.sub(lambda m: _NUMBER_WORDS[m.group(1)], text)


_N = r"(\d{1,2})"
_TRIALS = re.compile(
    r"(?:at least|a minimum of|minimum of|no fewer than|>=|failed|failure of|trials? of|tried)\s+"
    + _N
    + r"\s+(?:(?:or more|different|prior|previous|oral|separate|adequate|distinct|generic"
    r"|other)\s+)*"
    r"(?:anti-?depressants?|antidepressant (?:medications?|agents?|trials?)|medications?|agents?|"
    r"treatments?|trials?|drugs?)\b"
)
_TRIALS_ALT = re.compile(_N + r"\s+or more\s+(?:different\s+)?(?:oral\s+)?anti-?depressants?")
_CLASSES = re.compile(
    r"(?:from|in|of)\s+(?:at least\s+)?" + _N + r"\s+(?:different\s+)?(?:drug\s+)?classes"
)
_WEEKS = re.compile(_N + r"(?:\s*(?:-|to)\s*" + _N + r")?\s*weeks?\b")
_DURATION = re.compile(_N + r"\s*(?:\(\d+\)\s*)?(months?|weeks?|days?|years?)\b")
_APPROVAL_WORD = re.compile(r"approv|authoriz|authoris|certif(?:ication|ied for)")
_RENEWAL_WORD = re.compile(r"re-?authori|continu|renew|recertif|subsequent|extension|re-?approv")
_MONO_NEG = re.compile(
    r"\b(?:not|never|no)\b[^.;]{0,40}\bmonotherapy|monotherapy\b[^.;]{0,20}\bnot\b"
)
_CONCOMITANT = re.compile(
    r"(?:in conjunction with|in combination with|together with|concomitant(?:ly)? with|along with|"
    r"used with|plus)\s+(?:an?\s+|a newly initiated\s+)?(?:daily\s+)?(?:oral\s+)?anti-?depressant"
)


def _rule(label: str, *alternatives: str) -> tuple[str, re.Pattern[str]]:
    """One row of a rule table: a label and the wordings (regex alternatives) that mean it."""
    return label, re.compile("|".join(alternatives))


_PRESCRIBER_CONTEXT = re.compile(r"prescri|in consultation with|consulted with|ordered by")
_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    _rule("psychiatric nurse practitioner", r"psychiatric (?:mental health )?nurse practitioner",
          r"\bpmhnp\b"),
    _rule("psychiatrist", r"psychiatrist"),
    _rule("mental health professional", r"mental health (?:professional|provider|specialist)"),
    _rule("neurologist", r"neurologist"),
    _rule("pain specialist", r"pain (?:medicine )?specialist"),
    _rule("anesthesiologist", r"anesthesiologist"),
    _rule("physician", r"(?<!a )physician"),
)  # fmt: skip
_MIN_AGE = re.compile(
    r"(?:age[ds]?\s+(?:>=\s*)?)?"
    + _N
    + r"\s+years(?: of age)?(?: or older| and older| or over|\+)|age\s*>=\s*"
    + _N
)
_HOURS = re.compile(r"(?:at least|minimum of|>=)\s+" + _N + r"\s+hours?")
_SEVERITY = re.compile(
    r"(madrs|ham-?d(?:17|-17)?|phq-?9|qids(?:-c16|-sr16)?|cgi-s)\b[^.;]{0,30}?"
    r"(?:(?:>=|at least|greater than or equal to)\s*(\d{1,2})"
    r"|\b(\d{1,2})\s+or\s+(?:higher|greater|more|above))"
)
_QUANTITY = re.compile(
    r"(\d{1,4})\s+(infusions?|devices?|kits?|treatments?|sessions?|doses?|units?"
    r"|nasal spray devices?)\b"
    r"|(\d{2,4})\s*mg\s+(?:per|/|a|each)\s+(week|day|month|treatment session)"
)
_HCPCS = re.compile(r"\b([abceghjklmpqrstv]\d{4}|9\d{4}|0\d{3}t)\b")
_ICD = re.compile(r"\b([a-z]\d{2}\.[0-9a-z]{1,4}|f\d{2}[0-9a-z]{0,3})\b")

# Indications and excluded conditions named by statements and list rows. Ordered: specific
# phrases first; each match is blanked out so "treatment-resistant depression" does not also
# count as "depression".
_INDICATIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    _rule("MDSI", r"suicidal ideation (?:or|and/or|and) behaviou?r", r"\bmdsi\b"),
    _rule("TRD", r"treatment[- ]resistant (?:major )?depress\w*(?: disorder)?", r"\btrd\b"),
    _rule("bipolar depression", r"bipolar (?:depression|disorder|i+ depression)", r"\bbipolar\b"),
    _rule("postpartum depression", r"post-?partum depression"),
    _rule("suicidal ideation", r"suicidal (?:ideation|thoughts)", r"suicidality"),
    _rule("PTSD", r"post-?traumatic stress(?: disorder)?", r"\bptsd\b"),
    _rule("OCD", r"obsessive-? ?compulsive(?: disorder)?", r"\bocd\b"),
    _rule("anxiety", r"\w*\s?anxiety(?: disorders?)?"),
    _rule("substance use disorder", r"(?:substance|alcohol|opioid) use(?: disorders?)?",
          r"addiction", r"\bsud\b"),
    _rule("complex regional pain syndrome", r"complex regional pain syndrome", r"\bcrps\b"),
    _rule("post-concussion syndrome", r"post-?concussi\w*(?: syndrome)?"),
    _rule("sickle cell crisis", r"sickle cell[\w -]{0,25}?crisis", r"sickle cell"),
    _rule("migraine", r"migraine", r"headache"),
    _rule("acute pain", r"acute pain"),
    _rule("chronic pain", r"chronic (?:non-?cancer )?pain"),
    _rule("neuropathic pain", r"neuropathic pain"),
    _rule("central pain", r"central pain(?: syndrome)?"),
    _rule("cancer pain", r"cancer(?:-related)? pain"),
    _rule("pain", r"\bpain\b"),
    _rule("eating disorder", r"eating disorders?", r"anorexia", r"bulimia"),
    _rule("schizophrenia", r"schizophreni\w*", r"psychotic disorders?"),
    _rule("autism", r"autism\w*"),
    _rule("anesthesia", r"anesthe\w*", r"sedation"),
    _rule("major depressive disorder", r"major depressi\w* disorder", r"\bmdd\b"),
    _rule("depression", r"\bdepressi(?:on|ve)\b"),
    _rule("psychiatric disorders", r"psychiatric (?:disorders?|conditions?|indications?)",
          r"mental health conditions?"),
)  # fmt: skip
_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("intravenous", re.compile(r"intravenous|\biv\b")),
    ("intramuscular", re.compile(r"intramuscular|\bim\b")),
    ("intranasal", re.compile(r"intranasal|nasal spray")),
    ("oral", re.compile(r"\boral(?:ly)?\b(?! antidepressant)")),
    ("sublingual", re.compile(r"sublingual|lozenge|troche")),
    ("subcutaneous", re.compile(r"subcutaneous")),
)  # fmt: skip
# Conditions of coverage that are concepts rather than numbers.
_REQUIREMENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("augmentation trial", re.compile(r"augment")),
    ("psychotherapy", re.compile(r"psychotherapy|counsel+ing")),
    ("ECT/TMS considered", re.compile(r"\bect\b|electroconvulsive|\btms\b|transcranial")),
    ("REMS", re.compile(r"\brems\b")),
    ("no active substance use", re.compile(r"substance use|substance abuse")),
    ("no psychosis", re.compile(r"\bpsychos[ie]s|\bpsychotic")),
    ("baseline score", re.compile(r"baseline")),
    ("documented response", re.compile(r"response|improvement|benefit")),
    ("PDMP check", re.compile(r"\bpdmp\b|prescription drug monitoring")),
    ("supervised administration", re.compile(r"direct observation|supervis|observed")),
    ("current episode", re.compile(r"current (?:depressive |major depressive )?episode")),
    ("DSM diagnosis", re.compile(r"\bdsm\b")),
)  # fmt: skip


def _labels(text: str, rules: Iterable[tuple[str, re.Pattern[str]]], blank: bool) -> set[str]:
    found: set[str] = set()
    for label, pattern in rules:
        if pattern.search(text):
            found.add(label)
            if blank:
                text = pattern.sub(" ", text)
    return found


def _duration(n: str, unit: str) -> str:
    unit = unit.rstrip("s")
    return f"{int(n)} {unit}{'' if n == '1' else 's'}"


@lru_cache(maxsize=65536)
def _parse(text: str, ctype: str) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Criteria values of one clause text; cached because most clauses recur in every version."""
    t = fold_numbers(normalize(text))
    out: dict[str, set[Any]] = {}

    def add(key: str, *values: Any) -> None:
        out.setdefault(key, set()).update(values)

    is_approval = bool(_APPROVAL_WORD.search(t))
    mentions_ad = "antidepress" in t or "anti-depress" in t
    if any(ch.isdigit() for ch in t):
        for m in _TRIALS.finditer(t):
            add("failed_trials", int(m.group(1)))
        for m in _TRIALS_ALT.finditer(t):
            add("failed_trials", int(m.group(1)))
        for m in _CLASSES.finditer(t):
            add("antidepressant_classes", int(m.group(1)))
        if is_approval and not mentions_ad:
            for m in _DURATION.finditer(t):
                key = (
                    "approval_renewal"
                    if _RENEWAL_WORD.search(t, 0, m.start())
                    else "approval_initial"
                )
                add(key, _duration(m.group(1), m.group(2)))
        elif mentions_ad or "trial" in t:
            for m in _WEEKS.finditer(t):
                add("trial_weeks", int(m.group(2) or m.group(1)))
        for m in _MIN_AGE.finditer(t):
            add("min_age", int(m.group(1) or m.group(2)))
        for m in _HOURS.finditer(t):
            add("monitoring_hours", int(m.group(1)))
        for m in _SEVERITY.finditer(t):
            scale = m.group(1).replace("-", "")
            add("severity", f"{scale}>={int(m.group(2) or m.group(3))}")
        for m in _QUANTITY.finditer(t):
            if m.group(1):
                add("quantity", f"{int(m.group(1))} {m.group(2).rstrip('s')}")
            else:
                add("quantity", f"{int(m.group(3))} mg/{m.group(4)}")
        for m in _HCPCS.finditer(t):
            add("hcpcs_codes", m.group(1).upper())
        for m in _ICD.finditer(t):
            add("diagnosis_codes", m.group(1).upper())
    if "monotherapy" in t:
        add("monotherapy", "not_allowed" if _MONO_NEG.search(t) else "allowed")
    elif _CONCOMITANT.search(t):
        add("monotherapy", "not_allowed")
    if _PRESCRIBER_CONTEXT.search(t):
        roles = _labels(t, _ROLES, blank=True)
        if roles:
            add("prescriber", *roles)
    if ctype in ("statement", "listing"):
        inds = _labels(t, _INDICATIONS, blank=True)
        if inds:
            add("indications", *inds)
        routes = _labels(t, _ROUTES, blank=False)
        if routes:
            add("routes", *routes)
    else:
        reqs = _labels(t, _REQUIREMENTS, blank=False)
        if reqs:
            add("requirements", *reqs)
    return tuple((k, tuple(sorted(v, key=str))) for k, v in sorted(out.items()))


def parse_clause(clause: Clause) -> dict[str, list[Any]]:
    """Criteria values stated by one clause (keys absent when the clause states none)."""
    values = {k: list(v) for k, v in _parse(clause.text, clause.type)}
    codes = [c.upper() for c in clause.codes]
    if codes:
        hc = set(values.get("hcpcs_codes", []))
        dx = set(values.get("diagnosis_codes", []))
        for code in codes:
            (dx if _ICD.fullmatch(code.lower()) else hc).add(code)
        if hc:
            values["hcpcs_codes"] = sorted(hc)
        if dx:
            values["diagnosis_codes"] = sorted(dx)
    return values


def governing_stance(clauses: Iterable[Clause]) -> str | None:
    """The stance that governs a drug: the most favourable stance among statements and list rows.

    Criteria and limitations inherit a stance; they only govern when the document has no
    statement or row for the drug (a bare criteria list).
    """
    clauses = list(clauses)
    primary = [c.stance for c in clauses if c.type in ("statement", "listing")]
    stances = primary or [c.stance for c in clauses]
    ranked = [s for s in STANCE_RANK if s in stances]
    if ranked:
        return ranked[0]
    return stances[0] if stances else None


def indication_stances(clauses: Iterable[Clause]) -> dict[str, str]:
    """Per explicitly labelled indication (``Clause.indication``), its most favourable stance."""
    by_ind: dict[str, list[str]] = {}
    for c in clauses:
        if c.indication and c.type in ("statement", "listing"):
            by_ind.setdefault(c.indication, []).append(c.stance)
    out: dict[str, str] = {}
    for ind, stances in by_ind.items():
        ranked = [s for s in STANCE_RANK if s in stances]
        out[ind] = ranked[0] if ranked else stances[0]
    return out


def drug_criteria(clauses: Iterable[Clause]) -> dict[str, Any]:
    """Aggregate criteria values of one drug's clauses into a JSON-ready, comparable dict."""
    merged: dict[str, set[Any]] = {}
    by_stance: dict[str, set[str]] = {}
    mono: set[str] = set()
    for c in clauses:
        for key, vals in parse_clause(c).items():
            if key == "indications":
                by_stance.setdefault(c.stance, set()).update(vals)
            elif key == "monotherapy":
                mono.update(vals)
            else:
                merged.setdefault(key, set()).update(vals)
    out: dict[str, Any] = {k: sorted(v, key=str) for k, v in sorted(merged.items()) if v}
    if mono:
        # Monotherapy is allowed as soon as one branch (usually TRD) allows it.
        out["monotherapy"] = "allowed" if "allowed" in mono else "not_allowed"
    if by_stance:
        out["indications"] = {s: sorted(v) for s, v in sorted(by_stance.items())}
    return out


def summarize(clauses: Iterable[Clause]) -> dict[str, DrugSummary]:
    """Per drug present in ``clauses``: governing stance, criteria values and codes."""
    by_drug: dict[str, list[Clause]] = {}
    for c in clauses:
        by_drug.setdefault(c.drug, []).append(c)
    out: dict[str, DrugSummary] = {}
    for drug in DRUGS:
        cs = by_drug.get(drug)
        if not cs:
            continue
        crit = drug_criteria(cs)
        codes = sorted(set(crit.get("hcpcs_codes", [])) | set(crit.get("diagnosis_codes", [])))
        out[drug] = DrugSummary(drug=drug, stance=governing_stance(cs), criteria=crit, codes=codes)
    return out
