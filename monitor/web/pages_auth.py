"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from monitor.web.accounts import authenticate, session_stamp
from monitor.web.app import workspace
from monitor.web.auth import SessionData, check_csrf, client_of, current_user, new_csrf
from storage.models import User


def _safe_next(target: str | None) -> str:
    """Only paths on this site: a login link must not bounce people elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


async def login_form(request: Request) -> Response:
    ws = workspace(request)
    if current_user(request) is not None:
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    return ws.render(
        request, "login.html", next=_safe_next(request.query_params.get("next")), error=""
    )


async def login(request: Request) -> Response:
    ws = workspace(request)
    await check_csrf(request)
    form = await request.form()
    name = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    client = client_of(request)
    wait = ws.throttle.wait_seconds(name, client)
    if wait:
        minutes = max(1, round(wait / 60))
        raise HTTPException(
            429, f"Too many failed sign-ins. Try again in about {minutes} minute(s)."
        )

    def check() -> tuple[User | None, str]:
        # argon2 takes tens of milliseconds and 64 MiB on purpose: off the event loop.
        with ws.db.session() as s:
            user = authenticate(s, name, password)
            return user, session_stamp(user) if user else ""

    user, stamp = await run_in_threadpool(check)
    if user is None:
        ws.throttle.failed(name, client)
        return ws.render(
            request,
            "login.html",
            status_code=401,
            next=target,
            error="Wrong user name or password.",
        )
    ws.throttle.succeeded(name)
    response = RedirectResponse(target, status_code=303)
    # A fresh CSRF token per sign-in: a token seen before login is worth nothing after it.
    ws.sessions.write(request, response, SessionData(user=user.name, csrf=new_csrf(), stamp=stamp))
    return response


async def logout(request: Request) -> Response:
    ws = workspace(request)
    await check_csrf(request)
    response = RedirectResponse("/login", status_code=303)
    ws.sessions.clear(response)
    return response


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
