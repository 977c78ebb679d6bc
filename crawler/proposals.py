"""What discovery proposes, and the pure guesses that fill a proposal in.

A proposal is a candidate ``[[source]]`` entry found on an index page or in a CMS report. Its
id is derived from the index source id and the link text, never from the URL alone (URLs move;
ids key history). Payer, plan type and state are inherited from the index that listed it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from crawler.extract.drugs import ESKETAMINE_CODES, HCPCS_RE, drugs_in
from crawler.registry import ID_RE, PolicySource


@dataclass
class Proposal:
    """A document found by discovery: one future registry entry (a Scrapy item)."""

    url: str
    proposed_id: str
    title: str
    payer: str
    plan_type: str
    state: str
    document_type: str
    format: str | None
    drugs: list[str]
    found_via: str  # "<index source id>: <index url>"
    index_id: str
    matched_on: str  # link | row | heading | cms-title | cms-text
    # Filled by the pipeline: new | known (already watched or proposed)
    status: str = "new"
    notes: list[str] = field(default_factory=list)


def drugs_named(text: str) -> list[str]:
    """Drugs named in ``text`` by name or by an esketamine-only billing code (S0013, G2082...).

    Reuses the extractor's vocabulary, so discovery and extraction never disagree on a term.
    """
    found: list[str] = list(drugs_in(text))
    if "esketamine" not in found and set(HCPCS_RE.findall(text)) & ESKETAMINE_CODES:
        found.insert(0, "esketamine")
    return found


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def proposal_id(index_id: str, label: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """``<index id>-<label slug>``, cut to the registry's id rules, unique against ``taken``."""
    base = slugify(f"{index_id} {label}")[:110].strip("-") or slugify(index_id)
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    if not ID_RE.match(candidate):  # too short after slugging: pad with a stable word
        candidate = f"{candidate}-doc".strip("-")
    return candidate


_EXT_FORMATS = {
    ".pdf": "pdf",
    ".json": "json",
    ".htm": "html",
    ".html": "html",
    ".shtml": "html",
    ".aspx": "html",
    ".asp": "html",
    ".jsp": "html",
    ".php": "html",
}


def guess_format(url: str, content_type: str | None = None) -> str | None:
    """pdf / json / html from the Content-Type when known, else the URL's extension."""
    ctype = (content_type or "").lower()
    for needle, fmt in (("pdf", "pdf"), ("json", "json"), ("html", "html")):
        if needle in ctype:
            return fmt
    path = urlsplit(url).path.lower()
    for ext, fmt in _EXT_FORMATS.items():
        if path.endswith(ext):
            return fmt
    return None  # unknown: the registry allows leaving format out


# Ordered: the first rule whose pattern matches the title or URL names the document type.
DOCUMENT_TYPE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # News first: a "what's new" item about a PDL change is a bulletin, not the PDL.
    (
        "bulletin",
        re.compile(r"bulletin|newsletter|\bnews\b|alert|announcement|provider update", re.I),
    ),
    ("pdl", re.compile(r"preferred drug list|\bpdl\b|formulary", re.I)),
    ("billing_article", re.compile(r"billing and coding|billing article|coding article", re.I)),
    ("pa_criteria", re.compile(r"prior auth|criteria|\bpa\b|authori[sz]ation", re.I)),
    (
        "medical_policy",
        re.compile(r"medical policy|clinical policy|coverage policy|\bcpb\b|\blcd\b", re.I),
    ),
    ("drug_policy", re.compile(r"drug policy|pharmacy policy|\bpolicy\b", re.I)),
)


def guess_document_type(title: str, url: str, fmt: str | None) -> str:
    """The registry document_type a proposal most likely has (an operator can edit it)."""
    probe = f"{title} {urlsplit(url).path.replace('-', ' ').replace('_', ' ')}"
    for doc_type, pattern in DOCUMENT_TYPE_RULES:
        if pattern.search(probe):
            return doc_type
    # A bare PDF linked from a policy library is almost always the policy itself.
    return "drug_policy" if fmt == "pdf" else "medical_policy"


_TRACKING = re.compile(r"^(?:utm_\w+|jsessionid|sessionid|sid|_ga|gclid|fbclid)$", re.I)
_CMS_DETAIL = re.compile(r"/v1/data/(article|lcd|ncd)/?$")
_CMS_ID_PARAMS = {"article": "articleid", "lcd": "lcdid", "ncd": "ncdid"}


def url_key(url: str) -> str:
    """An identity for "is this URL already known": scheme, www., tracking and versions ignored.

    CMS detail URLs are keyed by document id without version, so a version bump in a report
    does not propose a document the registry already watches.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port:
        host = f"{host}:{parts.port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    cms = _CMS_DETAIL.search(parts.path)
    if cms:
        wanted = _CMS_ID_PARAMS[cms.group(1)]
        query = [(k, v) for k, v in query if k.lower() == wanted]
    query = sorted((k, v) for k, v in query if not _TRACKING.match(k))
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}" + (f"?{urlencode(query)}" if query else "")


def proposal_for(
    index: PolicySource,
    url: str,
    *,
    title: str,
    label: str,
    drugs: list[str],
    matched_on: str,
    content_type: str | None = None,
    document_type: str | None = None,
) -> Proposal:
    """A proposal inheriting payer, plan type and state from the ``index`` source."""
    fmt = guess_format(url, content_type)
    return Proposal(
        url=url,
        proposed_id=proposal_id(index.id, label),
        title=title,
        payer=index.payer,
        plan_type=index.plan_type,
        state=index.state,
        document_type=document_type or guess_document_type(title, url, fmt),
        format=fmt,
        drugs=drugs,
        found_via=f"{index.id}: {index.url}",
        index_id=index.id,
        matched_on=matched_on,
    )
