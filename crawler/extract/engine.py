"""The one entry point: sniff the format, read blocks, select clauses, judge the page."""

from __future__ import annotations

import re
from collections.abc import Callable

from .clauses import select_clauses
from .cmsjson import JsonError, read_cms_json
from .context import Why
from .criteria import summarize
from .facts import Facts, extract_facts, parse_date
from .html import blocks_from_html
from .model import Extraction
from .outcome import no_clause_outcome, page_failure
from .pdf import PdfError, blocks_from_pdf
from .sections import has_coverage_heading
from .text import clean

# Bump whenever extraction output changes for the same bytes: stored extractions with an
# older version are recomputed by ``policywatch reextract``.
EXTRACTOR_VERSION = "1.4.1"

_CHARSET_RE = re.compile(r"charset=([\w.:-]+)", re.I)


_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1b")


def looks_binary(body: bytes, sample: int = 65536) -> bool:
    """True when over 5% of the first bytes are control characters no text page has (random
    bytes have about 10%).

    UTF-16 text is excluded (its NULs are half of every ASCII character).
    """
    head = body[:sample]
    if not head or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls * 20 > len(head)


def sniff_format(body: bytes, content_type: str | None = None) -> str:
    """ "pdf", "json" or "html" from magic bytes first, then the declared content type."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF") or b"%PDF-" in body[:1024]:
        return "pdf"
    ctype = (content_type or "").lower()
    if head[:1] in (b"{", b"["):
        return "json"
    if "pdf" in ctype and not head.startswith(b"<"):
        return "pdf"  # declared PDF without magic: let the PDF reader report it unreadable
    if "json" in ctype and not head.startswith(b"<"):
        return "json"
    return "html"


def extract(
    body: bytes,
    content_type: str | None = None,
    *,
    why: list[Why] | None = None,
) -> Extraction:
    """Extract facts, blocks, clauses and per-drug summaries from one version's bytes.

    Never raises for bad input: corrupt or undecodable bodies give outcome "unparseable".
    Pass a list as ``why`` to receive, parallel to the clauses, how each one's drug and
    stance were decided (for ``policywatch extract --explain``; never stored).
    """
    fmt = sniff_format(body, content_type)
    page_title: str | None = None
    facts = Facts()
    text_of: Callable[[], str]
    try:
        if fmt == "pdf":
            blocks, _pages, pdf_text = blocks_from_pdf(body)
            text_of = lambda: pdf_text  # noqa: E731
        elif fmt == "json":
            cms = read_cms_json(body)
            blocks = cms.blocks
            text_of = lambda: "\n".join(b.text for b in blocks)  # noqa: E731
            facts = Facts(
                cms.title,
                cms.number,
                parse_date(cms.effective or ""),
                parse_date(cms.updated or ""),
            )
            if cms.records == 0:
                return Extraction(
                    outcome="soft_404",
                    format=fmt,
                    message="API returned no records (unknown or retired document id)",
                )
        elif looks_binary(body):
            # Garbage served as HTML must not read as a valid page without the drugs (which
            # the diff would report as "removed"): it is unreadable, and quarantined.
            return Extraction(
                outcome="unparseable", format=fmt, message="binary data served as a text page"
            )
        else:
            m = _CHARSET_RE.search(content_type or "")
            charset = m.group(1) if m else _undeclared_utf8(body)
            blocks, page_title, text_of = blocks_from_html(body, charset)
    except (PdfError, JsonError) as exc:
        return Extraction(outcome="unparseable", format=fmt, message=str(exc))
    except (ValueError, LookupError) as exc:  # undecodable charset, parser refusal
        return Extraction(outcome="unparseable", format=fmt, message=f"{fmt} not readable: {exc}")

    if fmt != "json":
        facts = extract_facts(blocks, page_title)
    clauses = select_clauses(blocks, facts.title, why)
    result = Extraction(
        outcome="ok",
        format=fmt,
        title=facts.title,
        policy_number=facts.policy_number,
        effective_date=facts.effective_date,
        last_reviewed=facts.last_reviewed,
        blocks=blocks,
        clauses=clauses,
        summaries=summarize(clauses, blocks),
        coverage_heading=has_coverage_heading(blocks),
    )
    if clauses:
        # The blocks' text (what the clauses were read from), without a second pass over
        # the raw document.
        result.text_length = sum(map(len, [b.text for b in blocks])) + max(0, len(blocks) - 1)
        result.message = f"{len(clauses)} clause(s)"
        return result
    text = clean(text_of())
    result.text_length = len(text)
    failure = page_failure(text, facts.title)
    if failure:
        result.outcome, result.message = failure
        return result
    result.outcome, result.message = no_clause_outcome(
        text, _has_anchor(facts, result.coverage_heading), facts.title
    )
    return result


_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset", re.I)


def _undeclared_utf8(body: bytes) -> str | None:
    """ "utf-8" for a page that declares no charset but is valid UTF-8 with non-ASCII bytes.

    Without a declaration the HTML parser assumes Latin-1 and "SPRAVATO®" becomes
    "SPRAVATOÂ®"; a page that decodes as UTF-8 is, in practice, UTF-8.
    """
    if body.isascii() or _META_CHARSET_RE.search(body[:4096]):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8"


def _has_anchor(facts: Facts, coverage_heading: bool) -> bool:
    """A policy number, a dated header, or a coverage heading: the page is a document."""
    return bool(
        facts.policy_number or facts.effective_date or facts.last_reviewed or coverage_heading
    )
