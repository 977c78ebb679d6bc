"""Accounts and the review audit trail on SQLite and PostgreSQL; the `users` and `review` CLI."""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import main
from monitor.web.accounts import (
    AccountError,
    add_user,
    authenticate,
    issue_token,
    remove_user,
    user_for_token,
)
from monitor.web.auth import LoginThrottle
from storage.db import Database
from storage.models import Blob, ChangeEventRecord, Review, Snapshot, Source, User
from storage.reviews import record_review, reviews_of
from tests.web.client import Client
from tests.web.conftest import PASSWORD, serve_app

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

_X_SHA = hashlib.sha256(b"x").hexdigest()  # blobs are verified on read: a real digest


def _event(db: Database) -> int:
    """One stored change event (and what it points at), its id."""
    with db.session() as s:
        s.add(
            Source(
                id="s1",
                payer="P",
                plan_type="commercial",
                state="US",
                document_type="medical_policy",
                title="T",
                url="http://127.0.0.1/x",
            )
        )
        s.add(Blob(sha256=_X_SHA, size=1, data=zlib.compress(b"x")))
        s.flush()
        snap = Snapshot(
            source_id="s1",
            sha256=_X_SHA,
            size=1,
            requested_url="u",
            final_url="u",
            http_status=200,
            fetched_at=NOW,
            redirects=[],
        )
        s.add(snap)
        s.flush()
        ev = ChangeEventRecord(
            source_id="s1",
            after_snapshot_id=snap.id,
            detected_at=NOW,
            kind="added",
            drug="ketamine",
            significant=True,
            summary="P: ketamine added",
            detail={},
        )
        s.add(ev)
        s.flush()
        return ev.id  # fmt: skip


def test_every_review_is_kept_and_the_event_holds_the_latest(db_url: str) -> None:
    db = Database(db_url)
    event_id = _event(db)
    with db.session() as s:
        ev = s.get(ChangeEventRecord, event_id)
        assert ev is not None
        record_review(s, ev, reviewer="ana", verdict="dismissed", note="noise", now=NOW)
        record_review(
            s, ev, reviewer="bo", verdict="confirmed", summary="Ketamine now covered",
            now=NOW + timedelta(minutes=5),
        )  # fmt: skip
        record_review(s, ev, reviewer="bo", verdict=None, note="", now=NOW + timedelta(minutes=6))
        with pytest.raises(ValueError, match="unknown verdict"):
            record_review(s, ev, reviewer="bo", verdict="maybe", now=NOW)
    with db.session() as s:
        ev = s.get(ChangeEventRecord, event_id)
        assert ev is not None
        assert ev.review_status == "confirmed" and ev.review_summary == "Ketamine now covered"
        assert ev.review_note is None  # the last review cleared it
        assert ev.reviewed_at == NOW + timedelta(minutes=6)
        trail = [(r.reviewer, r.verdict, r.summary, r.note) for r in reviews_of(s, event_id)]
    assert trail == [
        ("ana", "dismissed", None, "noise"),
        ("bo", "confirmed", "Ketamine now covered", None),
        ("bo", "confirmed", None, None),
    ]
    db.dispose()


