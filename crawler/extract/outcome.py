"""Is this page a policy at all? Name the failure when it is not.

A maintenance page, login wall, soft 404, bot challenge, error page or empty JavaScript shell
served with HTTP 200 must never read as "the payer removed coverage". Signals are checked only
when the document yields no clauses and its text is short, so a real policy that happens to
say "temporarily unavailable" is not misread.

A payer's own retirement notice ("this policy has been retired", "was replaced by policy X")
is the opposite case: not an outage but a valid document whose coverage ended. It reads as
``no_drug_content`` with a message starting "policy retired", so the diff against the last good
version reports each drug ``removed``; a real not-found page that merely says the policy "may
have been retired" stays a soft 404.
"""

from __future__ import annotations

import re

from .drugs import ANY_DRUG_RE

# (outcome, pattern) in order: the first match names the failure.
FAILURE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "bot_challenge",
        re.compile(
            r"checking your browser|verify (?:that )?you are (?:a )?human|are you a robot|captcha|"
            r"just a moment\.\.\.|enable cookies to continue|request unsuccessful\. incapsula|"
            r"access denied|attention required|ddos protection|unusual traffic",
            re.I,
        ),
    ),
    (
        "maintenance",
        re.compile(
            r"(?:scheduled|planned|routine|system|site) maintenance|under maintenance|"
            r"down for maintenance|"
            r"temporarily (?:unavailable|down|offline)|be back (?:soon|shortly)|maintenance window|"
            r"currently (?:undergoing|performing) maintenance",
            re.I,
        ),
    ),
    (
        "login_wall",
        re.compile(
            r"\b(?:please )?(?:sign|log) ?in (?:to|with|required)|you must (?:be )?(?:signed|"
            r"logged) in|"
            r"login required|session (?:has )?expired|enter your (?:user ?name|password)|"
            r"forgot (?:your )?password",
            re.I,
        ),
    ),
    (
        "soft_404",
        re.compile(
            r"page (?:you (?:requested|are looking for) )?(?:was |could )?not (?:be )?found|"
            r"page not found|\b404\b(?!\s*(?:mg|mcg|ml|units?|%))|does not exist|"
            r"(?:cannot|can'?t) be found|no longer exists|"
            r"we (?:couldn'?t|could not|can'?t|cannot|were unable to) (?:find|locate)|"
            # Weak cues: a retirement notice may say them too (see page_failure).
            r"no longer available|has been (?:moved|removed)",
            re.I,
        ),
    ),
    (
        "error_page",
        re.compile(
            r"internal server error|service (?:temporarily )?unavailable|bad gateway|"
            r"gateway time-?out|"
            # A bare 500-504 is a dose or an amount ("500 mg"); only an HTTP-error context
            # makes it a status: "error 500", "HTTP 503", "status code 502", "500 - server error".
            r"\b(?:error|http(?:/\d(?:\.\d)?)?|status(?: code)?)\s*(?:code\s*)?[:#-]?\s*50[0-4]\b|"
            r"\b50[0-4]\s*[:-]?\s*(?:internal|server|service|bad gateway|gateway|error\b)|"
            r"an error (?:has )?occurred|"
            r"something went wrong|unexpected error|server error|runtime error|exception occurred",
            re.I,
        ),
    ),
    (
        "empty_shell",
        re.compile(
            r"enable javascript|javascript (?:is )?(?:required|disabled)|requires javascript|"
            r"implemented using javascript|turn on javascript|loading\.\.\.",
            re.I,
        ),
    ),
)
SHORT_TEXT = 1500  # characters of content text below which a page is suspect
EMPTY_TEXT = 80

