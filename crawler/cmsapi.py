"""The CMS Coverage API's shapes: report pages, paging, detail URLs and the licence token.

Pure functions over parsed JSON; the spider and the auth middleware do the fetching.

What the API does (api.coverage.cms.gov, v1; see DOMAIN.md section 2.2):
- every response is an envelope ``{"meta": {"status": {...}, "next_token": ...}, "data": [...]}``;
- report endpoints (``/v1/reports/local-coverage-articles/``, ``.../local-coverage-final-lcds/``,
  ``.../national-coverage-ncd``) need no token; rows carry ``document_id``,
  ``document_version``, ``document_display_id``, ``title``, ``contractor_name_type``;
  when ``meta.next_token`` is non-empty the next page is the same URL with ``next_token=...``;
- detail endpoints (``/v1/data/article?articleid=&articlever=``, ``/v1/data/lcd?lcdid=&lcdver=``)
  need ``Authorization: Bearer <token>`` from ``/v1/metadata/license-agreement``
  (token in ``data[0].Token``); an unknown id answers 200 with ``data: []``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawler.extract.cmsjson import JsonError, parse_envelope, unescape_full
from crawler.proposals import drugs_named

DEFAULT_HOSTS = ("api.coverage.cms.gov",)
TOKEN_PATH = "/v1/metadata/license-agreement"
AUTH_PATH_PREFIX = "/v1/data/"
NEXT_TOKEN_PARAM = "next_token"

# Report path fragment -> (detail path, id parameter, version parameter).
_DETAIL_FOR_REPORT = {
    "article": ("/v1/data/article", "articleid", "articlever"),
    "lcd": ("/v1/data/lcd", "lcdid", "lcdver"),
    "ncd": ("/v1/data/ncd", "ncdid", "ncdver"),
}

# Titles that do not name a drug but whose documents often list drugs by name (coding
# articles for psychiatric services, self-administered drug exclusions): their detail text is
# read before deciding. Kept short: every hit costs one detail request.
DETAIL_CHECK_TITLES = re.compile(
    r"depress|psychiatr|self-administered drug|drugs and biologicals|nasal spray", re.I
)


# The extractor's envelope parser, under the names the spiders use.
NotAnEnvelope = JsonError
envelope = parse_envelope


def is_report_url(url: str) -> bool:
    return "/v1/reports/" in urlsplit(url).path


def next_page_url(url: str, doc: dict[str, Any]) -> str | None:
    """The URL of the next report page, or None on the last page."""
    meta = doc.get("meta")
    token = meta.get(NEXT_TOKEN_PARAM) if isinstance(meta, dict) else None
    if not token or not isinstance(token, (str, int)):
        return None
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != NEXT_TOKEN_PARAM]
    query.append((NEXT_TOKEN_PARAM, str(token)))
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class ReportRow:
    kind: str  # article | lcd | ncd
    document_id: str
    version: str
    display_id: str
    title: str
    contractor: str
    detail_url: str
    drugs: list[str]  # named in the title
    check_detail: bool  # title is suggestive: read the detail text before deciding

    @property
    def label(self) -> str:
        return f"{self.display_id} {self.title}".strip()


def _kind(report_url: str, row: dict[str, Any]) -> str | None:
    declared = str(row.get("document_type", "")).lower()
    for kind in ("article", "lcd", "ncd"):
        if kind in declared:
            return kind
    path = urlsplit(report_url).path.lower()
    for kind in ("article", "lcd", "ncd"):
        if kind in path:
            return kind
    return None


def detail_url(report_url: str, kind: str, document_id: str, version: str) -> str:
    path, id_param, ver_param = _DETAIL_FOR_REPORT[kind]
    parts = urlsplit(report_url)
    query = {id_param: document_id}
    if version:
        query[ver_param] = version
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


def report_rows(report_url: str, doc: dict[str, Any]) -> list[ReportRow]:
    """Rows of a report page worth a detail request: titles naming a drug, or suggestive ones."""
    out: list[ReportRow] = []
    for row in doc.get("data", []):
        if not isinstance(row, dict):
            continue
        kind = _kind(report_url, row)
        doc_id = str(row.get("document_id") or "").strip()
        if kind is None or not doc_id:
            continue
        title = unescape_full(str(row.get("title") or "")).strip()
        drugs = drugs_named(title)
        suggestive = bool(DETAIL_CHECK_TITLES.search(title))
        if not drugs and not suggestive:
            continue
        version = str(row.get("document_version") or "").strip()
        out.append(
            ReportRow(
                kind=kind,
                document_id=doc_id,
                version=version,
                display_id=str(row.get("document_display_id") or "").strip(),
                title=title,
                contractor=str(row.get("contractor_name_type") or "").strip(),
                detail_url=detail_url(report_url, kind, doc_id, version),
                drugs=drugs,
                check_detail=not drugs,
            )
        )
    return out


def detail_text(doc: dict[str, Any]) -> str:
    """All string fields of a detail response, unescaped (narratives are escaped HTML)."""
    parts: list[str] = []
    for record in doc.get("data", []):
        if isinstance(record, dict):
            parts += [unescape_full(v) for v in record.values() if isinstance(v, str)]
    return re.sub(r"<[^>]+>", " ", "\n".join(parts))


def token_from(doc: dict[str, Any]) -> str | None:
    """The bearer token of a license-agreement response (``data[0].Token``)."""
    for record in doc.get("data", []):
        if isinstance(record, dict):
            for key in ("Token", "token"):
                value = record.get(key)
                if isinstance(value, str) and value:
                    return value
    return None
