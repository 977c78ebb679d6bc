"""The workspace over real HTTP: access control, CSRF, roles, sessions, headers, API, gate."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from starlette.routing import Route

from monitor.cli import main
from monitor.reports.writer import render_events_report
from monitor.web import api, pages_archive, pages_auth, pages_ops, pages_publish, pages_review
from storage.db import Database
from storage.models import ChangeEventRecord, ProposedSource, Review, Snapshot
from tests.web.client import Client
from tests.web.conftest import PASSWORD, Served, _free_port

ALL_ROUTES = [
    r
    for module in (api, pages_archive, pages_auth, pages_ops, pages_publish, pages_review)
    for r in module.routes
    if isinstance(r, Route)
]


def _event_ids(served: Served) -> dict[str, int]:
    with served.db.session() as s:
        return {
            e.source_id: e.id
            for e in s.scalars(select(ChangeEventRecord).where(ChangeEventRecord.significant))
        }


def _status(served: Served, event_id: int) -> str:
    with served.db.session() as s:
        ev = s.get(ChangeEventRecord, event_id)
        assert ev is not None
        return ev.review_status


@pytest.mark.parametrize(
    ("path", "method"),
    [(r.path, m) for r in ALL_ROUTES for m in sorted(r.methods or ()) if m != "HEAD"],
)
def test_every_page_refuses_anonymous_access(served: Served, path: str, method: str) -> None:
    concrete = path.replace("{event_id:int}", "1").replace("{snapshot_id:int}", "1")
    reply = Client(served.url).request(method, concrete, form={} if method == "POST" else None)
    if concrete == "/login":
        # The form itself is public; posting it without the CSRF token is refused.
        assert reply.status == (200 if method == "GET" else 403)
        return
    if method == "GET" and not concrete.startswith("/api/"):
        assert reply.status == 303 and reply.location.startswith("/login?next=")
    else:
        assert reply.status in (401, 403)
    assert "Spravato" not in reply.body and "Evergreen" not in reply.body


def test_healthz_is_the_only_open_endpoint(served: Served) -> None:
    reply = Client(served.url).get("/healthz")
    assert reply.status == 200 and reply.body == "ok"


def test_login_sets_a_hardened_session_cookie_and_pages_carry_a_strict_csp(
    served: Served,
) -> None:
    c = Client(served.url)
    reply = c.login("ana", PASSWORD)
    assert reply.status == 303 and reply.location == "/"
    cookie = reply.headers.get("set-cookie")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = c.get("/")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.body and " style=" not in page.body  # nothing inline
    # Behind an HTTPS proxy (X-Forwarded-Proto from a trusted address) the cookie is Secure.
    https = Client(served.url)
    token = https.get("/login", headers={"X-Forwarded-Proto": "https"}).csrf()
    reply = https.post(
        "/login",
        form={"username": "ana", "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert "Secure" in reply.headers.get("set-cookie")


def test_signing_out_or_being_removed_ends_the_session(served: Served) -> None:
    c = Client(served.url)
    c.login("vic", PASSWORD)
    assert c.get("/").status == 200
    assert c.post("/logout", form={"csrf_token": c.csrf("/")}).location == "/login"
    assert c.get("/").status == 303
    c.login("ana", PASSWORD)
    admin = Client(served.url)
    admin.login("adm", PASSWORD)
    admin.post(
        "/admin/users",
        form={"csrf_token": admin.csrf("/admin/users"), "action": "remove", "name": "ana"},
    )
    assert c.get("/").status == 303  # the signed cookie names a user who is gone


def test_wrong_password_fails_and_repeated_failures_are_throttled(served: Served) -> None:
    c = Client(served.url)
    for _ in range(5):
        reply = c.login("ana", "not the password")
        assert reply.status == 401 and "Wrong user name or password" in reply.body
    blocked = c.login("ana", PASSWORD)  # even the right password waits now
    assert blocked.status == 429 and "Try again in about" in blocked.body
    assert Client(served.url).login("vic", PASSWORD).status == 303  # others are unaffected


def test_a_post_without_the_csrf_token_is_refused(served: Served) -> None:
    c = Client(served.url)
    c.login("ana", PASSWORD)
    event = _event_ids(served)["demo-evergreen-ketamine"]
    for form in ({"verdict": "confirmed"}, {"verdict": "confirmed", "csrf_token": "forged"}):
        reply = c.post(f"/changes/{event}/review", form=form)
        assert reply.status == 403 and "reload the page" in reply.body
    assert _status(served, event) == "new"
    token = c.csrf(f"/changes/{event}")
    ok = c.post(f"/changes/{event}/review", form={"verdict": "confirmed", "csrf_token": token})
    assert ok.status == 303 and _status(served, event) == "confirmed"
    # Another visitor's token is worth nothing with this session.
    other = Client(served.url).get("/login").csrf()
    reply = c.post(f"/changes/{event}/review", form={"verdict": "dismissed", "csrf_token": other})
    assert reply.status == 403 and _status(served, event) == "confirmed"


def test_a_viewer_reads_but_cannot_review(served: Served) -> None:
    c = Client(served.url)
    c.login("vic", PASSWORD)
    event = _event_ids(served)["demo-columbia-pdl"]
    page = c.get(f"/changes/{event}")
    assert page.status == 200 and "review-form" not in page.body
    token = page.csrf()  # the sign-out form's token
    for path, form in (
        (f"/changes/{event}/review", {"verdict": "dismissed"}),
        ("/bulk-review", {"verdict": "dismissed", "ids": str(event)}),
    ):
        reply = c.post(path, form={**form, "csrf_token": token})
        assert reply.status == 403 and "may not" in reply.body
    assert _status(served, event) == "new"
    assert 'name="ids"' not in c.get("/").body
    reply = c.post("/admin/users", form={"action": "remove", "name": "ana", "csrf_token": token})
    assert reply.status == 403


def test_review_records_who_and_when_keeps_every_review_and_edits_the_summary(
    served: Served,
) -> None:
    c = Client(served.url)
    c.login("ana", PASSWORD)
    event = _event_ids(served)["demo-evergreen-ketamine"]
    steps = [
        {"verdict": "dismissed", "note": "looked like noise"},
        {"verdict": "confirmed", "note": "real: monotherapy now allowed",
         "summary": "Evergreen now covers Spravato as monotherapy."},
    ]  # fmt: skip
    for form in steps:
        token = c.csrf(f"/changes/{event}")
        assert c.post(f"/changes/{event}/review", form={**form, "csrf_token": token}).status == 303
    with served.db.session() as s:
        ev = s.get(ChangeEventRecord, event)
        assert ev is not None
        assert ev.review_status == "confirmed" and ev.review_note == "real: monotherapy now allowed"
        assert ev.review_summary == "Evergreen now covers Spravato as monotherapy."
        assert "monotherapy" in ev.summary  # the detected wording is kept
        trail = s.scalars(select(Review).where(Review.event_id == event).order_by(Review.id)).all()
        assert [(r.reviewer, r.verdict, r.note) for r in trail] == [
            ("ana", "dismissed", "looked like noise"),
            ("ana", "confirmed", "real: monotherapy now allowed"),
        ]
        assert all(r.at.tzinfo is not None for r in trail)
    page = c.get(f"/changes/{event}").body
    assert page.count("<li><b>ana</b>") == 2 and "looked like noise" in page


def test_queue_filters_search_counts_and_bulk_actions(served: Served) -> None:
    c = Client(served.url)
    c.login("ana", PASSWORD)
    ids = _event_ids(served)
    everything = c.get("/").body
    assert f"/changes/{ids['demo-columbia-pdl']}?" in everything
    assert re.search(r"new <b>2</b>", everything)
    only_pdl = c.get("/?stance=non_preferred").body
    assert f"/changes/{ids['demo-columbia-pdl']}?" in only_pdl
    assert f"/changes/{ids['demo-evergreen-ketamine']}?" not in only_pdl
    searched = c.get("/?q=MONOTHERAPY&drug=esketamine").body
    assert f"/changes/{ids['demo-evergreen-ketamine']}?" in searched
    assert f"/changes/{ids['demo-columbia-pdl']}?" not in searched
    assert "No change matches" in c.get("/?q=nowhere-to-be-found").body
    with served.db.session() as s:
        outage = s.scalars(select(ChangeEventRecord.id).where(~ChangeEventRecord.significant)).one()
    assert f"/changes/{outage}?" in c.get("/?scope=all").body
    assert f"/changes/{outage}?" not in everything
    token = c.csrf("/")
    reply = c.post(
        "/bulk-review",
        form=[("csrf_token", token), ("verdict", "dismissed"), ("note", "bulk"),
              ("ids", str(ids["demo-columbia-pdl"])), ("ids", str(ids["demo-evergreen-ketamine"])),
              ("filters", "drug=esketamine")],
    )  # fmt: skip
    assert reply.status == 303 and reply.location == "/?drug=esketamine&done=2"
    assert {_status(served, i) for i in ids.values()} == {"dismissed"}
    after = c.get("/?status=new").body
    assert re.search(r"dismissed <b>2</b>", after) and "No change matches" in after


def test_change_page_shows_stances_redline_criteria_table_context_and_timeline(
    served: Served,
) -> None:
    c = Client(served.url)
    c.login("vic", PASSWORD)
    ids = _event_ids(served)
    pdl = c.get(f"/changes/{ids['demo-columbia-pdl']}").body
    assert 'id="stance-before">non-preferred' in pdl and 'id="stance-after">preferred' in pdl
    # The clause text is identical; the table column is what moved.
    assert "column <b>Non-Preferred Agents</b>" in pdl and "column <b>Preferred Agents</b>" in pdl
    assert "History of this source" in pdl and "new version, HTTP 200" in pdl
    crit = c.get(f"/changes/{ids['demo-evergreen-ketamine']}").body
    assert "<del>" in crit and "<ins>" in crit
    assert re.search(r'<tr class="changed"><th scope="row">Failed antidepressant trials', crit)
    assert "/snapshots/" in crit and "https://" not in crit.split("Live page")[0][-200:]


def test_archived_versions_are_shown_inert_and_pdfs_as_text_and_original(served: Served) -> None:
    c = Client(served.url)
    c.login("vic", PASSWORD)
    with served.db.session() as s:
        snaps = {sn.content_type.split(";")[0]: sn.id for sn in s.scalars(select(Snapshot))}
    html_id, pdf_id = snaps["text/html"], snaps["application/pdf"]
    page = c.get(f"/snapshots/{html_id}").body
    assert f'<iframe class="archived" sandbox src="/snapshots/{html_id}/raw"' in page
    raw = c.get(f"/snapshots/{html_id}/raw")
    assert raw.status == 200 and raw.headers["content-security-policy"].startswith("sandbox;")
    assert "default-src 'none'" in raw.headers["content-security-policy"]
    pdf_page = c.get(f"/snapshots/{pdf_id}").body
    assert "Spravato" in pdf_page and "<iframe" not in pdf_page  # its text, read from the PDF
    original = c.get(f"/snapshots/{pdf_id}/original")
    assert original.headers["content-type"] == "application/pdf"
    assert original.headers["content-disposition"].startswith("attachment;")
    assert c.get(f"/snapshots/{pdf_id}/raw").status == 404


def test_api_lists_changes_like_the_cli_and_records_reviews_with_a_token(served: Served) -> None:
    c = Client(served.url)
    assert c.get("/api/changes").status == 401
    assert c.get("/api/changes", headers={"Authorization": "Bearer nope"}).status == 401
    viewer = {"Authorization": f"Bearer {served.tokens['vic']}"}
    listed = c.get("/api/changes?all=1", headers=viewer)
    cli = CliRunner().invoke(main, ["changes", "--all", "--json", "--db", served.db.url])
    assert listed.status == 200 and listed.json() == json.loads(cli.output)
    event = _event_ids(served)["demo-columbia-pdl"]
    body = json.dumps({"verdict": "confirmed", "note": "PDL move"}).encode()
    refused = c.post(f"/api/changes/{event}/review", body=body, headers=viewer)
    assert refused.status == 403 and _status(served, event) == "new"
    analyst = {"Authorization": f"Bearer {served.tokens['ana']}"}
    done = c.post(f"/api/changes/{event}/review", body=body, headers=analyst)
    assert done.status == 200
    assert done.json()["review_status"] == "confirmed" and done.json()["review_note"] == "PDL move"
    assert set(done.json()) == set(listed.json()["events"][0])
    bad = c.post(f"/api/changes/{event}/review", body=b'{"verdict": "maybe"}', headers=analyst)
    assert bad.status == 400 and "verdict must be one of" in bad.json()["error"]


def test_publish_gate_holds_changes_until_confirmed_with_the_reviewed_wording(
    served: Served,
) -> None:
    ids = _event_ids(served)
    now = datetime.now(UTC)

    def digest() -> str:
        with served.db.session() as s:
            text, _ = render_events_report(s, "md", since=None, until=None, now=now)
        return text

    held = digest()
    assert "0 significant change(s)" in held and "2 more change(s) await" in held
    c = Client(served.url)
    c.login("ana", PASSWORD)
    event = ids["demo-evergreen-ketamine"]
    token = c.csrf(f"/changes/{event}")
    c.post(
        f"/changes/{event}/review",
        form={"csrf_token": token, "verdict": "confirmed", "note": "Checked against the PDF",
              "summary": "Evergreen Mutual Health: monotherapy now allowed"},
    )  # fmt: skip
    published = digest()
    assert "1 significant change(s)" in published and "1 more change(s) await" in published
    assert "monotherapy now allowed" in published and "Checked against the PDF" in published
    assert "Columbia" not in published
    page = c.get("/publication").body
    assert 'id="awaiting">1<' in page and "Checked against the PDF" in page


def test_operators_decide_proposals_and_only_admins_manage_users(served: Served) -> None:
    with served.db.session() as s:
        s.add(
            ProposedSource(
                url="http://127.0.0.1:9/new.html", proposed_id="new-doc", title="New policy",
                payer="Evergreen", plan_type="commercial", state="US",
                document_type="medical_policy", format="html", drugs=["ketamine"],
                found_via="index-x", found_at=datetime.now(UTC),
            )
        )  # fmt: skip
    analyst = Client(served.url)
    analyst.login("ana", PASSWORD)
    token = analyst.csrf("/ops/proposals")
    form = {"csrf_token": token, "proposal": "new-doc", "decision": "reject"}
    assert analyst.post("/ops/proposals", form=form).status == 403
    ops = Client(served.url)
    ops.login("ops", PASSWORD)
    form["csrf_token"] = ops.csrf("/ops/proposals")
    reply = ops.post("/ops/proposals", form=form)
    assert reply.status == 303 and "Rejected" in ops.get(reply.location).body
    assert "Source health" in ops.get("/ops/health").body
    schedule = ops.get("/ops/schedule").body
    assert "0 6 * * *" in schedule and "Last crawl runs" in schedule
    assert ops.get("/admin/users").status == 403
    admin = Client(served.url)
    admin.login("adm", PASSWORD)
    token = admin.csrf("/admin/users")
    reply = admin.post(
        "/admin/users",
        form={"csrf_token": token, "action": "add", "name": "newbie", "role": "viewer",
              "password": "long enough pw"},
    )  # fmt: skip
    assert "Added newbie" in admin.get(reply.location).body
    assert Client(served.url).login("newbie", "long enough pw").status == 303


def test_policywatch_serve_binds_to_loopback_and_answers(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    Database(db).dispose()  # serve refuses a database that does not exist
    port = _free_port()
    env = {**os.environ, "POLICYWATCH_SECRET_KEY": "test"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            reply = Client(f"http://127.0.0.1:{port}").get("/healthz") if _open(port) else None
            if reply is not None and reply.status == 200:
                break
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.3)
        assert Client(f"http://127.0.0.1:{port}").get("/").location == "/login?next=/"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert f"http://127.0.0.1:{port}/" in out and "No users yet" in out


def _open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
