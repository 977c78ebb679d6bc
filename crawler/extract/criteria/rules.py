"""The rule tables that turn criteria wording into values (style note 10).

Every pattern runs on *folded* text: Unicode folded (``≥`` → ``>=``, curly quotes, dashes),
lower case, and number words turned into digits ("three (3)" → "3"), so each rule is written
once, in lower case, with digits. Tables of labelled wordings are ordered: the first label whose
wording matches wins where a table says so (indications blank out what they matched, so
"treatment-resistant depression" does not also count as "depression").
"""

from __future__ import annotations

import re

from crawler.extract.text import fold_unicode

# -- governing stance ---------------------------------------------------------------------------

# Most favourable first: a drug covered for TRD and experimental for everything else is governed
# by its coverage, and a PDL status is more specific than a bare PA requirement.
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
# A stance that only notes a process ("prior authorization is required") and says nothing
# about what is covered; it governs only when no statement or listing says more.
NOTE_STANCES: frozenset[str] = frozenset({"prior_authorization"})
# Clause types that state a stance of their own; criteria and limitations inherit theirs.
STANCE_TYPES: frozenset[str] = frozenset({"statement", "listing"})

# Criteria keys that are billing detail, not coverage meaning: a change confined to these is a
# coding change.
CODING_KEYS: frozenset[str] = frozenset({"hcpcs_codes"})

# -- numbers ------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fourteen": "14",
    "sixteen": "16", "eighteen": "18", "twenty-eight": "28", "thirty": "30",
}  # fmt: skip
_NUM_WORD_RE = re.compile(
    r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b(?:\s*\(\d+\))?"
)
_PAREN_DIGIT_RE = re.compile(r"\b(\d{1,3})\s*\(\1\)")


def fold_numbers(text: str) -> str:
    """Number words to digits in lower-case text: "two (2)" -> "2", "three" -> "3"."""
    if "(" in text:
        text = _PAREN_DIGIT_RE.sub(r"\1", text)
    return _NUM_WORD_RE.sub(lambda m: _NUMBER_WORDS[m.group(1)], text)


def fold(text: str) -> str:
    """The form every value rule reads: Unicode folded, lower case, numbers as digits."""
    return fold_numbers(fold_unicode(text).lower())


def rule(label: str, *wordings: str) -> tuple[str, re.Pattern[str]]:
    """One row of a rule table: a label and the wordings (regex alternatives) that mean it."""
    return label, re.compile("|".join(wordings))


Rules = tuple[tuple[str, re.Pattern[str]], ...]

# -- numeric criteria ---------------------------------------------------------------------------

N = r"(\d{1,2})"
# Failed antidepressant trials: "failure of at least 2 antidepressants", "tried 3 different
# oral antidepressants", "2 or more antidepressant medications", "at least 2 prior trials".
TRIALS = re.compile(
    r"(?:at least|a minimum of|minimum of|no fewer than|>=|failed|failure of|trials? of|tried)\s+"
    + N
    + r"(?:\s+or more)?\s+(?:(?:[\w-]+\s+){0,3}?anti-?depressants?\b"
    r"|(?:(?:different|prior|previous|oral|separate|adequate|distinct|generic|other)\s+)*"
    r"(?:antidepressant (?:medications?|agents?|trials?)|medications?|agents?|treatments?"
    r"|trials?|drugs?)\b)"
)
TRIALS_ALT = re.compile(N + r"\s+or more\s+(?:different\s+)?(?:oral\s+)?anti-?depressants?")
CLASSES = re.compile(
    r"(?:from|in|of)\s+(?:at least\s+)?" + N + r"\s+(?:different\s+)?(?:drug\s+)?classes"
)
# Trial length, read only where trials are the subject: "each for at least 6 weeks", "6-8 weeks"
# (a range keeps its upper end).
WEEKS = re.compile(N + r"(?:\s*(?:-|to)\s*" + N + r")?\s*-?\s*weeks?\b")
MIN_AGE = re.compile(
    r"(?:age[ds]?\s+(?:>=\s*)?)?"
    + N
    + r"\s+years(?: of age)?(?: or older| and older| or over|\+)|age\s*>=\s*"
    + N
)
# Post-dose monitoring: "observed for at least 2 hours", "monitoring for a minimum of 2 hours".
HOURS = re.compile(r"(?:at least|minimum of|>=|for)\s+" + N + r"\s*-?\s*hours?\b")
MONITORING_WORDS = ("monitor", "observ")
SEVERITY = re.compile(
    r"(madrs|ham-?d(?:17|-17)?|phq-?9|qids(?:-c16|-sr16)?|cgi-s)\b[^.;]{0,30}?"
    r"(?:(?:>=|at least|greater than or equal to)\s*(\d{1,2})"
    r"|\b(\d{1,2})\s+or\s+(?:higher|greater|more|above))"
)

