"""Sessions in signed cookies, CSRF tokens, the failed-login throttle and role guards.

The session cookie holds the user name, a CSRF token and a stamp of the password hash, signed
with the app's secret; it is HttpOnly, SameSite=Lax, and Secure when the request came over
HTTPS (directly, or via a proxy that uvicorn trusts for X-Forwarded-Proto).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.web.accounts import can
from storage.models import User

COOKIE = "pw_session"
SESSION_SECONDS = 12 * 3600
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Endpoint = Callable[[Request], Awaitable[Response]]
# Pages are plain functions run in the threadpool: their database work (SQLite may wait for a
# crawl's write lock) must not stall the event loop, and with it every other visitor.
Page = Callable[[Request], Response]


@dataclass
class SessionData:
    user: str | None
    csrf: str
    stamp: str = ""


class Sessions:
    def __init__(self, secret: str) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="policywatch-session")

    def read(self, request: Request) -> SessionData | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._signer.loads(raw, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        return SessionData(user=data.get("u"), csrf=data["c"], stamp=data.get("s", ""))

    def write(self, request: Request, response: Response, data: SessionData) -> None:
        value = self._signer.dumps({"u": data.user, "c": data.csrf, "s": data.stamp})
        response.set_cookie(
            COOKIE,
            value,
            max_age=SESSION_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )

    @staticmethod
    def clear(response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(expected, given)


@dataclass
class LoginThrottle:
    """Refuses logins for a name or a client after too many failures in a window.

    Kept in memory: one server process guards itself (run one process per database).
    """

    per_name: int = 5
    per_client: int = 20
    window: float = 15 * 60
    _fails: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def wait_seconds(self, name: str, client: str, now: float | None = None) -> int:
        """0 when a login may be tried; else how long until it may."""
        now = time.monotonic() if now is None else now
        waits = []
        for key, limit in ((f"u:{name.lower()}", self.per_name), (f"c:{client}", self.per_client)):
            q = self._recent(key, now)
            if len(q) >= limit:
                waits.append(int(q[0] + self.window - now) + 1)
        return max(waits, default=0)

    def failed(self, name: str, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in (f"u:{name.lower()}", f"c:{client}"):
            self._recent(key, now).append(now)

    def succeeded(self, name: str) -> None:
        self._fails.pop(f"u:{name.lower()}", None)


def current_user(request: Request) -> User | None:
    user: User | None = request.scope.get("pw_user")
    return user


def guard(permission: str) -> Callable[[Page], Endpoint]:
    """Pages need a signed-in user allowed to ``permission``; state changes need the CSRF token.

    The user is loaded by ``app.SessionMiddleware`` into the request scope. Anonymous GETs go
    to the login form; anything else is refused.
    """

    def wrap(endpoint: Page) -> Endpoint:
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                if request.method == "GET":
                    target = request.url.path + (
                        f"?{request.url.query}" if request.url.query else ""
                    )
                    login = f"/login?next={quote(target, safe='/')}"
                    return RedirectResponse(login, status_code=303)
                raise HTTPException(401, "Sign in first.")
            if request.method in STATE_CHANGING:
                await check_csrf(request)
                request.state.form = await request.form()
            if not can(user.role, permission):
                raise HTTPException(403, f"Your role ({user.role}) may not do this; ask an admin.")
            return await run_in_threadpool(endpoint, request)

        return guarded

    return wrap


def posted(request: Request) -> FormData:
    """The form of a state-changing request, parsed (and its CSRF token checked) by ``guard``."""
    form: FormData = request.state.form
    return form


async def check_csrf(request: Request) -> None:
    session: SessionData | None = request.scope.get("pw_session")
    form = await request.form()
    given = form.get("csrf_token") or request.headers.get("x-csrf-token")
    if session is None or not csrf_ok(session.csrf, given):
        raise HTTPException(
            403, "The form expired or did not come from this site: reload the page and retry."
        )


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"
