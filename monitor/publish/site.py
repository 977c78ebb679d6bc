"""Publish the site: read the model, render every file, write only what changed."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from sqlalchemy.orm import Session

from monitor.publish.charts import months_svg, timeline_svg
from monitor.publish.evidence import Links, check_base_url, evidence_files
from monitor.publish.feed import FEED_SIZE, render_feed
from monitor.publish.markdown import change_md, payer_md, state_md
from monitor.publish.model import Site, build_site
from monitor.publish.pages import Renderer
from monitor.publish.usmap import render_map
from monitor.publish.writer import WriteStats, owned, write_site


@dataclass
class PublishResult:
    out_dir: Path
    index: Path
    stats: WriteStats
    changes: int
    states: int
    payers: int


def render_site(site: Site, links: Links, *, feed_size: int = FEED_SIZE) -> dict[str, bytes]:
    """Every page, chart and feed of the site (not the archive): relative path → bytes."""
    map_svg = render_map(site.states)
    pages = Renderer(site, links, render_map(site.states, legend=False))
    slug_of = {p.name: p.slug for p in site.payers}
    files: dict[str, bytes] = {
        "index.html": pages.index(),
        "map.svg": map_svg.encode("utf-8"),
        "glossary.html": pages.glossary(),
        "payers/index.html": pages.payers(),
        "changes/index.html": pages.changes(),
        "feed.atom": render_feed(site.changes, links, site.as_of, size=feed_size),
        "charts/changes-per-month.svg": months_svg(site.changes, site.as_of).encode("utf-8"),
    }
    for st in site.states:
        files[f"states/{st.code}.html"] = pages.state(st)
        files[f"states/{st.code}.md"] = state_md(st, links, slug_of, site.as_of)
    for p in site.payers:
        files[f"payers/{p.slug}.html"] = pages.payer(p)
        files[f"payers/{p.slug}.md"] = payer_md(p, links, site.as_of)
        for v in p.sources:
            files[f"charts/timeline-{v.info.id}.svg"] = timeline_svg(v, site.as_of).encode()
    for c in site.changes:
        files[f"changes/{c.slug}.html"] = pages.change(c)
        files[f"changes/{c.slug}.md"] = change_md(c, links, slug_of[c.event.source.payer])
    return files


def publish_site(
    session: Session,
    out_dir: Path,
    base_url: str,
    *,
    require_review: bool = True,
    feed_size: int = FEED_SIZE,
) -> PublishResult:
    """Write the public site into ``out_dir``; links are absolute under ``base_url``."""
    links = Links(check_base_url(base_url))
    site = build_site(session, require_review=require_review)
    pages = render_site(site, links, feed_size=feed_size)
    # Evidence first: if an archived version turns out damaged, no page has changed yet.
    evidence = evidence_files(session, site.evidence, owned(out_dir))
    stats = write_site(out_dir, chain(evidence, pages.items()))
    return PublishResult(
        out_dir=out_dir,
        index=out_dir / "index.html",
        stats=stats,
        changes=len(site.changes),
        states=len(site.states),
        payers=len(site.payers),
    )
