"""HTML pages of the public site: pure functions of the site model."""

from __future__ import annotations

from collections.abc import Sequence

from jinja2 import DictLoader, Environment, StrictUndefined

from monitor.publish.charts import months_svg, timeline_svg
from monitor.publish.evidence import Links
from monitor.publish.gate import PublishedChange
from monitor.publish.glossary import (
    ABBREVIATIONS,
    DRUG_NAMES,
    DRUG_ORDER,
    DRUG_SHORT,
    GROUPS,
    PLAN_TYPES,
    STANCES,
    plan_type_title,
)
from monitor.publish.model import STATE_NAMES, PayerPage, Site, SourceView, StatePage
from monitor.publish.statements import change_facts, statement, statements
from monitor.publish.templates import CSS, TEMPLATES
from monitor.publish.usmap import LEGEND_TITLE
from monitor.reports.safe import safe_url

LATEST = 10

_ENV = Environment(
    loader=DictLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


class Renderer:
    """Renders the site's HTML pages; holds what every page shares."""

    def __init__(self, site: Site, links: Links, map_svg: str) -> None:
        self.site = site
        self.links = links
        self.map_svg = map_svg
        self.as_of = f"{site.as_of:%Y-%m-%d}"
        self.months = months_svg(site.changes, site.as_of)

    def _page(self, template: str, path: str, title: str, **ctx: object) -> bytes:
        root = "../" * path.count("/")
        html = _ENV.get_template(template).render(
            title=title,
            path=path,
            root=root,
            links=self.links,
            css=CSS,
            as_of=self.as_of,
            slug=self.site.payer_slug,
            **ctx,
        )
        return html.encode("utf-8", "replace")

    def _facts(self, changes: Sequence[PublishedChange]) -> list[object]:
        return [change_facts(c, self.links) for c in changes]

    def _timeline(self, view: SourceView) -> str:
        return timeline_svg(view, self.site.as_of)

    def index(self) -> bytes:
        def answers(p: PayerPage, plan_types: Sequence[str]) -> list[object]:
            rows = [r for v in p.sources if v.info.plan_type in plan_types for r in v.rows]
            return list(statements(rows, self.links))

        federal = [
            (p, answers(p, ("medicare", "medicare_advantage", "tricare", "va", "fehb")))
            for p in self.site.federal
        ]
        national = [(p, answers(p, ("commercial",))) for p in self.site.national_commercial]
        return self._page(
            "index",
            "index.html",
            "Coverage by state and insurer",
            map_svg=self.map_svg,
            legend=[(key, label, fill) for key, label, fill in GROUPS],
            legend_title=LEGEND_TITLE,
            states=self.site.states,
            federal=federal,
            national=national,
            latest=self._facts(self.site.changes[:LATEST]),
            months_svg=self.months,
        )

    def state(self, st: StatePage) -> bytes:
        answers = []
        governing_ids = set()
        for drug in DRUG_ORDER:
            a = st.answers[drug]
            s = statement(a.row, self.links) if a.row is not None else None
            if s is not None and a.row is not None:
                governing_ids.add((a.row.source.id, drug))
            answers.append((drug, s, a.words))
        others = [
            s
            for s in statements([r for v in st.medicaid for r in v.rows], self.links)
            if (s.source.id, s.drug) not in governing_ids
        ]
        plans = sorted({(self.site.payer_slug(v.info.payer), v.info.payer) for v in st.others})
        return self._page(
            "state",
            f"states/{st.code}.html",
            f"{st.name} Medicaid",
            st=st,
            answers=answers,
            others=others,
            changes=self._facts(st.changes),
            timelines=[(v, self._timeline(v)) for v in st.medicaid],
            plans=plans,
            drug_names=DRUG_NAMES,
            drug_short=DRUG_SHORT,
        )

    def payer(self, p: PayerPage) -> bytes:
        sections = [
            (
                plan_type_title(plan),
                [(v, statements(v.rows, self.links), self._timeline(v)) for v in views],
            )
            for plan, views in p.by_plan_type.items()
        ]
        return self._page(
            "payer",
            f"payers/{p.slug}.html",
            p.name,
            p=p,
            sections=sections,
            changes=self._facts(p.changes),
        )

    def payers(self) -> bytes:
        groups: dict[str, list[PayerPage]] = {}
        for plan in PLAN_TYPES:
            items = [p for p in self.site.payers if plan in p.by_plan_type]
            if items:
                groups[plan_type_title(plan)] = items
        rest = [p for p in self.site.payers if not any(k in PLAN_TYPES for k in p.by_plan_type)]
        if rest:
            groups["Other"] = rest
        return self._page(
            "payers", "payers/index.html", "Insurers and programs", groups=list(groups.items())
        )

    def change(self, c: PublishedChange) -> bytes:
        ev = c.event
        state = ev.source.state
        return self._page(
            "change",
            f"changes/{c.slug}.html",
            c.text,
            f=change_facts(c, self.links),
            ev=ev,
            state_name=STATE_NAMES.get(state, state),
            state_page=state in STATE_NAMES and ev.source.plan_type in ("medicaid", "medicaid_mco"),
            live=safe_url(ev.source.url),
        )

    def changes(self) -> bytes:
        return self._page(
            "changes",
            "changes/index.html",
            "Confirmed coverage changes",
            items=self._facts(self.site.changes),
            months_svg=self.months,
        )

    def glossary(self) -> bytes:
        return self._page(
            "glossary",
            "glossary.html",
            "Words explained",
            stances=[(w.label, w.sentence.format(drug="The drug")) for w in STANCES.values()],
            plans=list(PLAN_TYPES.values()),
            abbreviations=ABBREVIATIONS,
        )
