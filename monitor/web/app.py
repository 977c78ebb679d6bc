"""Build the workspace app: session middleware, security headers, routes, templates."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from crawler.config import Config
from crawler.registry import PolicySource, configured_sources
from monitor.reports.present import day, drug_label, plan_type_label, stance_class, stance_label
from monitor.reports.safe import safe_url
from monitor.web.accounts import can, session_stamp
from monitor.web.auth import COOKIE, LoginThrottle, SessionData, Sessions, new_csrf
from storage.db import Database, default_data_dir
from storage.models import User

HERE = Path(__file__).parent
# Nothing from elsewhere, no inline script or style: the pages are ours, crawled text is data.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass
class Workspace:
    """What every page needs: the database, the config, sessions and the login throttle."""

    db: Database
    config: Config
    sessions: Sessions
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    templates: Jinja2Templates = field(init=False)

    def registry(self) -> list[PolicySource]:
        """The sources in use, as every command and scheduled job sees them."""
        return configured_sources(self.config)

    def __post_init__(self) -> None:
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.filters.update(
            stance_label=stance_label,
            stance_class=stance_class,
            drug_label=drug_label,
            plan_type_label=plan_type_label,
            day=day,
            safe_url=safe_url,
            when=lambda v: v.strftime("%Y-%m-%d %H:%M UTC") if v else "never",
        )
        self.templates.env.globals["can"] = can

    def render(
        self, request: Request, name: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        session: SessionData | None = request.scope.get("pw_session")
        context.update(user=request.scope.get("pw_user"), csrf=session.csrf if session else "")
        response: HTMLResponse = self.templates.TemplateResponse(
            request, name, context, status_code=status_code
        )
        return response


def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


class SessionMiddleware(BaseHTTPMiddleware):
    """Load the signed-in user into the scope; give every visitor a CSRF token; set headers."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        ws = workspace(request)
        session = ws.sessions.read(request)
        fresh = session is None
        if session is None:
            session = SessionData(user=None, csrf=new_csrf())
        user = None
        if session.user:
            user = await run_in_threadpool(_signed_in, ws.db, session)
        if session.user and user is None:
            session, fresh = SessionData(user=None, csrf=new_csrf()), True
        request.scope["pw_session"] = session
        request.scope["pw_user"] = user
        response = await call_next(request)
        written = response.headers.getlist("set-cookie")
        if fresh and not any(c.startswith(f"{COOKIE}=") for c in written):
            ws.sessions.write(request, response, session)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", CSP)
        if request.url.path != "/healthz" and not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _signed_in(db: Database, session: SessionData) -> User | None:
    """The session's user, unless removed or re-created since (its password stamp differs)."""
    with db.session() as s:
        user = s.get(User, session.user)
        if user is not None and session_stamp(user) != session.stamp:
            return None
        return user


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", "Something went wrong.")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": detail}, status_code=status)
    ws = workspace(request)
    return ws.render(request, "error.html", status_code=status, status=status, detail=detail)


def secret_key() -> str:
    """$POLICYWATCH_SECRET_KEY, else a random key kept in the data directory (mode 600).

    Several servers behind one name must share the key: set the variable on each.
    """
    env = os.environ.get("POLICYWATCH_SECRET_KEY")
    if env:
        return env
    path = default_data_dir() / "web-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def create_app(
    db: Database,
    config: Config,
    *,
    secret: str,
) -> Starlette:
    """The workspace over ``db``, with the sources ``config`` names (for proposals)."""
    from monitor.web import (
        api,
        pages_archive,
        pages_auth,
        pages_ops,
        pages_publish,
        pages_review,
    )

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        *pages_auth.routes,
        *pages_review.routes,
        *pages_archive.routes,
        *pages_ops.routes,
        *pages_publish.routes,
        *api.routes,
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SessionMiddleware)],
        exception_handlers=dict.fromkeys((400, 401, 403, 404, 405, 429), http_error),
    )
    app.state.workspace = Workspace(db=db, config=config, sessions=Sessions(secret))
    return app
