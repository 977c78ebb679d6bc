"""The Atom feed of significant changes (feedgen), with stable entry ids."""

from __future__ import annotations

from collections.abc import Sequence

from feedgen.feed import FeedGenerator
from jinja2 import Environment
from markupsafe import Markup

from monitor.reports.archive import Links
from monitor.reports.html import period_text
from monitor.reports.model import EventView, Period
from monitor.reports.present import (
    day,
    drug_label,
    plan_type_label,
    stance_label,
    strip_payer,
)
from monitor.reports.safe import safe_url, xml_text

# Tag URIs (RFC 4151) need a date that never changes; ids must stay the same forever.
TAG = "tag:policywatch,2026:"
FEED_ID = TAG + "feed/coverage-changes"
EMPTY = "No coverage changes in this period."
FEED_SIZE = 100  # default of [report] feed_size: readers poll the feed, keep it small

# The entry body is HTML inside the feed: escaped by Jinja2 first, then by XML serialisation,
# so a reader that unescapes once still sees crawled text as text.
_ENTRY = Environment(autoescape=True).from_string(
    """<p>{{ summary }}</p>
<p>{{ payer }} · {{ plan }} · {{ state }} · {{ drug }}: {{ before }} → {{ after }}{% if effective
%} · effective {{ effective }}{% endif %}</p>
<p>Document: {{ title }}</p>
{% if note %}<p>Analyst's note: {{ note }}</p>
{% endif %}<ul>
<li>After: {% if after_href %}<a href="{{ after_href }}">archived {{ after_day }}</a>{% else
%}archived {{ after_day }}{% endif %} (sha256 {{ after_sha }})</li>
{% if before_sha %}<li>Before: {% if before_href %}<a href="{{ before_href }}">archived {{
before_day }}</a>{% else %}archived {{ before_day }}{% endif %} (sha256 {{ before_sha }})</li>{%
endif %}
<li>Live: {% if live %}<a href="{{ live }}">{{ live }}</a>{% else %}{{ live_text }}{% endif %}</li>
</ul>"""
)


def entry_id(event_id: int) -> str:
    return f"{TAG}event/{event_id}"


def _content(ev: EventView, links: Links) -> Markup:
    src = ev.source
    return Markup(
        _ENTRY.render(
            summary=xml_text(ev.summary),
            payer=xml_text(src.payer),
            plan=plan_type_label(src.plan_type),
            state=xml_text(src.state),
            drug=drug_label(ev.drug),
            before=stance_label(ev.stance_before),
            after=stance_label(ev.stance_after),
            effective=xml_text(ev.effective_date),
            title=xml_text(src.title),
            note=xml_text(ev.review_note),
            after_href=safe_url(links.snapshot(ev.after)),
            after_day=day(ev.after.fetched_at),
            after_sha=ev.after.sha256,
            before_href=safe_url(links.snapshot(ev.before)) if ev.before else "",
            before_day=day(ev.before.fetched_at) if ev.before else "",
            before_sha=ev.before.sha256 if ev.before else "",
            live=safe_url(src.url),
            live_text=xml_text(src.url),
        )
    )


def newest(events: Sequence[EventView], size: int = FEED_SIZE) -> list[EventView]:
    """The ``size`` newest coverage changes, newest first: what the feed carries."""
    changes = sorted((e for e in events if e.published), key=lambda e: (e.detected_at, e.id))
    return changes[-max(size, 1) :][::-1]


def render_atom(
    events: Sequence[EventView], period: Period, links: Links, *, size: int = FEED_SIZE
) -> str:
    """An Atom document of the ``size`` newest significant changes (none: a feed saying so)."""
    total = sum(1 for e in events if e.published)
    changes = newest(events, size)
    fg = FeedGenerator()
    fg.id(FEED_ID)
    fg.title("policywatch: ketamine and esketamine coverage changes")
    fg.author({"name": "policywatch"})
    subtitle = f"{total} coverage change(s), {period_text(period)}" if changes else EMPTY
    if total > len(changes):
        subtitle += f"; the newest {len(changes)} here"
    if period.awaiting_review:
        subtitle += f" ({period.awaiting_review} more await an analyst's review)"
    fg.subtitle(subtitle)
    fg.language("en")
    fg.generator("policywatch")
    latest = max((e.detected_at for e in changes), default=period.generated_at)
    fg.updated(latest)
    # feedgen prepends each added entry; add oldest first so the newest ends up on top.
    for ev in reversed(changes):
        fe = fg.add_entry()
        fe.id(entry_id(ev.id))
        fe.title(xml_text(f"{ev.source.payer}: {strip_payer(ev.summary, ev.source.payer)}"))
        fe.updated(ev.detected_at)
        fe.published(ev.detected_at)
        live = safe_url(ev.source.url)
        if live:
            fe.link(href=live, rel="alternate")
        fe.content(str(_content(ev, links)), type="html")
        fe.summary(xml_text(ev.summary))
        if ev.drug:
            fe.category(term=ev.drug, label=drug_label(ev.drug))
        fe.category(
            term=xml_text(ev.source.plan_type), label=xml_text(plan_type_label(ev.source.plan_type))
        )
    return fg.atom_str(pretty=True).decode("utf-8")
