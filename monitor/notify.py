"""Notifications through Apprise: analysts hear of coverage changes, operators of source health.

Each problem or change is announced at most once: every message carries a key (an event id, or a
source's failure streak identified by its last success) recorded in the ``notifications`` table
after a successful delivery. A failed delivery is retried on the next cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.config import NotifySettings
from monitor.source_health import source_problem
from storage.chunks import one_of
from storage.models import ChangeEventRecord, Notification, Source
from storage.redact import redact
from storage.reviews import UNPUBLISHED_STATUSES

log = logging.getLogger("policywatch.notify")

# Events older than this are not announced (e.g. when notifications are first configured).
NOTIFY_WINDOW = timedelta(days=7)


@dataclass
class Message:
    audience: str  # analysts | operators
    title: str
    lines: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n".join(self.lines)


def _sent(session: Session, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    rows = session.scalars(select(Notification.key).where(one_of(Notification.key, keys)))
    return set(rows)


def _evidence(ev: ChangeEventRecord) -> str:
    before = f"snapshot {ev.before_snapshot_id}" if ev.before_snapshot_id else "none"
    return f"evidence: {before} → snapshot {ev.after_snapshot_id}"


def analyst_message(session: Session, *, now: datetime) -> Message | None:
    """New significant coverage changes not yet announced, as one message.

    Only recent events count, so turning notifications on for an old database does not send
    its whole history; dismissed and flip-back events are never announced.
    """
    rows = session.execute(
        select(ChangeEventRecord, Source)
        .join(Source)
        .where(
            ChangeEventRecord.significant.is_(True),
            ChangeEventRecord.review_status.not_in(UNPUBLISHED_STATUSES),
            ChangeEventRecord.detected_at >= now - NOTIFY_WINDOW,
        )
        .order_by(ChangeEventRecord.id)
    ).all()
    keys = [f"event:{ev.id}" for ev, _ in rows]
    done = _sent(session, keys)
    fresh = [(ev, src) for ev, src in rows if f"event:{ev.id}" not in done]
    if not fresh:
        return None
    msg = Message("analysts", f"policywatch: {len(fresh)} coverage change(s)")
    for ev, src in fresh:
        msg.lines.append(
            f"• {ev.summary} [{ev.kind}; {src.plan_type}, {src.state}] "
            f"{_evidence(ev)}; live: {src.url}"
        )
        msg.keys.append(f"event:{ev.id}")
    return msg


def operator_message(session: Session, threshold: int) -> Message | None:
    """Source-health problems not yet announced: failure streaks, robots, quarantined versions."""
    items: list[tuple[str, str]] = []
    for src in session.scalars(select(Source).where(Source.consecutive_failures > 0)):
        problem = source_problem(src)
        if problem is not None and problem.announce(threshold):
            # A streak is told once: its key holds the last success before it.
            streak = src.last_success_at.isoformat() if src.last_success_at else "never"
            items.append((f"{problem.kind}:{src.id}:{streak}", f"• {src.id}: {problem.detail}"))
    for ev, src in session.execute(
        select(ChangeEventRecord, Source)
        .join(Source)
        .where(ChangeEventRecord.kind == "unavailable")
    ).all():
        if ev.stance_before == "unknown":
            continue  # a recovery notice: the problem was announced when it began
        items.append(
            (
                f"event:{ev.id}",
                f"• {src.id}: version quarantined ({src.health or 'unavailable'}): "
                f"{ev.summary}; {_evidence(ev)}",
            )
        )
    done = _sent(session, [k for k, _ in items])
    fresh = [(k, line) for k, line in items if k not in done]
    if not fresh:
        return None
    msg = Message("operators", f"policywatch: {len(fresh)} source problem(s)")
    for key, line in fresh:
        msg.keys.append(key)
        msg.lines.append(line)
    return msg


def deliver(message: Message, urls: Sequence[str]) -> bool:
    """Send one message to every valid Apprise URL; True when all of those deliveries succeeded.

    An invalid URL is a configuration mistake, not a delivery failure: it is reported in one
    line (without its secrets) and the other URLs are still sent to. Counting it as a failure
    would resend the message to every good URL on every cycle. Each URL is sent to on its own,
    so the log says which one failed.
    """
    import apprise

    targets = []
    for url in urls:
        sender = apprise.Apprise()
        if sender.add(url):
            targets.append((url, sender))
        else:
            log.error(
                "not a valid Apprise URL, skipped: %s (fix [notify] in policywatch.toml; "
                "see https://appriseit.com)",
                redact(url),
                extra={"audience": message.audience, "url": redact(url)},
            )
    if not targets:
        return False
    delivered = True
    for url, sender in targets:
        fields = {"audience": message.audience, "url": redact(url), "items": len(message.keys)}
        if sender.notify(title=message.title, body=message.body):
            log.info("notification sent to %s: %s", redact(url), message.title, extra=fields)
        else:
            delivered = False
            log.warning(
                "notification failed to %s: %s (retried next cycle)",
                redact(url),
                message.title,
                extra=fields,
            )
    return delivered


def proposals_message(proposals: Sequence[Any]) -> Message:
    """Operators review what discovery found (`policywatch sources accept ID` adds one)."""
    msg = Message("operators", f"policywatch: {len(proposals)} new document(s) proposed")
    for p in proposals:
        msg.lines.append(f"• {p.proposed_id}: {p.title} ({', '.join(p.drugs)}) {p.url}")
        msg.keys.append(f"proposal:{p.url}")
    msg.lines.append(
        "Review: policywatch sources discover --list; add: policywatch sources accept ID"
    )
    return msg


def send_once(session: Session, message: Message, urls: Sequence[str], *, now: datetime) -> bool:
    """Deliver the parts of ``message`` not sent before; record them. False if nothing went."""
    done = _sent(session, message.keys)
    keep = [i for i, k in enumerate(message.keys) if k not in done]
    if not keep:
        return False
    fresh = Message(
        message.audience,
        message.title,
        [message.lines[i] for i in keep] + message.lines[len(message.keys) :],
        [message.keys[i] for i in keep],
    )
    if not deliver(fresh, urls):
        return False
    for key in fresh.keys:
        session.add(
            Notification(key=key[:300], audience=fresh.audience, sent_at=now, title=fresh.title)
        )
    session.flush()
    return True


def notify(session: Session, settings: NotifySettings, *, now: datetime) -> list[Message]:
    """Send what is new to each audience that has URLs configured; return what was sent."""
    plan = (
        (analyst_message(session, now=now) if settings.analysts else None, settings.analysts),
        (
            operator_message(session, settings.failure_threshold) if settings.operators else None,
            settings.operators,
        ),
    )
    return [m for m, urls in plan if m is not None and send_once(session, m, urls, now=now)]