def test_the_workspace_reviews_on_both_databases(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    event_id = _event(db)
    with serve_app(db, tmp_path) as served:
        c = Client(served.url)
        assert c.login("ana", PASSWORD).status == 303
        queue = c.get("/?q=KETAMINE&drug=ketamine")
        assert f"/changes/{event_id}?" in queue.body and "new <b>1</b>" in queue.body
        token = c.csrf(f"/changes/{event_id}")
        form = {"csrf_token": token, "verdict": "confirmed", "note": "ok", "summary": "Added."}
        assert c.post(f"/changes/{event_id}/review", form=form).status == 303
        api = c.get("/api/changes", headers={"Authorization": f"Bearer {served.tokens['vic']}"})
        assert [(e["review_status"], e["review_summary"]) for e in api.json()["events"]] == [
            ("confirmed", "Added.")
        ]
    with db.session() as s:
        assert [r.reviewer for r in reviews_of(s, event_id)] == ["ana"]
    db.dispose()


def test_users_passwords_are_argon2_hashed_and_tokens_stored_hashed(db_url: str) -> None:
    db = Database(db_url)
    with db.session() as s:
        user = add_user(s, "ana", "analyst", "a long password", now=NOW)
        assert user.password_hash.startswith("$argon2id$") and "a long password" not in (
            user.password_hash
        )
        token = issue_token(s, "ana")
        assert user.api_token_hash and token not in user.api_token_hash
    with db.session() as s:
        assert authenticate(s, "ana", "a long password") is not None
        assert authenticate(s, "ana", "a long passworD") is None
        assert authenticate(s, "nobody", "a long password") is None
        found = user_for_token(s, token)
        assert found is not None and found.name == "ana"
        assert user_for_token(s, token + "x") is None
        for bad in (("ana", "analyst", "a long password"), ("bo b", "analyst", "long enough!"),
                    ("bo", "superuser", "long enough!"), ("bo", "viewer", "short")):  # fmt: skip
            with pytest.raises(AccountError):
                add_user(s, *bad, now=NOW)
        remove_user(s, "ana")
        assert user_for_token(s, token) is None
        with pytest.raises(AccountError, match="no user"):
            remove_user(s, "ana")
    db.dispose()


def test_login_throttle_counts_per_name_and_per_client_within_a_window() -> None:
    t = LoginThrottle(per_name=3, per_client=5, window=60)
    for i in range(3):
        assert t.wait_seconds("Ana", "1.2.3.4", now=i) == 0
        t.failed("Ana", "1.2.3.4", now=i)
    assert t.wait_seconds("ana", "5.6.7.8", now=10) == 51  # by name, from any client
    assert t.wait_seconds("bo", "1.2.3.4", now=10) == 0
    assert t.wait_seconds("ana", "1.2.3.4", now=61) == 0  # the first failure left the window
    for i in range(4):  # with the failure at 2 still in the window: 5 from this client
        t.failed(f"user{i}", "1.2.3.4", now=20)
    assert t.wait_seconds("carl", "1.2.3.4", now=21) > 0  # by client, whatever the name


def test_users_cli_adds_lists_issues_tokens_and_removes(sqlite_url: str) -> None:
    run = CliRunner().invoke
    added = run(main, ["users", "add", "ana", "--role", "analyst", "--password-stdin",
                       "--db", sqlite_url], input="a long password\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    again = run(main, ["users", "add", "ana", "--role", "viewer", "--password-stdin",
                       "--db", sqlite_url], input="a long password\n")  # fmt: skip
    assert again.exit_code == 1 and "exists" in again.output and "Traceback" not in again.output
    short = run(main, ["users", "add", "bo", "--role", "viewer", "--password-stdin",
                       "--db", sqlite_url], input="short\n")  # fmt: skip
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    listed = run(main, ["users", "list", "--db", sqlite_url])
    assert "ana" in listed.output and "analyst" in listed.output and "bo" not in listed.output
    token = run(main, ["users", "token", "ana", "--db", sqlite_url]).output.strip()
    db = Database(sqlite_url)
    with db.session() as s:
        found = user_for_token(s, token)
        assert found is not None and found.name == "ana"
    removed = run(main, ["users", "remove", "ana", "--db", sqlite_url])
    assert removed.exit_code == 0
    with db.session() as s:
        assert s.scalars(select(User)).all() == []
    db.dispose()
    help_text = run(main, ["serve", "--help"]).output
    assert "127.0.0.1" in help_text and "users add" in help_text


def test_review_cli_records_its_verdict_in_the_audit_trail(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    event_id = _event(db)
    result = CliRunner().invoke(
        main, ["review", str(event_id), "confirmed", "--note", "checked", "--db", sqlite_url]
    )
    assert result.exit_code == 0, result.output
    with db.session() as s:
        trail = s.scalars(select(Review)).all()
        assert [(r.verdict, r.note) for r in trail] == [("confirmed", "checked")]
        assert trail[0].reviewer.startswith("cli:")
    db.dispose()
