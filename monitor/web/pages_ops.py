"""Operators' pages (source health, discovery proposals, schedule and runs) and user admin."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import inspect, select, text
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crawler.registry import RegistryError
from monitor.discovery import accept_proposal, find_proposal, stored_proposals
from monitor.schedule import ScheduleError, cron
from monitor.source_health import source_problem
from monitor.web.accounts import ROLES, AccountError, add_user, list_users, remove_user
from monitor.web.app import workspace
from monitor.web.auth import current_user, guard, posted
from storage.models import CrawlRun, Source

# Where accepted proposals go when the config names no extra registry file.
DEFAULT_USER_REGISTRY = "policywatch-sources.toml"


@guard("read")
def health_page(request: Request) -> Response:
    ws = workspace(request)
    show_all = request.query_params.get("all") == "1"
    rows = []
    with ws.db.session() as s:
        sources = list(s.scalars(select(Source).order_by(Source.id)))
        for src in sources:
            problem = source_problem(src)
            if problem or show_all:
                rows.append((src, problem.summary if problem else "ok"))
    return ws.render(request, "health.html", rows=rows, total=len(sources), show_all=show_all)


def _accept_target(request: Request) -> Path:
    cfg = workspace(request).config
    return Path((cfg.extra_sources or [DEFAULT_USER_REGISTRY])[0])


@guard("read")
def proposals_page(request: Request) -> Response:
    ws = workspace(request)
    with ws.db.session() as s:
        proposed = stored_proposals(s, "proposed")
        decided = [p for p in stored_proposals(s, None) if p.status != "proposed"][-20:]
    return ws.render(
        request,
        "proposals.html",
        proposed=proposed,
        decided=decided,
        target=_accept_target(request),
        message=request.query_params.get("message", ""),
    )


@guard("operate")
def decide_proposal(request: Request) -> Response:
    ws = workspace(request)
    form = posted(request)
    key, decision = str(form.get("proposal") or ""), str(form.get("decision") or "")
    if decision not in ("accept", "reject"):
        raise HTTPException(400, "Choose accept or reject.")
    target = _accept_target(request)
    try:
        with ws.db.session() as s:
            if decision == "accept":
                added = accept_proposal(
                    s, key, target, ws.registry(), today=datetime.now(UTC).date()
                )
                message = f"Accepted {added.id} into {target}."
            else:
                row = find_proposal(s, key)
                if row is None or row.status != "proposed":
                    raise RegistryError(f"no open proposal {key!r}")
                row.status = "rejected"
                message = f"Rejected {row.proposed_id}."
    except RegistryError as exc:
        message = f"Not done: {exc}"
    return RedirectResponse("/ops/proposals?" + urlencode({"message": message}), status_code=303)


def _stored_jobs(ws: Any) -> dict[str, datetime | None]:
    """Next run times the running scheduler stored (APScheduler's job table), if any."""
    engine = ws.db.engine
    if not inspect(engine).has_table("apscheduler_jobs"):
        return {}
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")).all()
    return {r[0]: datetime.fromtimestamp(r[1], UTC) if r[1] is not None else None for r in rows}


@guard("read")
def schedule_page(request: Request) -> Response:
    ws = workspace(request)
    settings = ws.config.schedule
    now = datetime.now(UTC)
    stored = _stored_jobs(ws)
    jobs = []
    for name, expr in (
        ("cycle", settings.cycle),
        ("digest", settings.digest),
        ("discover", settings.discover),
    ):
        try:
            upcoming = cron(expr, name).get_next_fire_time(None, now)
            problem = ""
        except ScheduleError as exc:
            upcoming, problem = None, str(exc)
        jobs.append(
            {
                "name": name,
                "cron": expr,
                "next": upcoming,
                "stored": stored.get(f"policywatch-{name}"),
                "problem": problem,
            }
        )
    with ws.db.session() as s:
        runs = list(s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(20)))
    return ws.render(request, "schedule.html", jobs=jobs, runs=runs, scheduler_seen=bool(stored))


@guard("admin")
def users_page(request: Request) -> Response:
    ws = workspace(request)
    with ws.db.session() as s:
        users = list_users(s)
    return ws.render(
        request,
        "users.html",
        users=users,
        roles=ROLES,
        message=request.query_params.get("message", ""),
    )


@guard("admin")
def change_users(request: Request) -> Response:
    ws = workspace(request)
    form = posted(request)
    action, name = str(form.get("action") or ""), str(form.get("name") or "").strip()
    me = current_user(request)
    try:
        with ws.db.session() as s:
            if action == "add":
                add_user(
                    s,
                    name,
                    str(form.get("role") or ""),
                    str(form.get("password") or ""),
                    now=datetime.now(UTC),
                )
                message = f"Added {name}."
            elif action == "remove":
                if me is not None and name == me.name:
                    raise AccountError("you cannot remove yourself; ask another admin")
                remove_user(s, name)
                message = f"Removed {name}."
            else:
                raise AccountError("choose add or remove")
    except AccountError as exc:
        message = f"Not done: {exc}"
    return RedirectResponse("/admin/users?" + urlencode({"message": message}), status_code=303)


routes = [
    Route("/ops/health", health_page, methods=["GET"]),
    Route("/ops/proposals", proposals_page, methods=["GET"]),
    Route("/ops/proposals", decide_proposal, methods=["POST"]),
    Route("/ops/schedule", schedule_page, methods=["GET"]),
    Route("/admin/users", users_page, methods=["GET"]),
    Route("/admin/users", change_users, methods=["POST"]),
]
