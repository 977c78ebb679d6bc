"""The map of the United States: one shape per state and DC, drawn server-side as SVG.

The shapes are the U.S. Census Bureau's cartographic boundaries (public domain), projected
(Albers, Alaska and Hawaii as insets) and simplified by ``scripts/build_us_map.py`` into
``data/us-states.json``. States too small to see or click (DC, Rhode Island, ...) also get a
labelled square in the Atlantic, part of the same state's link. Two panels, one per drug, are
coloured by the Medicaid program's stance; each state links to its page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from monitor.publish.glossary import DRUG_NAMES, DRUG_ORDER, GROUP_FILL, GROUPS
from monitor.publish.model import StatePage

TITLE_H = 48
# Small states, north to south, get a square at this x, one row each from CALLOUT_TOP.
CALLOUTS = ("VT", "NH", "MA", "RI", "CT", "NJ", "DE", "MD", "DC")
CALLOUT_X = 896
CALLOUT_TOP = 216
CALLOUT_STEP = 26
LEGEND_ROW = 30
LEGEND_TITLE = (
    "Each state's Medicaid program (its managed-care plans where the state publishes nothing)"
)


@lru_cache(maxsize=1)
def geometry() -> dict[str, Any]:
    data = resources.files("monitor.publish") / "data" / "us-states.json"
    loaded: dict[str, Any] = json.loads(data.read_text(encoding="utf-8"))
    return loaded


def _defs() -> list[str]:
    shapes = geometry()["states"]
    out = ["<defs>"]
    out += [f'<path id="shape-{code}" d="{shapes[code]}"/>' for code in sorted(shapes)]
    out.append("</defs>")
    return out


def _panel(states: Sequence[StatePage], drug: str, top: int, href_prefix: str) -> list[str]:
    out = [
        f'<g class="panel" data-drug="{drug}">',
        f'<text class="panel-title" x="0" y="{top + 34}" font-size="34" font-weight="700" '
        f'fill="#1d2329">{escape(DRUG_NAMES[drug])}</text>',
        f'<g transform="translate(0 {top + TITLE_H})" stroke="#ffffff" stroke-width="1">',
    ]
    for st in states:
        answer = st.answers[drug]
        stance = answer.row.stance if answer.row and answer.row.stance else "none"
        fill = GROUP_FILL[answer.group]
        dashed = answer.group == "nosource"
        edge = ' stroke="#8a939b" stroke-dasharray="3 2"' if dashed else ""
        label = f"{st.name}: {answer.words.label}"
        parts = [
            f"<a href={quoteattr(href_prefix + st.code + '.html')}>",
            f'<g class="state" data-state="{st.code}" data-drug="{drug}" '
            f'data-stance="{stance}" data-group="{answer.group}">',
            f"<title>{escape(label)}</title>",
            f'<use class="shape" href="#shape-{st.code}" fill="{fill}"{edge}/>',
        ]
        if st.code in CALLOUTS:
            y = CALLOUT_TOP + CALLOUTS.index(st.code) * CALLOUT_STEP
            parts.append(
                f'<rect class="callout" x="{CALLOUT_X}" y="{y}" width="20" height="20" rx="3" '
                f'fill="{fill}"{edge if dashed else ""}/>'
                f'<text x="{CALLOUT_X + 26}" y="{y + 16}" font-size="16" stroke="none" '
                f'fill="#1d2329">{st.code}</text>'
            )
        out.append("".join(parts) + "</g></a>")
    out.append("</g></g>")
    return out


def render_map(
    states: Sequence[StatePage], href_prefix: str = "states/", *, legend: bool = True
) -> str:
    """The map as an SVG document. ``legend=False`` for a page that shows the legend as HTML,
    readable at phone widths where the map is drawn small."""
    width, height = geometry()["width"], geometry()["height"]
    panel_h = TITLE_H + height
    legend_top = len(DRUG_ORDER) * panel_h + 10
    legend_rows = (len(GROUPS) + 1) // 2
    total = legend_top + 34 + legend_rows * LEGEND_ROW if legend else legend_top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="usmap" viewBox="0 0 {width} {total}" '
        f'width="{width}" height="{total}" role="img" aria-labelledby="map-title" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif">',
        '<title id="map-title">Medicaid coverage of Spravato (esketamine) and ketamine by '
        "state</title>",
        *_defs(),
    ]
    for i, drug in enumerate(DRUG_ORDER):
        parts += _panel(states, drug, i * panel_h, href_prefix)
    if not legend:
        return "\n".join([*parts, "</svg>"]) + "\n"
    parts.append('<g class="legend">')
    parts.append(
        f'<text x="0" y="{legend_top + 20}" font-size="20" fill="#5d6670">'
        f"{escape(LEGEND_TITLE)}</text>"
    )
    for i, (key, label, fill) in enumerate(GROUPS):
        col, row = i % 2, i // 2
        x, y = col * (width // 2), legend_top + 34 + row * LEGEND_ROW
        dash = ' stroke="#8a939b" stroke-dasharray="3 2"' if key == "nosource" else ""
        parts.append(
            f'<g class="legend-item" data-group="{key}">'
            f'<rect x="{x}" y="{y}" width="22" height="22" rx="3" fill="{fill}"{dash}/>'
            f'<text x="{x + 30}" y="{y + 18}" font-size="20" fill="#1d2329">{escape(label)}'
            "</text></g>"
        )
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"
