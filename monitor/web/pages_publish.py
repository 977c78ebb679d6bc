"""What would be published now: the digest and the feed through the publish gate."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from monitor.cycle import REPORT_WINDOW
from monitor.reports.gate import awaiting_review
from monitor.reports.queries import load_events
from monitor.reports.writer import render_events_report
from monitor.web.app import workspace
from monitor.web.auth import guard


@guard("read")
def publication_page(request: Request) -> Response:
    ws = workspace(request)
    now = datetime.now(UTC)
    since = now - REPORT_WINDOW
    cfg = ws.config
    gated = cfg.publish.require_review
    texts = {}
    with ws.db.session() as s:
        for fmt in ("md", "atom"):
            texts[fmt], _ = render_events_report(
                s,
                fmt,
                since=since,
                until=None,
                now=now,
                archive_base_url=cfg.report.archive_base_url,
                require_review=gated,
                feed_size=cfg.report.feed_size,
            )
        waiting = awaiting_review(load_events(s, since=since))
    return ws.render(
        request,
        "publication.html",
        digest=texts["md"],
        feed=texts["atom"],
        gated=gated,
        waiting=waiting,
        days=REPORT_WINDOW.days,
    )


routes = [Route("/publication", publication_page, methods=["GET"])]
