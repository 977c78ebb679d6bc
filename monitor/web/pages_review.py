"""The review queue, the change page, and recording verdicts (one at a time or in bulk)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from monitor.web.app import workspace
from monitor.web.auth import current_user, guard, posted
from monitor.web.change_page import load_change_page
from monitor.web.queue import STATUSES, Filters, choices, next_in_queue, run_queue
from storage.models import ChangeEventRecord
from storage.reviews import VERDICTS, record_review

# The buttons of the review form; "keep" saves the summary and note without a new verdict.
ACTIONS: dict[str, str | None] = {**{v: v for v in VERDICTS}, "keep": None}
MAX_TEXT = 4000


def _filters_from_form(value: str) -> Filters:
    return Filters.from_query(QueryParams(parse_qsl(value)))


@guard("read")
def queue_page(request: Request) -> Response:
    ws = workspace(request)
    f = Filters.from_query(request.query_params)
    with ws.db.session() as s:
        result = run_queue(s, f)
        options = choices(s)
    return ws.render(
        request,
        "queue.html",
        f=f,
        result=result,
        options=options,
        statuses=STATUSES,
        done=request.query_params.get("done", ""),
    )


@guard("read")
def change_page(request: Request) -> Response:
    ws = workspace(request)
    event_id = request.path_params["event_id"]
    f = Filters.from_query(request.query_params)
    with ws.db.session() as s:
        page = load_change_page(s, event_id)
        if page is None:
            raise HTTPException(404, f"No change {event_id}. The queue lists the stored ones.")
        following = next_in_queue(s, f, event_id)
    return ws.render(
        request,
        "change.html",
        page=page,
        f=f,
        qs=f.query_string(),
        next_id=following,
        saved=request.query_params.get("saved", ""),
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    return str(value)[:MAX_TEXT]


@guard("review")
def review(request: Request) -> Response:
    ws = workspace(request)
    event_id = request.path_params["event_id"]
    form = posted(request)
    action = str(form.get("verdict") or "")
    if action not in ACTIONS:
        raise HTTPException(400, "Choose confirm, dismiss, reopen or save.")
    f = _filters_from_form(str(form.get("filters") or ""))
    user = current_user(request)
    assert user is not None  # guard
    with ws.db.session() as s:
        ev = s.get(ChangeEventRecord, event_id)
        if ev is None:
            raise HTTPException(404, f"No change {event_id}.")
        summary = _text(form.get("summary"))
        if summary is not None and summary.strip() == (ev.review_summary or ev.summary):
            summary = None  # unchanged: nothing to record about the wording
        record_review(
            s,
            ev,
            reviewer=user.name,
            verdict=ACTIONS[action],
            note=_text(form.get("note")),
            summary=summary,
            now=datetime.now(UTC),
        )
        following = next_in_queue(s, f, event_id) if form.get("go") == "next" else None
    qs = f.query_string()
    if following is not None:
        return RedirectResponse(f"/changes/{following}?{qs}", status_code=303)
    return RedirectResponse(f"/changes/{event_id}?{f.query_string(saved='1')}", status_code=303)


@guard("review")
def bulk_review(request: Request) -> Response:
    ws = workspace(request)
    form = posted(request)
    action = str(form.get("verdict") or "")
    if action not in VERDICTS:
        raise HTTPException(400, "Choose confirm, dismiss or reopen for the selected changes.")
    try:
        ids = sorted({int(str(v)) for v in form.getlist("ids")})
    except ValueError:
        raise HTTPException(400, "Bad selection; reload the queue.") from None
    f = _filters_from_form(str(form.get("filters") or ""))
    if not ids:
        return RedirectResponse(f"/?{f.query_string(done='none')}", status_code=303)
    user = current_user(request)
    assert user is not None
    note = _text(form.get("note"))
    now = datetime.now(UTC)
    with ws.db.session() as s:
        for ev in s.query(ChangeEventRecord).filter(ChangeEventRecord.id.in_(ids)):
            record_review(s, ev, reviewer=user.name, verdict=action, note=note or None, now=now)
    return RedirectResponse(f"/?{f.query_string(done=str(len(ids)))}", status_code=303)


routes = [
    Route("/", queue_page, methods=["GET"]),
    Route("/changes/{event_id:int}", change_page, methods=["GET"]),
    Route("/changes/{event_id:int}/review", review, methods=["POST"]),
    Route("/bulk-review", bulk_review, methods=["POST"]),
]
