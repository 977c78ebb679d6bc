"""The Markdown digest: the period's significant changes, ready for an editor to write up."""

from __future__ import annotations

from collections.abc import Sequence

from crawler.extract.model import DRUGS
from monitor.reports.archive import Links
from monitor.reports.html import period_text
from monitor.reports.matrix import SECTIONS
from monitor.reports.model import EventView, Period, VersionRef
from monitor.reports.present import (
    PLAN_TYPE_LABELS,
    day,
    drug_label,
    plan_type_label,
    stance_label,
    strip_payer,
    when,
)
from monitor.reports.safe import md_text, md_url

EMPTY = "No coverage changes in this period."


def _link(text: str, url: str) -> str:
    target = md_url(url)
    return f"[{md_text(text)}]({target})" if target else md_text(text)


def _archived(ref: VersionRef, links: Links) -> str:
    return (
        _link(f"archived {day(ref.fetched_at)}", links.snapshot(ref))
        + f" (sha256 `{ref.sha256[:12]}`)"
    )


def _statement(ev: EventView, links: Links) -> list[str]:
    src = ev.source
    head = (
        f"- **{md_text(src.payer)}** ({md_text(src.state)}): "
        f"{md_text(strip_payer(ev.summary, src.payer))}"
    )
    facts = f"  Stance: {md_text(stance_label(ev.stance_before))} → "
    facts += md_text(stance_label(ev.stance_after))
    if ev.effective_date:
        facts += f"; effective {md_text(ev.effective_date)}"
    facts += f"; detected {day(ev.detected_at)}. Document: {md_text(src.title)}."
    evidence = "  Evidence: " + _archived(ev.after, links)
    if ev.before:
        evidence += "; before: " + _archived(ev.before, links)
    evidence += "; " + _link("live page", src.url)
    # Two trailing spaces: a Markdown line break inside the list item.
    lines = [head + "  ", facts + "  ", evidence]
    if ev.review_note:
        lines[-1] += "  "
        lines.append(f"  Analyst's note: {md_text(ev.review_note)}")
    return lines


def _plan_order(plan_type: str) -> tuple[int, str]:
    for i, (_, plan_types, _) in enumerate(SECTIONS):
        if plan_type in plan_types:
            return i, plan_type
    return len(SECTIONS), plan_type


def render_digest_md(events: Sequence[EventView], period: Period, links: Links) -> str:
    """Significant changes grouped by drug, then plan type; each with its evidence links."""
    changes = [e for e in events if e.published]
    lines = [
        f"# Ketamine and esketamine coverage changes: {period_text(period)}",
        "",
        f"_{len(changes)} significant change(s); generated {when(period.generated_at)} by "
        "policywatch. Every statement links to the archived document it rests on._",
        "",
    ]
    if period.awaiting_review:
        lines += [f"_{period.awaiting_review} more change(s) await an analyst's review._", ""]
    if not changes:
        return "\n".join([*lines, EMPTY, ""])
    order: dict[str, int] = {d: i for i, d in enumerate(DRUGS)}
    drugs = sorted({e.drug or "" for e in changes}, key=lambda d: (order.get(d, 99), d))
    for drug in drugs:
        lines += [f"## {md_text(drug_label(drug or None))}", ""]
        mine = [e for e in changes if (e.drug or "") == drug]
        for plan_type in sorted({e.source.plan_type for e in mine}, key=_plan_order):
            label = PLAN_TYPE_LABELS.get(plan_type) or plan_type_label(plan_type)
            lines += [f"### {md_text(label)}", ""]
            group = sorted(
                (e for e in mine if e.source.plan_type == plan_type),
                key=lambda e: (e.source.state, e.source.payer, e.id),
            )
            for ev in group:
                lines += _statement(ev, links)
            lines.append("")
    return "\n".join(lines)
