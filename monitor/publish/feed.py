"""The site's Atom feed: the newest confirmed changes, absolute links, ids that never change.

Entry ids are tag URIs over the change's hash (source, both versions' sha256, kind, drug), so a
rebuilt or migrated database gives the same ids and feed readers never see a change twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from feedgen.feed import FeedGenerator
from jinja2 import Environment

from monitor.publish.evidence import Links
from monitor.publish.gate import PublishedChange
from monitor.publish.glossary import DRUG_NAMES, plan_type_name, stance_label
from monitor.reports.safe import xml_text

TAG = "tag:policywatch,2026:"
FEED_SIZE = 100  # default of [publish] feed_size

_ENTRY = Environment(autoescape=True).from_string(
    "<p>{{ text }}</p>"
    "<p>{{ payer }} · {{ plan }}{% if state %} · {{ state }}{% endif %} · {{ drug }}: "
    "{{ before }} → {{ after }}{% if effective %} · effective {{ effective }}{% endif %}</p>"
    '<p>Evidence: <a href="{{ after_href }}">the document as archived on {{ after_day }}</a>'
    '{% if before_href %}, compared with <a href="{{ before_href }}">the version of '
    "{{ before_day }}</a>{% endif %}.</p>"
    '<p><a href="{{ page }}">Read more</a></p>'
)


def entry_id(change: PublishedChange) -> str:
    return f"{TAG}change/{change.uid}"


def render_feed(
    changes: Sequence[PublishedChange], links: Links, as_of: datetime, *, size: int = FEED_SIZE
) -> bytes:
    """The newest ``size`` changes (``changes`` come newest first), so the feed stays small."""
    newest = list(changes[: max(size, 1)])
    fg = FeedGenerator()
    fg.id(f"{TAG}site/{links.base}")
    fg.title("Ketamine and Spravato coverage: confirmed changes")
    fg.subtitle("Changes in how US health plans cover ketamine and Spravato (esketamine).")
    fg.author({"name": "policywatch"})
    fg.link(href=links.page("feed.atom"), rel="self", type="application/atom+xml")
    fg.link(href=links.page("index.html"), rel="alternate", type="text/html")
    fg.language("en")
    fg.generator("policywatch")
    fg.updated(max((c.event.detected_at for c in newest), default=as_of))
    # feedgen puts each added entry first: add oldest first so the newest is on top.
    for change in reversed(newest):
        ev = change.event
        page = links.page(f"changes/{change.slug}.html")
        fe = fg.add_entry()
        fe.id(entry_id(change))
        fe.title(xml_text(change.text))
        fe.link(href=page, rel="alternate", type="text/html")
        fe.updated(ev.detected_at)
        fe.published(ev.detected_at)
        fe.summary(xml_text(change.text))
        fe.content(
            _ENTRY.render(
                text=xml_text(change.text),
                payer=xml_text(ev.source.payer),
                plan=plan_type_name(ev.source.plan_type),
                state=ev.source.state if ev.source.state != "US" else "",
                drug=DRUG_NAMES.get(ev.drug or "", "ketamine and Spravato"),
                before=stance_label(ev.stance_before),
                after=stance_label(ev.stance_after),
                effective=xml_text(ev.effective_date),
                after_href=links.evidence(ev.after),
                after_day=f"{ev.after.fetched_at:%Y-%m-%d}",
                before_href=links.evidence(ev.before) if ev.before else "",
                before_day=f"{ev.before.fetched_at:%Y-%m-%d}" if ev.before else "",
                page=page,
            ),
            type="html",
        )
        if ev.drug:
            fe.category(term=ev.drug, label=DRUG_NAMES.get(ev.drug, ev.drug))
        fe.category(term=ev.source.plan_type, label=plan_type_name(ev.source.plan_type))
    return fg.atom_str(pretty=True)
