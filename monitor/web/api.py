"""JSON for tools: the events as `policywatch changes --json` prints them, and reviews.

Authenticated with a per-user API token (``Authorization: Bearer TOKEN``, issued by
`policywatch users token NAME`), never with the browser's cookie, so no CSRF token is needed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from functools import wraps
from typing import get_args

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from monitor.change_list import event_dict, list_events
from monitor.diff.model import Kind
from monitor.schema import document
from monitor.web.accounts import can, user_for_token
from monitor.web.app import workspace
from storage.models import ChangeEventRecord, Source, User
from storage.reviews import VERDICTS, record_review

KINDS = frozenset(get_args(Kind))
# Run in the threadpool like the pages; the JSON body is read first, on the event loop.
ApiEndpoint = Callable[[Request, User, bytes], Response]


def token_auth(
    permission: str,
) -> Callable[[ApiEndpoint], Callable[[Request], Awaitable[Response]]]:
    def wrap(endpoint: ApiEndpoint) -> Callable[[Request], Awaitable[Response]]:
        @wraps(endpoint)
        async def checked(request: Request) -> Response:
            header = request.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise HTTPException(
                    401, "Send 'Authorization: Bearer TOKEN' (policywatch users token NAME)."
                )
            body = await request.body()

            def run() -> Response:
                with workspace(request).db.session() as s:
                    user = user_for_token(s, token.strip())
                if user is None:
                    raise HTTPException(401, "Unknown API token; issue a new one.")
                if not can(user.role, permission):
                    raise HTTPException(403, f"Role {user.role} may not do this.")
                return endpoint(request, user, body)

            return await run_in_threadpool(run)

        return checked

    return wrap


@token_auth("read")
def get_changes(request: Request, user: User, body: bytes) -> Response:
    p = request.query_params
    since = None
    if p.get("since"):
        try:
            d = date.fromisoformat(p["since"])
        except ValueError:
            raise HTTPException(400, "since: use YYYY-MM-DD") from None
        since = datetime(d.year, d.month, d.day, tzinfo=UTC)
    kinds = p.getlist("kind")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise HTTPException(
            400, f"unknown kind(s) {', '.join(unknown)}; known: {', '.join(sorted(KINDS))}"
        )
    with workspace(request).db.session() as s:
        data = list_events(
            s,
            since=since,
            kinds=kinds,
            source_ids=p.getlist("source"),
            show_all=p.get("all") in ("1", "true", "yes"),
        )
    return JSONResponse(document("events", data))


@token_auth("review")
def post_review(request: Request, user: User, body: bytes) -> Response:
    event_id = request.path_params["event_id"]
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise HTTPException(
            400, 'Send a JSON object: {"verdict": "confirmed", "note": "..."}'
        ) from None
    if not isinstance(data, dict):
        raise HTTPException(400, "Send a JSON object.")
    verdict = data.get("verdict", data.get("review_status"))
    if verdict is not None and verdict not in VERDICTS:
        raise HTTPException(400, f"verdict must be one of {', '.join(VERDICTS)}")
    note, summary = data.get("note"), data.get("summary")
    for name, value in (("note", note), ("summary", summary)):
        if value is not None and not isinstance(value, str):
            raise HTTPException(400, f"{name} must be a string")
    if verdict is None and note is None and summary is None:
        raise HTTPException(400, "Give a verdict, a note or a summary.")
    with workspace(request).db.session() as s:
        ev = s.get(ChangeEventRecord, event_id)
        if ev is None:
            raise HTTPException(404, f"no change {event_id}")
        record_review(
            s, ev, reviewer=user.name, verdict=verdict, note=note, summary=summary,
            now=datetime.now(UTC),
        )  # fmt: skip
        src = s.get(Source, ev.source_id)
        assert src is not None
        data = event_dict(s, ev, src)
    return JSONResponse(data)


routes = [
    Route("/api/changes", get_changes, methods=["GET"]),
    Route("/api/changes/{event_id:int}/review", post_review, methods=["POST"]),
]