# -- approval durations -------------------------------------------------------------------------

APPROVAL = re.compile(r"approv|authori[sz]|certif(?:ication|ied for)|length|duration|period")
DURATION = re.compile(N + r"\s*-?\s*(?:calendar\s+)?(months?|weeks?|days?|years?)\b")
# An explicit approval word: a duration next to it is the approval's even without "initial".
APPROVED = re.compile(r"approv|authori[sz]")
INITIAL = re.compile(r"\binitial|\bfirst\b")
RENEWAL = re.compile(r"re-?authori|continu|renew|recertif|subsequent|extension|re-?approv|reapprov")

# -- quantity limits ----------------------------------------------------------------------------

# A limit cue, then an amount: "up to 8 infusions within 28 days", "no more than 24 devices per
# 28 days", "quantity limit: 56 mg or 84 mg per treatment session".
QUANTITY_CUES = ("up to", "no more than", "maximum", "limited to", "exceed", "quantity limit")
QUANTITY = re.compile(
    r"(?P<cue>up to|no more than|maximum of|max(?:imum)?:?|limited to|not to exceed|not exceed"
    r"|quantity limits?:?)\s+(?P<amount>"
    r"\d{1,4}\s*(?:mg|ml)(?:\s+or\s+\d{1,4}\s*(?:mg|ml))*"
    r"|\d{1,4}\s+(?:nasal spray\s+)?(?:infusions?|devices?|kits?|units?|doses?|treatments?"
    r"|sessions?|sprays?|vials?))\b"
    r"(?P<per>\s+(?:per|/|a|each|every|within|in)\s+(?:\d{1,3}\s+)?"
    r"(?:days?|weeks?|months?|treatment sessions?|sessions?|administrations?|doses?))?"
)
# "up to 56 mg" inside a billing code's descriptor ("G2082 … provision of up to 56 mg of
# esketamine") is what the code bills, not a limit; only an explicit limit word counts there.
EXPLICIT_LIMIT = re.compile(r"quantity limit|limited to|no more than|maximum|not to exceed")

# -- codes --------------------------------------------------------------------------------------

HCPCS = re.compile(r"\b([abceghjklmpqrstv]\d{4}|9\d{4}|0\d{3}t)\b")
ICD = re.compile(r"\b([a-z]\d{2}\.[0-9a-z]{1,4}|f\d{2}[0-9a-z]{0,3})\b")
# Headings whose blocks are code lists.
CODE_HEADING = re.compile(r"codes?\b|coding|billing|hcpcs|\bcpt\b|icd|diagnos", re.I)

# -- monotherapy --------------------------------------------------------------------------------

