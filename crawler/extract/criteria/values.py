"""Criteria values of clauses: what one clause states, and what a drug's clauses state together.

Values are plain JSON types so they can be stored on an extraction or a change event and
compared with ``==``:

============================  ======  =====================================================
key                           type    meaning (how several clauses combine)
============================  ======  =====================================================
failed_trials                 int     failed antidepressant trials (first stated wins)
antidepressant_classes        int     distinct antidepressant classes (first stated)
trial_weeks                   int     length of each trial in weeks (first stated)
min_age                       int     minimum age in years (first stated)
monitoring_hours              int     post-dose monitoring hours (first stated)
approval_initial              str     initial approval, e.g. "6 months" (first stated)
approval_renewal              str     renewal approval, e.g. "12 months" (first stated)
monotherapy_allowed           bool    True as soon as one clause allows monotherapy
rems                          bool    a REMS requirement is stated
prescriber                    list    prescriber roles (sorted union)
severity                      list    rating-scale thresholds, e.g. "madrs>=28"
quantity_limits               list    limits in document order, e.g. "8 infusions per 28 days"
routes                        list    routes named by statements and listings
requirements                  list    further conditions (psychotherapy, baseline score, …)
indications                   dict    stance -> indications named by statements and listings
hcpcs_codes                   list    billing codes (sorted)
diagnosis_codes               list    ICD-10 codes (sorted)
============================  ======  =====================================================

"First stated" is document order: the governing branch of a policy comes first, and a value
stated again further down (a renewal section repeating a trial count) does not replace it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from crawler.extract.model import Clause

from . import rules as r

# Keys whose value is the first one stated; the others are unions or flags.
FIRST_STATED: tuple[str, ...] = (
    "failed_trials",
    "antidepressant_classes",
    "trial_weeks",
    "min_age",
    "monitoring_hours",
    "approval_initial",
    "approval_renewal",
)
_SORTED_UNIONS: tuple[str, ...] = (
    "prescriber",
    "severity",
    "routes",
    "requirements",
    "hcpcs_codes",
    "diagnosis_codes",
)

ClauseValues = tuple[tuple[str, tuple[Any, ...]], ...]


# Where a list of conditions ends: a closing bracket, the end of a sentence part, or the verb
# or condition that follows the list ("…, and PTSD, is considered investigational").
_LIST_END = re.compile(
    r"[).;:]|,?\s+(?:is|are|was|were|has|have|will|may|must|shall|should|can|could|when|if"
    r"|unless|except|which|that|who|remains?|requires?|considered|deemed"
    r"|(?:and|or) (?:for|in|to|as|when))\b"
)
# A carve-out: the uses after it are what the stance is NOT about ("investigational, except
# when used for anesthesia", "for indications other than TRD").
_CARVE_OUT = re.compile(
    r"\b(?:except|other than|excluding|apart from|with the exception of)\b"
    r"(?:\s+(?:when|if|where)\b)?(?:\s+(?:it is|they are))?"
    r"(?:\s+(?:used|given|administered|prescribed)\b)?"
)
# Examples of a class: "psychiatric disorders, including TRD and OCD", "chronic pain (e.g.,
# CRPS)", "conditions such as PTSD". Examples of a class already named do not widen it.
_EXAMPLES = re.compile(
    r"(?:,\s*|\(\s*|\s)(?:including(?: but not limited to)?|such as|e\.g\.|eg\.?|for example"
    r"|for instance|like|especially|particularly|notably)[,:]?(?=\s)"
)
# What may stand between the class and the examples' cue: the class's own noun, punctuation.
_CLASS_TAIL = re.compile(
    r"[\s,(]*(?:(?:syndromes?|disorders?|conditions?|diseases?|illness(?:es)?|indications?"
    r"|diagnos[ie]s|states?)\b[\s,(]*)?"
)


_CLASS_NOUN = re.compile(r" (?:syndromes?|disorders?|conditions?|diseases?|illness(?:es)?)\b")


def _blank(text: str, start: int, end: int) -> str:
    # Spaces of the same length keep every later position where it was.
    return text[:start] + " " * (end - start) + text[end:]


def _list_end(text: str, start: int) -> int:
    end = _LIST_END.search(text, start)
    return end.start() if end else len(text)


def _found(text: str) -> tuple[str, list[tuple[str, int, int]]]:
    """Indication matches of ``text`` (label, start, end) in table order, and the text with
    each match blanked (so "treatment-resistant depression" is not also "depression")."""
    found: list[tuple[str, int, int]] = []
    for label, pattern in r.INDICATIONS:
        for m in pattern.finditer(text):
            found.append((label, m.start(), m.end()))
        text = pattern.sub(lambda m: " " * len(m.group()), text)
    return text, found


def _example_lists(
    text: str, blanked: str, found: list[tuple[str, int, int]]
) -> list[tuple[int, int]]:
    """Spans of example lists that follow a class the text already names (``blanked``: the
    text with its indications blanked; the list's end is read on the words themselves)."""
    spans: list[tuple[int, int]] = []
    for cue in _EXAMPLES.finditer(blanked):
        if any(
            end <= cue.start() and _CLASS_TAIL.fullmatch(blanked, end, cue.start())
            for _, _, end in found
        ):
            spans.append((cue.start(), _list_end(text, cue.end())))
    return spans


def _carve_outs(text: str) -> list[tuple[int, int]]:
    if not ("xcept" in text or "other than" in text or "excluding" in text or "apart" in text):
        return []
    return [(m.start(), _list_end(text, m.end())) for m in _CARVE_OUT.finditer(text)]


def indications(text: str) -> list[str]:
    """Indication labels folded ``text`` names as the scope of its stance, in table order.

    A carve-out ("except when used for anesthesia", "other than TRD") names what the stance is
    not about, and conditions given as examples of a class the text already names
    ("psychiatric disorders, including TRD, OCD and PTSD") do not widen that class.
    """
    for start, end in reversed(_carve_outs(text)):
        text = _blank(text, start, end)
    blanked, found = _found(text)
    lists = _example_lists(text, blanked, found)
    labels: list[str] = []
    for label, start, _ in found:
        if label not in labels and not any(s < start < e for s, e in lists):
            labels.append(label)
    return labels


def scope_text(text: str) -> str:
    """Folded ``text`` without the words that do not change what its stance is about: example
    lists of a class it names, and carve-outs of procedural use (anesthesia, sedation), which
    name what a drug-coverage policy does not address. Other carve-outs ("except for TRD")
    stay: dropping one changes what the stance covers."""
    for start, end in reversed(_carve_outs(text)):
        carved = {label for label, _, _ in _found(text[start:end])[1]}
        if carved == {"anesthesia"}:
            text = _blank(text, start, end)
    blanked, found = _found(text)
    spans = _example_lists(text, blanked, found)
    # "chronic pain syndromes" is the class "chronic pain": the noun adds nothing.
    spans += [(e, m.end()) for _, _, e in found if (m := _CLASS_NOUN.match(blanked, e))]
    for start, end in sorted(spans, reverse=True):
        text = _blank(text, start, end)
    return text


def _labels(text: str, table: r.Rules, blank: bool) -> list[str]:
    found: list[str] = []
    for label, pattern in table:
        if pattern.search(text):
            found.append(label)
            if blank:
                text = pattern.sub(" ", text)
    return found


def _duration(n: str, unit: str) -> str:
    unit = unit.rstrip("s")
    return f"{int(n)} {unit}{'' if int(n) == 1 else 's'}"


def _durations(add: Any, text: str, is_limitation: bool) -> None:
    """Initial / renewal approval durations, one clause part at a time.

    "Length of approval: initial 4 months; continuation 12 months" holds both, so each part
    separated by ";" or "," is read on its own, with the clause's lead-in as context. A part
    with several durations ("6 months initially and 12 months for continuation") gives each the
    initial/renewal cue nearest to it, the words after it first. A duration with no cue is the
    initial approval when the clause is a limitation or the part speaks of approval, and the
    renewal when only the clause as a whole speaks of renewal.
    """
    approval_context = bool(r.APPROVAL.search(text))
    for part in re.split(r"[;,]\s*", text):
        found = list(r.DURATION.finditer(part))
        if not found or not (approval_context or r.APPROVAL.search(part)):
            continue
        if len(found) > 1:
            for i, d in enumerate(found):
                after = part[d.end() : found[i + 1].start() if i + 1 < len(found) else len(part)]
                before = part[found[i - 1].end() if i else 0 : d.start()]
                for window in (after, before):
                    if r.RENEWAL.search(window):
                        add("approval_renewal", _duration(d.group(1), d.group(2)))
                        break
                    if r.INITIAL.search(window):
                        add("approval_initial", _duration(d.group(1), d.group(2)))
                        break
            continue
        d = found[0]
        value = _duration(d.group(1), d.group(2))
        if r.RENEWAL.search(part) or (
            not r.INITIAL.search(part) and r.RENEWAL.search(text) and not r.INITIAL.search(text)
        ):
            add("approval_renewal", value)
        elif r.INITIAL.search(part) or is_limitation or r.APPROVED.search(part):
            add("approval_initial", value)


def _quantity(m: re.Match[str]) -> str:
    amount = re.sub(r"\s+", " ", m.group("amount"))
    n, _, unit = amount.partition(" ")
    if unit and not re.match(r"(?:mg|ml)\b", unit):
        # "1 device" / "8 devices": the count decides the plural, not the policy's spelling.
        unit = re.sub(r"s$", "", unit)
        amount = f"{n} {unit}{'' if n == '1' else 's'}"
    per = re.sub(r"\s+", " ", m.group("per") or "").strip()
    return f"{amount} {per}" if per else amount


def monotherapy_value(text: str) -> bool | None:
    """Whether folded ``text`` allows the drug without an oral antidepressant (True), requires
    one (False), or says neither (None); the rule tables are in :mod:`.rules`."""
    if r.AD_TRIAL_CUE.search(text):
        text = r.AD_MONOTHERAPY.sub(" ", text)  # the failed trials' monotherapy, not the drug's
    for m in r.MONO_ALLOWED_EXPLICIT.finditer(text):
        if not r.NEGATED_BEFORE.search(text, max(0, m.start() - 40), m.start()):
            return True
    if r.MONO_NEG.search(text):
        return False
    if r.MONO_ALLOWED.search(text):
        return True
    if r.CONCOMITANT.search(text):
        return False
    return None


@lru_cache(maxsize=65536)
def _parse(text: str, ctype: str, describes_code: bool = False) -> ClauseValues:
    """Values of one clause text in text order; cached because clauses recur in every version.

    ``describes_code``: the text is a billing code's descriptor (a code table's description
    cell), whose amounts say what the code bills, not what the plan allows.
    """
    t = r.fold(text)
    out: dict[str, list[Any]] = {}

    def add(key: str, value: Any) -> None:
        values = out.setdefault(key, [])
        if value not in values:
            values.append(value)

    mentions_ad = "antidepress" in t or "anti-depress" in t
    if any(ch.isdigit() for ch in t):
        for m in r.TRIALS.finditer(t):
            add("failed_trials", int(m.group(1)))
        for m in r.TRIALS_ALT.finditer(t):
            add("failed_trials", int(m.group(1)))
        for m in r.CLASSES.finditer(t):
            add("antidepressant_classes", int(m.group(1)))
        if (ctype == "limitation" or r.APPROVAL.search(t)) and not mentions_ad:
            _durations(add, t, ctype == "limitation")
        elif mentions_ad or "trial" in t:
            for m in r.WEEKS.finditer(t):
                add("trial_weeks", int(m.group(2) or m.group(1)))
        for m in r.MIN_AGE.finditer(t):
            add("min_age", int(m.group(1) or m.group(2)))
        if "hour" in t and any(w in t for w in r.MONITORING_WORDS):
            for m in r.HOURS.finditer(t):
                add("monitoring_hours", int(m.group(1)))
        for m in r.SEVERITY.finditer(t):
            scale = m.group(1).replace("-", "")
            add("severity", f"{scale}>={int(m.group(2) or m.group(3))}")
        codes = r.HCPCS.findall(t)
        if any(cue in t for cue in r.QUANTITY_CUES):
            for m in r.QUANTITY.finditer(t):
                if (codes or describes_code) and not r.EXPLICIT_LIMIT.search(m.group("cue")):
                    continue  # a billing code's descriptor, not a limit
                add("quantity_limits", _quantity(m))
        for code in codes:
            add("hcpcs_codes", code.upper())
        for m in r.ICD.finditer(t):
            add("diagnosis_codes", m.group(1).upper())
    if any(cue in t for cue in r.MONO_CUES):
        mono = monotherapy_value(t)
        if mono is not None:
            add("monotherapy_allowed", mono)
    if "rems" in t and r.REMS.search(t):
        add("rems", True)
    if r.PRESCRIBER_CONTEXT.search(t):
        for role in _labels(t, r.ROLES, blank=True):
            add("prescriber", role)
    if ctype in r.STANCE_TYPES:
        for label in indications(t):
            add("indications", label)
        for label in _labels(t, r.ROUTES, blank=False):
            add("routes", label)
    else:
        for label in _labels(t, r.REQUIREMENTS, blank=False):
            add("requirements", label)
    return tuple((k, tuple(v)) for k, v in out.items())


def parse_clause(clause: Clause) -> dict[str, list[Any]]:
    """Values one clause states, each key's values in text order (keys absent when none)."""
    describes_code = any(r.HCPCS.fullmatch(code.lower()) for code in clause.codes)
    values = {k: list(v) for k, v in _parse(clause.text, clause.type, describes_code)}
    for code in clause.codes:
        code = code.upper()
        key = "diagnosis_codes" if r.ICD.fullmatch(code.lower()) else "hcpcs_codes"
        if code not in values.setdefault(key, []):
            values[key].append(code)
    return values


def drug_criteria(clauses: Iterable[Clause]) -> dict[str, Any]:
    """One drug's criteria values from its clauses (in document order); see the module table."""
    first: dict[str, Any] = {}
    unions: dict[str, set[Any]] = {}
    quantities: list[str] = []
    by_stance: dict[str, set[str]] = {}
    mono: set[bool] = set()
    rems = False
    for c in clauses:
        for key, vals in parse_clause(c).items():
            if key in FIRST_STATED:
                first.setdefault(key, vals[0])
            elif key == "indications":
                by_stance.setdefault(c.stance, set()).update(vals)
            elif key == "monotherapy_allowed":
                mono.update(vals)
            elif key == "rems":
                rems = True
            elif key == "quantity_limits":
                quantities.extend(q for q in vals if q not in quantities)
            else:
                unions.setdefault(key, set()).update(vals)
    out: dict[str, Any] = {k: first[k] for k in FIRST_STATED if k in first}
    if mono:
        # Allowed as soon as one branch (usually TRD) allows it.
        out["monotherapy_allowed"] = True in mono
    if rems:
        out["rems"] = True
    for key in _SORTED_UNIONS:
        if unions.get(key):
            out[key] = sorted(unions[key])
    if quantities:
        out["quantity_limits"] = quantities
    if by_stance:
        out["indications"] = {s: sorted(v) for s, v in sorted(by_stance.items())}
    return out
