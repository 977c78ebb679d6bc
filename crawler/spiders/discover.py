"""Discovery: read index pages, change notices and CMS reports; yield proposed sources.

Index pages are read once each; their qualifying links are recorded, not fetched (a proposal
is a lead for an operator, and fetching every linked PDF would cost a site dozens of requests).
CMS report rows are different: a row's title is short, so the detail document is fetched (with
the licence token, see crawler/cms_auth.py) to confirm it exists and to read its text.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler import cmsapi
from crawler.errors import classify_failure
from crawler.linkscan import GENERIC_LINK_TEXT, scan_links
from crawler.proposals import Proposal, drugs_named, proposal_for, proposal_id
from crawler.registry import PolicySource

DISCOVERY_DOCUMENT_TYPES = ("index", "change_notice")


def is_discovery_source(src: PolicySource) -> bool:
    """Indexes and change notices are scanned for links; CMS report endpoints for rows."""
    return src.document_type in DISCOVERY_DOCUMENT_TYPES or cmsapi.is_report_url(src.url)


def discovery_targets(sources: Iterable[PolicySource]) -> list[PolicySource]:
    return [s for s in sources if s.enabled and is_discovery_source(s)]


def index_proposals(
    index: PolicySource, body: bytes, url: str, encoding: str | None = None
) -> list[Proposal]:
    """Proposals for the qualifying links of one index page (pure: the spider's HTML branch)."""
    out: list[Proposal] = []
    taken: set[str] = set()
    for link in scan_links(body, url, encoding):
        # The id comes from the link text unless it is "PDF" or "Details": then from the title.
        label = link.title if GENERIC_LINK_TEXT.match(link.link_text) else link.link_text
        out.append(
            proposal_for(
                index,
                link.url,
                title=link.title,
                label=label,
                drugs=link.drugs,
                matched_on=link.matched_on,
                content_type=link.content_type,
            )
        )
        if out[-1].proposed_id in taken:  # two "PA criteria" links under different headings
            out[-1].proposed_id = proposal_id(out[-1].proposed_id, "", taken)
        taken.add(out[-1].proposed_id)
    return out


class DiscoverySpider(scrapy.Spider):
    """Scan index sources for links and rows naming ketamine or esketamine."""

    name = "discover"
    custom_settings: dict[str, Any] | None = {  # noqa: RUF012
        "ITEM_PIPELINES": {"crawler.pipelines.proposals.ProposalPipeline": 100},
    }

    def __init__(self, sources: Sequence[PolicySource] = (), *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indexes = list(sources)
        self.failures: list[dict[str, Any]] = []
        self.empty_details: list[str] = []  # CMS detail URLs answered with no records

    async def start(self) -> AsyncIterator[Any]:
        self.crawler.stats.set_value("discovery/indexes", len(self.indexes))
        for src in self.indexes:
            callback = self.parse_report if cmsapi.is_report_url(src.url) else self.parse_index
            yield scrapy.Request(
                src.url,
                callback=callback,
                errback=self.failed,
                dont_filter=True,
                meta={"index": src, "started": time.monotonic()},
            )

    def parse_index(self, response: Response, **_: Any) -> Iterable[Any]:
        index: PolicySource = response.meta["index"]
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if "json" in ctype or response.body.lstrip()[:1] == b"{":
            yield from self.parse_report(response)
            return
        if not isinstance(response, TextResponse):
            self._fail(index, response.url, "other", f"not an HTML index ({ctype or 'no type'})")
            return
        yield from index_proposals(index, response.body, response.url, response.encoding)

    def parse_report(self, response: Response, **_: Any) -> Iterable[Any]:
        index: PolicySource = response.meta["index"]
        try:
            doc = cmsapi.envelope(response.body)
        except cmsapi.NotAnEnvelope as exc:
            self._fail(index, response.url, "other", f"not a CMS report: {exc}")
            return
        self.crawler.stats.inc_value("discovery/cms_report_pages")
        for row in cmsapi.report_rows(response.url, doc):
            yield scrapy.Request(
                row.detail_url,
                callback=self.parse_detail,
                errback=self.failed,
                meta={
                    "index": index,
                    "row": row,
                    "started": time.monotonic(),
                    "policywatch_origin": index.url,  # a server's URL: the address policy applies
                },
            )
        nxt = cmsapi.next_page_url(response.url, doc)
        page = int(response.meta.get("cms_page", 1))
        limit = self.crawler.settings.getint("POLICYWATCH_CMS_MAX_PAGES", 200)
        if nxt and page >= limit:
            # An API that never stops paging (or a hostile one) must not keep the crawl forever.
            self._fail(index, nxt, "other", f"stopped after {limit} report pages (page limit)")
        elif nxt:  # the dupefilter stops a server that hands back a token already followed
            yield response.request.replace(  # type: ignore[union-attr]
                url=nxt,
                dont_filter=False,
                meta={**response.meta, "cms_page": page + 1, "policywatch_origin": index.url},
            )

    def parse_detail(self, response: Response, **_: Any) -> Iterable[Proposal]:
        index: PolicySource = response.meta["index"]
        row: cmsapi.ReportRow = response.meta["row"]
        try:
            doc = cmsapi.envelope(response.body)
        except cmsapi.NotAnEnvelope as exc:
            self._fail(index, response.url, "other", f"not a CMS detail response: {exc}")
            return
        if not doc["data"]:
            # A missing or retired id: the API says 200 with no records. Nothing to watch.
            self.empty_details.append(response.url)
            self.crawler.stats.inc_value("discovery/cms_empty_details")
            return
        drugs = drugs_named(f"{row.title}\n{cmsapi.detail_text(doc)}")
        if row.check_detail and not drugs:
            return
        title = row.label + (f" ({row.contractor})" if row.contractor else "")
        yield proposal_for(
            index,
            response.url,
            title=title,
            label=row.label,
            drugs=drugs,
            matched_on="cms-title" if row.drugs else "cms-text",
            content_type="application/json",
            document_type="billing_article" if row.kind == "article" else "medical_policy",
        )

    def failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        kind, message, _status = classify_failure(failure)
        self._fail(request.meta["index"], request.url, kind, message)

    def _fail(self, index: PolicySource, url: str, kind: str, message: str) -> None:
        self.failures.append({"source_id": index.id, "url": url, "kind": kind, "error": message})