# Whether the drug may be used without an oral antidepressant. Policies say it many ways, so
# the wording is in parts: the antidepressant (with up to a few modifiers between the article
# and the noun: "a newly initiated daily oral antidepressant (e.g., SSRI or SNRI)"), the ways of
# joining it to the drug, and the ways of allowing or forbidding use without it. Tables are read
# in order (see :func:`crawler.extract.criteria.values.monotherapy_value`):
#   1. MONO_ALLOWED_EXPLICIT: allowing wordings that contain a negation of their own ("with or
#      without", "is not required", "no longer requires"), unless a negation governs them;
#   2. MONO_NEG: monotherapy or use alone negated ("not as monotherapy", "may not be used
#      alone", "monotherapy is not covered", "not … without an oral antidepressant");
#   3. MONO_ALLOWED: monotherapy or use alone allowed ("as monotherapy", "may be used alone");
#   4. CONCOMITANT: use with an antidepressant required ("in combination with", "alongside",
#      "plus", "must be taking an oral antidepressant").
_AD = r"(?:anti-?depressants?|ssris?|snris?)\b"
_AD_OBJ = r"(?:(?:[\w-]+|\d+)\s+){0,5}?" + _AD  # "a newly started daily oral antidepressant"
_ADJ = r"(?:(?:a|an|the|any|concomitant|concurrent|oral|adjunctive|background)\s+){0,3}"
_JOIN = (
    r"(?:in (?:combination|conjunction|addition) (?:with|to)|combined with|together with|"
    r"along(?:side| with)|alongside|concomitant(?:ly)? with|concurrent(?:ly)? with|"
    r"(?:as (?:an? )?)?(?:adjunct(?:ive)?|add-on)(?: therapy| treatment)? (?:to|with)|"
    r"(?:used|use|taken|given|administered|prescribed|started|initiated|co-?administered)"
    r" (?:together )?with|plus)"
)
_NEGATION = r"\b(?:not|never|cannot|can't|won't|isn't|aren't|shouldn't|mustn't|nor)\b"
# A negation shortly before an allowing wording governs it ("is not approved as monotherapy or
# in combination with …"); read on the few words in front of the match.
NEGATED_BEFORE = re.compile(_NEGATION + r"[^.;]{0,30}$")
_NO_NEED = (
    r"\b(?:(?:does|do|did)(?: not|n't) (?:need|have) to|need not|not required to|"
    r"no longer (?:needs?|has|have|required) to)"
)
MONO_ALLOWED_EXPLICIT = re.compile(
    r"\balone or (?:in combination|in conjunction|together|combined|with|as)\b"
    r"|\bmonotherapy,? or (?:in combination|in conjunction|together|combined|(?:as (?:an )?)?"
    r"adjunct|add-on|with|plus|along)"
    rf"|{_NO_NEED}\s+be\s+(?:[\w-]+\s+)?{_JOIN}\s+{_AD_OBJ}"
    rf"|{_NO_NEED}\s+(?:be\s+)?(?:taking|receiving|using|on|take|receive|use)\s+{_AD_OBJ}"
    rf"|{_JOIN}\s+{_AD_OBJ}(?:\s*\([^)]*\))?,? or (?:as )?(?:monotherapy|alone)\b"
    rf"|\bwith or without\s+{_AD_OBJ}"
    rf"|{_AD}[^.;]{{0,40}}?\b(?:is|are|will be)\s+(?:no longer|not)\s+(?:required|needed|"
    r"necessary|mandatory)"
    r"|\b(?:no longer|does not|do not|doesn't|don't|need not|not)\s+(?:requires?|need)\s+"
    rf"(?:the )?(?:concomitant |concurrent )?(?:use of )?{_ADJ}{_AD}(?!\s+(?:trials?|failure))"
    rf"|\b(?:may|can|could)\s+(?:also\s+)?be\s+(?:used|given|administered|prescribed)\s+"
    rf"without\s+{_ADJ}{_AD}"
    rf"|\bregardless of (?:whether [^.;]{{0,30}}?)?{_ADJ}{_AD}"
)
MONO_NEG = re.compile(
    rf"{_NEGATION}(?:\s+[\w-]+){{0,5}}?\s+(?:as|in|for)?\s*(?:a\s+)?monotherapy\b"
    r"|\bno monotherapy\b"
    rf"|{_NEGATION}(?:\s+[\w-]+){{0,4}}?\s+alone\b"
    r"|\bmonotherapy(?: use| treatment| therapy)?\s*(?::|is|are|will be|would be)\s+"
    r"(?:considered\s+)?(?:not\b|excluded|investigational|experimental|unproven)"
    rf"|{_NEGATION}[^.;]{{0,30}}?\bwithout\s+{_ADJ}{_AD}"
)
MONO_ALLOWED = re.compile(
    r"\b(?:as|in|for)\s+(?:a\s+)?monotherapy\b"
    r"|\bmonotherapy (?:is|are|will be)\s+(?:also\s+)?(?:allowed|permitted|acceptable|covered|"
    r"approvable|an option)"
    r"|\b(?:may|can|could)\s+(?:also\s+)?be\s+(?:used|given|administered|prescribed|approved)"
    r"\s+alone\b"
)
CONCOMITANT = re.compile(
    rf"{_JOIN}\s+{_AD_OBJ}"
    rf"|\b(?:must|will|is|are|be|currently|concurrently|also|remains?)\s+(?:be\s+)?(?:taking|"
    rf"receiving|using|on|maintained on)\s+{_AD_OBJ}"
    rf"|\b(?:requires?|required|need|needs)\s+(?:the )?(?:concomitant |concurrent )?"
    rf"(?:use of )?{_ADJ}{_AD}(?!\s+(?:trials?|failure))"
    rf"|\b(?:concomitant|concurrent)\s+(?:use of\s+|treatment with\s+|therapy with\s+)?"
    rf"{_ADJ}{_AD}"
    rf"|\b(?:an?|concomitant|concurrent)\s+(?:oral\s+)?{_AD}\s+(?:(?:therapy|treatment|use)\s+)?"
    r"(?:is|are|will be)\s+(?:also\s+)?required"
)
# "Monotherapy" that names the antidepressant trials a member failed ("failure of 2
# antidepressants used as monotherapy or in combination"), not the drug's own use: blanked out
# before the tables are read, when the text is about prior trials.
AD_TRIAL_CUE = re.compile(
    r"\b(?:fail\w*|inadequate|tried|trials?|non-?respon\w*|did not respond|history of)\b"
)
AD_MONOTHERAPY = re.compile(
    r"(?:anti-?depressants?|ssris?|snris?|medications?|agents?|drugs?)\b[^.;]{0,30}?"
    r"\b(?:as\s+)?monotherapy(?:,? or (?:in )?(?:combination|augmentation|conjunction)\w*)?"
)
MONO_CUES = ("monotherapy", "antidepress", "alone", "ssri", "snri")


# -- labelled concepts --------------------------------------------------------------------------

