"""The United States as a tile-grid map: one square per state and DC, drawn server-side as SVG.

No public-domain state outlines are available offline here, so the map is a tile grid (the
layout news sites use: each state one equal square, roughly in its place). Equal squares also
keep small states such as DC and Rhode Island as visible as Texas. Two panels, one per drug,
coloured by the Medicaid program's stance; each tile links to the state's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from monitor.publish.glossary import DRUG_NAMES, DRUG_ORDER, GROUP_FILL, GROUP_INK, GROUPS
from monitor.publish.model import StatePage

# (column, row) of each state on an 11 × 8 grid.
TILES: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (10, 0),
    "WI": (5, 1), "VT": (9, 1), "NH": (10, 1),
    "WA": (0, 2), "ID": (1, 2), "MT": (2, 2), "ND": (3, 2), "MN": (4, 2), "IL": (5, 2),
    "MI": (6, 2), "NY": (8, 2), "MA": (9, 2),
    "OR": (0, 3), "NV": (1, 3), "WY": (2, 3), "SD": (3, 3), "IA": (4, 3), "IN": (5, 3),
    "OH": (6, 3), "PA": (7, 3), "NJ": (8, 3), "CT": (9, 3), "RI": (10, 3),
    "CA": (0, 4), "UT": (1, 4), "CO": (2, 4), "NE": (3, 4), "MO": (4, 4), "KY": (5, 4),
    "WV": (6, 4), "VA": (7, 4), "MD": (8, 4), "DE": (9, 4),
    "AZ": (1, 5), "NM": (2, 5), "KS": (3, 5), "AR": (4, 5), "TN": (5, 5), "NC": (6, 5),
    "SC": (7, 5), "DC": (8, 5),
    "OK": (3, 6), "LA": (4, 6), "MS": (5, 6), "AL": (6, 6), "GA": (7, 6),
    "HI": (0, 7), "TX": (3, 7), "FL": (8, 7),
}  # fmt: skip

TILE = 40
GAP = 4
STEP = TILE + GAP
TITLE_H = 30
PANEL_H = TITLE_H + 8 * STEP + 12
WIDTH = 11 * STEP
LEGEND_ROW = 24


def _panel(states: Sequence[StatePage], drug: str, top: int, href_prefix: str) -> list[str]:
    out = [
        f'<g class="panel" data-drug="{drug}">',
        f'<text class="panel-title" x="0" y="{top + 20}" font-size="17" font-weight="700" '
        f'fill="#1d2329">{escape(DRUG_NAMES[drug])}</text>',
    ]
    for st in states:
        col, row = TILES[st.code]
        x, y = col * STEP, top + TITLE_H + row * STEP
        answer = st.answers[drug]
        stance = answer.row.stance if answer.row and answer.row.stance else "none"
        fill = GROUP_FILL[answer.group]
        ink = GROUP_INK.get(answer.group, "#ffffff")
        label = f"{st.name}: {answer.words.label}"
        out.append(
            f"<a href={quoteattr(href_prefix + st.code + '.html')}>"
            f'<g class="state" data-state="{st.code}" data-drug="{drug}" '
            f'data-stance="{stance}" data-group="{answer.group}">'
            f"<title>{escape(label)}</title>"
            f'<rect x="{x}" y="{y}" width="{TILE}" height="{TILE}" rx="4" fill="{fill}" '
            f'stroke="#6b7680" stroke-width="{1 if answer.group == "nosource" else 0}"'
            f"{' stroke-dasharray=' + quoteattr('3 2') if answer.group == 'nosource' else ''}/>"
            f'<text x="{x + TILE // 2}" y="{y + TILE // 2 + 5}" text-anchor="middle" '
            f'font-size="13" font-weight="600" fill="{ink}">{st.code}</text>'
            "</g></a>"
        )
    out.append("</g>")
    return out


def render_map(states: Sequence[StatePage], href_prefix: str = "states/") -> str:
    """The map as a standalone SVG document (also inlined in index.html)."""
    legend_top = len(DRUG_ORDER) * PANEL_H + 8
    legend_rows = (len(GROUPS) + 1) // 2
    height = legend_top + 26 + legend_rows * LEGEND_ROW
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="usmap" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="map-title" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif">',
        '<title id="map-title">Medicaid coverage of Spravato (esketamine) and ketamine by '
        "state</title>",
    ]
    for i, drug in enumerate(DRUG_ORDER):
        parts += _panel(states, drug, i * PANEL_H, href_prefix)
    parts.append('<g class="legend">')
    parts.append(
        f'<text x="0" y="{legend_top + 14}" font-size="13" fill="#5d6670">'
        "Medicaid program's stance</text>"
    )
    for i, (key, label, fill) in enumerate(GROUPS):
        col, row = i % 2, i // 2
        x, y = col * (WIDTH // 2), legend_top + 26 + row * LEGEND_ROW
        dash = ' stroke="#6b7680" stroke-dasharray="3 2"' if key == "nosource" else ""
        parts.append(
            f'<g class="legend-item" data-group="{key}">'
            f'<rect x="{x}" y="{y}" width="16" height="16" rx="3" fill="{fill}"{dash}/>'
            f'<text x="{x + 22}" y="{y + 13}" font-size="13" fill="#1d2329">{escape(label)}'
            "</text></g>"
        )
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"