# A retirement notice: the payer's own page saying the policy itself ended ("has been retired",
# "was archived", "is no longer in effect", "has been replaced by policy X"). Unlike a soft 404
# it is a valid document, and what it says is that the coverage it held is gone. Words that
# only documents do ("retired", "archived", "rescinded", "superseded") count on their own;
# words that also end links, sessions and browsers ("no longer active", "discontinued",
# "replaced by") count only with a document as their subject.
_RETIRED = r"retired|archived|rescinded|superseded|sunset(?:ted)?"
_ENDED = r"discontinued|withdrawn|inactivated|deactivated|retracted|decommissioned|replaced"
_DOCUMENT = (
    r"\b(?:polic(?:y|ies)|document|guideline|criteria|article|bulletin|lcd|ncd|determination|"
    r"coverage position|protocol|cpb)\b"
)
# Nearer subjects that a weak ending word may belong to instead ("Clinical Policies: this link
# is no longer active").
_NOT_DOCUMENT = r"\b(?:link|page|web ?page|url|address|site|session|browser|account|login)\b"
RETIREMENT_RE = re.compile(
    rf"\b(?:has|have|had) (?:now )?been (?:{_RETIRED})\b|"
    rf"(?<!who )\b(?:was|were|is|are) (?:now |being )?(?:{_RETIRED})\b|"
    rf"\b(?:{_RETIRED}|inactive) (?:effective|as of|on \w+ \d)|\bsuperseded by\b|"
    rf"\b(?:{_RETIRED}|inactive) (?:clinical |medical |drug |coverage |payment )?{_DOCUMENT}|"
    r"(?:^|\s)(?:retired|archived|rescinded|inactive)\s*[:\u2013\u2014-]\s|"
    r"\b(?:was|were|is|are|has been|have been) (?:now )?replaced (?:by|with) (?:the |a |an )?"
    rf"(?:new |updated |current |revised )?(?:clinical |medical |drug |coverage )?{_DOCUMENT}|"
    rf"{_DOCUMENT}(?:(?!{_NOT_DOCUMENT})[^.;:|\n]){{0,60}}?"
    rf"\b(?:(?:has|have|had) (?:now )?been (?:{_ENDED})|"
    rf"(?:was|were|is|are) (?:now )?(?:{_ENDED}|inactive)|"
    r"(?:is|are|was|were) no longer (?:active|in effect|effective|in force|applicable))\b",
    re.I,
)
# What a real not-found page says; it wins over a retirement phrase ("the page could not be
# found; it may have been retired").
NOT_FOUND_RE = re.compile(
    r"page (?:you (?:requested|are looking for) )?(?:was |could )?not (?:be )?found|"
    r"page not found|\b404\b(?!\s*(?:mg|mcg|ml|units?|%))|does not exist|no longer exists|"
    r"(?:cannot|can'?t) be found|"
    r"we (?:couldn'?t|could not|can'?t|cannot|were unable to) (?:find|locate)",
    re.I,
)
# The failure rules checked before a retirement notice is considered: a challenge, maintenance
# or login page says nothing about the policy even when its text happens to say "archived".
_BEFORE_RETIREMENT = frozenset({"bot_challenge", "maintenance", "login_wall"})
_FIRST_AFTER_RETIREMENT = next(o for o, _ in FAILURE_RULES if o not in _BEFORE_RETIREMENT)


def _suspect_text(content_text: str, title: str | None) -> str | None:
    """The text to read page-level signals in, or None when the page is too long to suspect.

    Short pages are read whole (title included); a titled page of moderate length only by its
    title, so a long policy that mentions "temporarily unavailable" is never misread.
    """
    if len(content_text) <= SHORT_TEXT:
        return f"{title or ''}\n{content_text}"
    if title and len(content_text) <= 3 * SHORT_TEXT:
        return title
    return None


def retirement_notice(content_text: str, title: str | None = None) -> str | None:
    """The retirement phrase of a short page that announces its policy ended, or None.

    Not-found wording wins, and so do the failures checked before it (bot challenge,
    maintenance, login wall).
    """
    probe = _suspect_text(content_text, title)
    if probe is None:
        return None
    m = RETIREMENT_RE.search(probe)
    if not m or NOT_FOUND_RE.search(probe):
        return None
    if any(p.search(probe) for o, p in FAILURE_RULES if o in _BEFORE_RETIREMENT):
        return None
    return _sentence_around(probe, m.start(), m.end())


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


def _sentence_around(text: str, start: int, end: int, limit: int = 160) -> str:
    """The sentence holding text[start:end], trimmed to ``limit`` characters, for messages."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = _SENTENCE_END.search(text, end)
    sentence = " ".join(text[left : right.start() if right else len(text)].split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "\u2026"


def page_failure(content_text: str, title: str | None = None) -> tuple[str, str] | None:
    """(outcome, message) when a page without clauses is a failure page, else None.

    A retirement notice (:func:`retirement_notice`) is not a failure: None.
    """
    probe = _suspect_text(content_text, title)
    if probe is not None:
        for outcome, pattern in FAILURE_RULES:
            if outcome == _FIRST_AFTER_RETIREMENT and retirement_notice(content_text, title):
                return None
            m = pattern.search(probe)
            if m:
                return outcome, f'page reads as {outcome.replace("_", " ")}: "{m.group(0)}"'
    if len(content_text.strip()) < EMPTY_TEXT:
        return "empty_shell", f"only {len(content_text.strip())} characters of text"
    return None


def no_clause_outcome(
    content_text: str, has_anchor: bool, title: str | None = None
) -> tuple[str, str]:
    """Outcome for a readable document without clauses.

    A retirement notice is a valid document whose coverage ended: ``no_drug_content``, so the
    diff against the last good version reports each drug ``removed``. Drug mentions without
    coverage (anesthesia, background) make a genuine document about something else; a short
    page with neither anchors nor drug text has lost its anchors.
    """
    retired = retirement_notice(content_text, title)
    if retired:
        return "no_drug_content", f'{RETIRED_PREFIX}: "{retired}"'
    mentions = len(ANY_DRUG_RE.findall(content_text))
    if not has_anchor and len(content_text) < SHORT_TEXT:
        return "anchors_lost", "no title, policy number or coverage section, and no drug clauses"
    if mentions:
        return "no_drug_content", f"{mentions} drug mention(s), none of them a coverage clause"
    return "no_drug_content", "the document does not mention ketamine or esketamine"


# The message prefix of a retirement notice's outcome, for callers that must tell a retired
# policy (a real removal) from a document that shrank for no stated reason.
RETIRED_PREFIX = "policy retired"


def is_retirement(outcome: str, message: str) -> bool:
    """Whether an extraction's outcome and message are a retirement notice's."""
    return outcome == "no_drug_content" and message.startswith(RETIRED_PREFIX)