PRESCRIBER_CONTEXT = re.compile(r"prescri|in consultation with|consulted with|ordered by")
ROLES: Rules = (
    rule("psychiatric nurse practitioner", r"psychiatric (?:mental health )?nurse practitioner",
         r"\bpmhnp\b"),
    rule("psychiatrist", r"psychiatrist"),
    rule("mental health professional", r"mental health (?:professional|provider|specialist)"),
    rule("neurologist", r"neurologist"),
    rule("pain specialist", r"pain (?:medicine )?specialist"),
    rule("anesthesiologist", r"anesthesiologist"),
    rule("physician", r"(?<!a )physician"),
)  # fmt: skip

# Indications and excluded conditions named by statements and list rows. Ordered: specific
# phrases first; each match is blanked out before the next row is tried.
INDICATIONS: Rules = (
    rule("MDSI", r"suicidal ideation (?:or|and/or|and) behaviou?r", r"\bmdsi\b"),
    rule("TRD", r"treatment[- ]resistant (?:major )?depress\w*(?: disorder)?", r"\btrd\b"),
    rule("bipolar depression", r"bipolar (?:depression|disorder|i+ depression)", r"\bbipolar\b"),
    rule("postpartum depression", r"post-?partum depression"),
    rule("suicidal ideation", r"suicidal (?:ideation|thoughts)", r"suicidality"),
    rule("PTSD", r"post-?traumatic stress(?: disorder)?", r"\bptsd\b"),
    rule("OCD", r"obsessive-? ?compulsive(?: disorder)?", r"\bocd\b"),
    rule("anxiety", r"\w*\s?anxiety(?: disorders?)?"),
    rule("substance use disorder", r"(?:substance|alcohol|opioid) use(?: disorders?)?",
         r"addiction", r"\bsud\b"),
    rule("complex regional pain syndrome", r"complex regional pain syndrome", r"\bcrps\b"),
    rule("post-concussion syndrome", r"post-?concussi\w*(?: syndrome)?"),
    rule("sickle cell crisis", r"sickle cell[\w -]{0,25}?crisis", r"sickle cell"),
    rule("migraine", r"migraine", r"headache"),
    rule("acute pain", r"acute pain"),
    rule("chronic pain", r"chronic (?:non-?cancer )?pain"),
    rule("neuropathic pain", r"neuropathic pain"),
    rule("central pain", r"central pain(?: syndrome)?"),
    rule("cancer pain", r"cancer(?:-related)? pain"),
    rule("pain", r"\bpain\b"),
    rule("eating disorder", r"eating disorders?", r"anorexia", r"bulimia"),
    rule("schizophrenia", r"schizophreni\w*", r"psychotic disorders?"),
    rule("autism", r"autism\w*"),
    # "anesthetic agents, including ketamine" names a class of drugs, not a use.
    rule("anesthesia", r"anesthe(?:sia|tic(?!s| (?:agents?|drugs?|medications?|properties)))\w*",
         r"anaesthe(?:sia|tic(?!s| (?:agents?|drugs?|medications?|properties)))\w*", r"sedation"),
    rule("major depressive disorder", r"major depressi\w* disorder", r"\bmdd\b"),
    rule("depression", r"\bdepressi(?:on|ve)\b"),
    rule("psychiatric disorders", r"psychiatric (?:disorders?|conditions?|indications?)",
         r"mental health conditions?"),
)  # fmt: skip
ROUTES: Rules = (
    rule("intravenous", r"intravenous", r"\biv\b"),
    rule("intramuscular", r"intramuscular", r"\bim\b"),
    rule("intranasal", r"intranasal", r"nasal spray"),
    rule("oral", r"\boral(?:ly)?\b(?! antidepressant)"),
    rule("sublingual", r"sublingual", r"lozenge", r"troche"),
    rule("subcutaneous", r"subcutaneous"),
)
# Conditions of coverage that are concepts rather than numbers (REMS has its own key).
REQUIREMENTS: Rules = (
    rule("augmentation trial", r"augment"),
    rule("psychotherapy", r"psychotherapy", r"counsel+ing"),
    rule("ECT/TMS considered", r"\bect\b", r"electroconvulsive", r"\btms\b", r"transcranial"),
    rule("no active substance use", r"substance use", r"substance abuse"),
    rule("no psychosis", r"\bpsychos[ie]s", r"\bpsychotic"),
    rule("baseline score", r"baseline"),
    rule("documented response", r"response", r"improvement", r"benefit"),
    rule("PDMP check", r"\bpdmp\b", r"prescription drug monitoring"),
    rule("supervised administration", r"direct observation", r"supervis", r"observed"),
    rule("current episode", r"current (?:depressive |major depressive )?episode"),
    rule("DSM diagnosis", r"\bdsm\b"),
)
REMS = re.compile(r"\brems\b")
