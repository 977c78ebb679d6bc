"""Discovery's only stage: store new proposals; mark already watched or proposed URLs known."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from crawler.proposals import Proposal, proposal_id, url_key
from storage.db import Database
from storage.models import ProposedSource, Source


class ProposalPipeline:
    """A URL already in the registry (as a source) or already proposed is never proposed again."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.db: Database | None = None
        self.known: set[str] = set()
        self.taken_ids: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProposalPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.db = Database(self.crawler.settings.get("POLICYWATCH_DB_URL"))
        with self.db.session() as session:
            for sid, url in session.execute(select(Source.id, Source.url)):
                self.known.add(url_key(url))
                self.taken_ids.add(sid)
            for pid, url in session.execute(select(ProposedSource.proposed_id, ProposedSource.url)):
                self.known.add(url_key(url))
                self.taken_ids.add(pid)

    def process_item(self, item: Proposal) -> Proposal:
        key = url_key(item.url)
        if key in self.known:
            item.status = "known"
            self.crawler.stats.inc_value("discovery/known")
            return item
        self.known.add(key)
        if item.proposed_id in self.taken_ids:
            item.proposed_id = proposal_id(item.proposed_id, "", self.taken_ids)
        self.taken_ids.add(item.proposed_id)
        assert self.db is not None
        with self.db.session() as session:
            session.add(
                ProposedSource(
                    url=item.url,
                    proposed_id=item.proposed_id,
                    title=item.title,
                    payer=item.payer,
                    plan_type=item.plan_type,
                    state=item.state,
                    document_type=item.document_type,
                    format=item.format,
                    drugs=list(item.drugs),
                    found_via=item.found_via,
                    found_at=datetime.now(UTC),
                    status="proposed",
                )
            )
        item.status = "new"
        self.crawler.stats.inc_value("discovery/new")
        return item

    def close_spider(self) -> None:
        if self.db is not None:
            self.db.dispose()
