"""Markdown pages with front matter (title, date, tags, state, payer, drug) for static site
generators (Hugo, Jekyll, Eleventy read the same YAML block). Links are absolute, so the files
work wherever a CMS puts them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote

from monitor.publish.evidence import Links
from monitor.publish.gate import PublishedChange
from monitor.publish.glossary import (
    DRUG_NAMES,
    DRUG_ORDER,
    DRUG_SHORT,
    DRUG_TAGS,
    plan_type_tag,
    plan_type_title,
    tag,
)
from monitor.publish.model import PayerPage, StatePage
from monitor.publish.statements import Statement, change_facts, statement, statements
from monitor.reports.safe import md_text


def _url(url: str) -> str:
    """Our own absolute URL as a Markdown link target (nothing in it can end the link)."""
    return quote(url, safe=":/?#@!$&'*+,;=%~-._")


def front_matter(
    title: str,
    date: datetime,
    tags: Iterable[str],  # plain words; written as hyphenated lower-case tags
    state: str = "",
    payer: str = "",
    drug: Sequence[str] = (),
) -> str:
    # JSON strings and arrays are valid YAML flow scalars: quoting is exact, whatever the text.
    lines = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"date: {date:%Y-%m-%d}",
        f"tags: {json.dumps(sorted({tag(t) for t in tags}), ensure_ascii=False)}",
        f"state: {json.dumps(state, ensure_ascii=False)}",
        f"payer: {json.dumps(payer, ensure_ascii=False)}",
        f"drug: {json.dumps(list(drug), ensure_ascii=False)}",
        "---",
        "",
    ]
    return "\n".join(lines)


def _statement(s: Statement, links: Links, payer_slug: str) -> list[str]:
    out = [f"### {md_text(s.drug_name)}: {md_text(s.label)}", "", md_text(s.sentence), ""]
    if s.needs:
        out += ["You need:", ""] + [f"- {md_text(n)}" for n in s.needs] + [""]
    out += [md_text(line) for line in s.limits]
    if s.limits:
        out.append("")
    if s.note:
        out += [f"*{md_text(s.note)}*", ""]
    effective = f", effective {md_text(s.effective)}" if s.effective else ""
    out += [
        f"Source: [{md_text(s.source.payer)}]({_url(links.page(f'payers/{payer_slug}.html'))}) "
        f"{md_text(s.plan)}, “{md_text(s.source.title)}”{effective}. "
        f"Last checked {s.checked}. "
        f"[Evidence: the document as archived on {s.evidence_day}]({_url(s.evidence_url)}) "
        f"(sha256 {s.sha256[:16]}…)",
        "",
    ]
    return out


def _changes(changes: Sequence[PublishedChange], links: Links) -> list[str]:
    if not changes:
        return ["No confirmed changes yet.", ""]
    out = []
    for c in changes:
        f = change_facts(c, links)
        page = links.page(f"changes/{c.slug}.html")
        out.append(
            f"- {f.detected}: [{md_text(c.text)}]({_url(page)}) ([evidence]({_url(f.after_url)}))"
        )
    return [*out, ""]


def state_md(st: StatePage, links: Links, slug_of: dict[str, str], as_of: datetime) -> bytes:
    title = f"{st.name}: Medicaid coverage of Spravato and ketamine"
    tags = ["medicaid", "coverage", st.name, *(DRUG_TAGS[d] for d in DRUG_ORDER)]
    body = [front_matter(title, as_of, tags, st.code, "", DRUG_ORDER)]
    body += [f"# {md_text(title)}", ""]
    shown = set()
    for drug in DRUG_ORDER:
        a = st.answers[drug]
        s = statement(a.row, links) if a.row is not None else None
        if s is None:
            body += [
                f"### {DRUG_NAMES[drug]}: {a.words.label}",
                "",
                a.words.sentence.format(drug=DRUG_SHORT[drug]),
                "",
            ]
            continue
        shown.add((s.source.id, drug))
        body += _statement(s, links, slug_of[s.source.payer])
    others = [
        s
        for s in statements([r for v in st.medicaid for r in v.rows], links)
        if (s.source.id, s.drug) not in shown
    ]
    if others:
        body += [f"## Other answers from {st.name} Medicaid documents", ""]
        for s in others:
            body += _statement(s, links, slug_of[s.source.payer])
    body += ["## History of changes", "", *_changes(st.changes, links)]
    return "\n".join(body).encode("utf-8", "replace")


def payer_md(p: PayerPage, links: Links, as_of: datetime) -> bytes:
    title = f"{p.name}: coverage of Spravato and ketamine"
    drugs = sorted({r.drug for v in p.sources for r in v.rows if r.drug})
    tags = ["coverage", *map(plan_type_tag, p.by_plan_type), *(DRUG_TAGS[d] for d in drugs)]
    state = p.states[0] if len(p.states) == 1 else ""
    body = [front_matter(title, as_of, tags, state, p.name, drugs), f"# {md_text(title)}", ""]
    for plan, views in p.by_plan_type.items():
        body += [f"## {md_text(plan_type_title(plan))}", ""]
        for v in views:
            where = f" ({v.info.state})" if v.info.state != "US" else ""
            body += [f"**{md_text(v.info.title)}**{where}", ""]
            found = statements(v.rows, links)
            if not found:
                body += ["No ketamine or Spravato coverage read from this document yet.", ""]
            for s in found:
                body += _statement(s, links, p.slug)
    body += ["## History of changes", "", *_changes(p.changes, links)]
    return "\n".join(body).encode("utf-8", "replace")


def change_md(c: PublishedChange, links: Links, payer_slug: str) -> bytes:
    ev = c.event
    f = change_facts(c, links)
    drugs = [ev.drug] if ev.drug else []
    state = ev.source.state if ev.source.state != "US" else ""
    tags = ["coverage-change", plan_type_tag(ev.source.plan_type), *(DRUG_TAGS[d] for d in drugs)]
    body = [
        front_matter(c.text, ev.detected_at, tags, state, ev.source.payer, drugs),
        f"# {md_text(c.text)}",
        "",
        f"- Insurer: [{md_text(ev.source.payer)}]"
        f"({_url(links.page(f'payers/{payer_slug}.html'))}), {md_text(f.plan)}",
        f"- Drug: {md_text(f.drug_name)}",
        f"- Coverage: {md_text(f.before)} → {md_text(f.after)}",
    ]
    if ev.effective_date:
        body.append(f"- Effective: {md_text(ev.effective_date)}")
    body += [f"- Found: {f.detected}", f"- Document: “{md_text(ev.source.title)}”", ""]
    if f.criteria:
        body += ["## What changed in the conditions", ""]
        body += [f"- {md_text(r.name)}: {md_text(r.before)} → {md_text(r.after)}"
                 for r in f.criteria]  # fmt: skip
        body.append("")
    body += [
        "## Evidence",
        "",
        f"- [The document as archived on {f.after_day}]({_url(f.after_url)}) "
        f"(sha256 {ev.after.sha256})",
    ]
    if ev.before:
        body.append(
            f"- [The earlier version, archived on {f.before_day}]({_url(f.before_url)}) "
            f"(sha256 {ev.before.sha256})"
        )
    body.append("")
    return "\n".join(body).encode("utf-8", "replace")
