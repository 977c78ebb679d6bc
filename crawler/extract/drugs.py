"""Drug names, synonyms and billing codes for ketamine and esketamine.

"ketamine" is a substring of "esketamine" (and of "arketamine"), so esketamine names are
matched first and blanked out before racemic ketamine is looked for in what is left.
"""

from __future__ import annotations

import re

from .model import Drug

# "(S)-ketamine" and "S(+)-ketamine" are esketamine; "(R,S)-ketamine" is racemic ketamine.
ESKETAMINE_RE = re.compile(
    r"(?<![Rr],)(?:\b(?:es-?ketamine|spravato|s-ketamine)\b|\(s\)-?ketamine\b|\bs\(\+\)-?ketamine\b)",
    re.I,
)
KETAMINE_RE = re.compile(r"\b(?:ar)?ketamine\b|\bketalar\b|\br-ketamine\b", re.I)

# Codes that name a drug on their own. J3490/J3590 are "unclassified drugs": they mean
# ketamine only when the text around them says so.
ESKETAMINE_CODES = frozenset({"S0013", "J0013", "G2082", "G2083"})
UNLISTED_CODES = frozenset({"J3490", "J3590"})
HCPCS_RE = re.compile(r"\b[A-V]\d{4}\b")
# Mental-health codes (F..., R45.851) with or without the dot; any other ICD-10-CM code only
# in its dotted form ("G89.29", "Z91.19"), which nothing else in a code list looks like (the
# criteria rules read clause texts the same way). The lookbehind rejects codes glued to a
# preceding letter or digit ("XF321").
ICD10_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:F\d{2}(?:\.?[0-9A-Z]{1,3})?|R45\.?851|[A-TV-Z]\d{2}\.[0-9A-Z]{1,4})\b"
)

# Counting drug mentions in a whole page (outcome checks).
ANY_DRUG_RE = re.compile(r"ketamine|ketalar|spravato", re.I)


def mentions_drug(text: str) -> bool:
    """Quick pre-filter: most blocks mention no drug and never reach the finer regexes.

    Lower-casing and three substring searches run in C at memory speed; the equivalent
    case-insensitive regex alternation is about twenty times slower.
    """
    low = text.lower()
    return "ketamine" in low or "spravato" in low or "ketalar" in low


def drugs_in(text: str) -> list[Drug]:
    """Drugs named in ``text`` in the order esketamine, ketamine (each at most once)."""
    if not mentions_drug(text):
        return []
    found: list[Drug] = []
    if ESKETAMINE_RE.search(text):
        found.append("esketamine")
    if KETAMINE_RE.search(ESKETAMINE_RE.sub(" ", text)):
        found.append("ketamine")
    return found


def first_drug(text: str) -> Drug | None:
    """The drug named first in ``text``; the subject of a sentence usually comes first."""
    if not mentions_drug(text):
        return None
    es = ESKETAMINE_RE.search(text)
    ke = KETAMINE_RE.search(ESKETAMINE_RE.sub(lambda m: " " * len(m.group(0)), text))
    if es and ke:
        return "esketamine" if es.start() < ke.start() else "ketamine"
    if es:
        return "esketamine"
    return "ketamine" if ke else None


def has_drug_code(text: str) -> bool:
    """Cheap pre-check: could ``text`` hold one of the codes :func:`codes_in` keeps?"""
    return "0013" in text or "G208" in text or "3490" in text or "3590" in text


def codes_in(text: str) -> list[str]:
    """HCPCS codes relevant to the two drugs, in order of appearance, without duplicates."""
    out: list[str] = []
    if not has_drug_code(text):
        return out
    ketamine_context = bool(KETAMINE_RE.search(ESKETAMINE_RE.sub(" ", text)))
    for code in HCPCS_RE.findall(text):
        keep = code in ESKETAMINE_CODES or (code in UNLISTED_CODES and ketamine_context)
        if keep and code not in out:
            out.append(code)
    return out


def drug_for_codes(text: str) -> Drug | None:
    """The drug a code-only text (a PA-list row "G2082, G2083") refers to."""
    if not has_drug_code(text):
        return None
    codes = set(HCPCS_RE.findall(text))
    if codes & ESKETAMINE_CODES:
        return "esketamine"
    return None


def diagnosis_codes(text: str) -> list[str]:
    """ICD-10-CM depression / suicidality codes written with or without the dot."""
    out: list[str] = []
    # Deduplicate the raw spellings first: code tables repeat a few codes many times.
    for raw in dict.fromkeys(ICD10_RE.findall(text)):
        code = raw.upper()
        if "." not in code and len(code) > 3:
            code = code[:3] + "." + code[3:]
        if code not in out:
            out.append(code)
    return out
