"""Drug names, synonyms and billing codes for ketamine and esketamine.

"ketamine" is a substring of "esketamine" (and of "arketamine"), so esketamine names are
matched first and blanked out before racemic ketamine is looked for in what is left.
"""

from __future__ import annotations

import re

from .model import Drug

ESKETAMINE_RE = re.compile(r"(?<![Rr],)\b(?:es-?ketamine|spravato|s-ketamine)\b", re.I)
KETAMINE_RE = re.compile(r"\b(?:ar)?ketamine\b|\bketalar\b|\br-ketamine\b", re.I)

# Codes that name a drug on their own. J3490/J3590 are "unclassified drugs": they mean
# ketamine only when the text around them says so.
ESKETAMINE_CODES = frozenset({"S0013", "J0013", "G2082", "G2083"})
UNLISTED_CODES = frozenset({"J3490", "J3590"})
HCPCS_RE = re.compile(r"\b[A-V]\d{4}\b")
# Leading literal first so the regex engine can scan for it quickly; the word boundary before
# the code is checked on the match instead.
ICD10_RE = re.compile(r"(?:F\d{2}(?:\.?[0-9A-Z]{1,3})?|R45\.?851)\b")

# A quick pre-filter: most blocks mention no drug at all and never reach the finer regexes.
ANY_DRUG_RE = re.compile(r"ketamine|ketalar|spravato", re.I)


def drugs_in(text: str) -> list[Drug]:
    """Drugs named in ``text`` in the order esketamine, ketamine (each at most once)."""
    if not ANY_DRUG_RE.search(text):
        return []
    found: list[Drug] = []
    if ESKETAMINE_RE.search(text):
        found.append("esketamine")
    if KETAMINE_RE.search(ESKETAMINE_RE.sub(" ", text)):
        found.append("ketamine")
    return found


def first_drug(text: str) -> Drug | None:
    """The drug named first in ``text``; the subject of a sentence usually comes first."""
    if not ANY_DRUG_RE.search(text):
        return None
    es = ESKETAMINE_RE.search(text)
    ke = KETAMINE_RE.search(ESKETAMINE_RE.sub(lambda m: " " * len(m.group(0)), text))
    if es and ke:
        return "esketamine" if es.start() < ke.start() else "ketamine"
    if es:
        return "esketamine"
    return "ketamine" if ke else None


def codes_in(text: str) -> list[str]:
    """HCPCS codes relevant to the two drugs, in order of appearance, without duplicates."""
    out: list[str] = []
    ketamine_context = bool(KETAMINE_RE.search(ESKETAMINE_RE.sub(" ", text)))
    for code in HCPCS_RE.findall(text):
        keep = code in ESKETAMINE_CODES or (code in UNLISTED_CODES and ketamine_context)
        if keep and code not in out:
            out.append(code)
    return out


def drug_for_codes(text: str) -> Drug | None:
    """The drug a code-only text (a PA-list row "G2082, G2083") refers to."""
    codes = set(HCPCS_RE.findall(text))
    if codes & ESKETAMINE_CODES:
        return "esketamine"
    return None


def diagnosis_codes(text: str) -> list[str]:
    """ICD-10-CM depression / suicidality codes written with or without the dot."""
    out: list[str] = []
    for m in ICD10_RE.finditer(text):
        if m.start() and text[m.start() - 1].isalnum():
            continue
        code = m.group(0).upper()
        if "." not in code and len(code) > 3:
            code = code[:3] + "." + code[3:]
        if code not in out:
            out.append(code)
    return out
