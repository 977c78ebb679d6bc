"""Is this page a policy at all? Name the failure when it is not.

A maintenance page, login wall, soft 404, bot challenge, error page or empty JavaScript shell
served with HTTP 200 must never read as "the payer removed coverage". Signals are checked only
when the document yields no clauses and its text is short, so a real policy that happens to
say "temporarily unavailable" is not misread.
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
            r"page not found|"
            r"\b404\b|no longer available|does not exist|cannot be found|has been (?:moved|"
            r"removed)|"
            r"we couldn'?t find",
            re.I,
        ),
    ),
    (
        "error_page",
        re.compile(
            r"internal server error|\b50[0-4]\b|service unavailable|bad gateway|"
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


def page_failure(content_text: str, title: str | None = None) -> tuple[str, str] | None:
    """(outcome, message) when a page without clauses is a failure page, else None."""
    probe = f"{title or ''} {content_text}"
    if len(content_text) <= SHORT_TEXT or (title and len(content_text) <= 3 * SHORT_TEXT):
        for outcome, pattern in FAILURE_RULES:
            m = pattern.search(probe if len(content_text) <= SHORT_TEXT else title or "")
            if m:
                return outcome, f'page reads as {outcome.replace("_", " ")}: "{m.group(0)}"'
    if len(content_text.strip()) < EMPTY_TEXT:
        return "empty_shell", f"only {len(content_text.strip())} characters of text"
    return None


def no_clause_outcome(content_text: str, has_anchor: bool) -> tuple[str, str]:
    """Outcome for a readable document without clauses.

    Drug mentions without coverage (anesthesia, background) make a genuine document about
    something else; a short page with neither anchors nor drug text has lost its anchors.
    """
    mentions = len(ANY_DRUG_RE.findall(content_text))
    if not has_anchor and len(content_text) < SHORT_TEXT:
        return "anchors_lost", "no title, policy number or coverage section, and no drug clauses"
    if mentions:
        return "no_drug_content", f"{mentions} drug mention(s), none of them a coverage clause"
    return "no_drug_content", "the document does not mention ketamine or esketamine"
