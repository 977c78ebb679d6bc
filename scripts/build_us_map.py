"""Build monitor/publish/data/us-states.json (SVG paths of the 50 states and DC) from us-atlas.

Source: the npm package ``us-atlas`` 3.0.1, file ``states-albers-10m.json``: the U.S. Census
Bureau's 2017 cartographic boundary files (a U.S. Government work, public domain) as TopoJSON,
projected with d3.geoAlbersUsa to a 975 × 610 viewport (Alaska and Hawaii as insets) and
simplified; the package is ISC-licensed (copyright Michael Bostock).

    npm pack us-atlas@3.0.1 && tar xzf us-atlas-3.0.1.tgz
    python scripts/build_us_map.py package/states-albers-10m.json

The output is committed; this script only documents and repeats how it was made.
"""

from __future__ import annotations

import json
import sys
from itertools import pairwise
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "monitor" / "publish" / "data" / "us-states.json"

FIPS = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT",
    "10": "DE", "11": "DC", "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL",
    "18": "IN", "19": "IA", "20": "KS", "21": "KY", "22": "LA", "23": "ME", "24": "MD",
    "25": "MA", "26": "MI", "27": "MN", "28": "MS", "29": "MO", "30": "MT", "31": "NE",
    "32": "NV", "33": "NH", "34": "NJ", "35": "NM", "36": "NY", "37": "NC", "38": "ND",
    "39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI", "45": "SC", "46": "SD",
    "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "53": "WA", "54": "WV",
    "55": "WI", "56": "WY",
}  # fmt: skip


def _arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """Decode TopoJSON's delta-encoded, quantized arcs into viewport coordinates."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(points)
    return out


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc[1:] if points else arc)  # arcs share their end points
    return points


def _path(rings: list[list[tuple[float, float]]]) -> str:
    """Rings as one SVG path: half-pixel precision (the map is never drawn larger than its
    975-pixel viewport), relative line-tos, repeated points dropped."""
    parts = []
    for ring in rings:
        kept: list[tuple[int, int]] = []
        for x, y in ring:
            p = (round(x * 2), round(y * 2))  # units of half a pixel
            if not kept or p != kept[-1]:
                kept.append(p)
        if len(kept) < 3:
            continue
        cmds = [f"M{kept[0][0] / 2:g} {kept[0][1] / 2:g}l"]
        deltas = [f"{(x1 - x0) / 2:g} {(y1 - y0) / 2:g}" for (x0, y0), (x1, y1) in pairwise(kept)]
        cmds.append(" ".join(deltas).replace(" -", "-"))
        parts.append("".join(cmds) + "z")
    return "".join(parts)


def main(source: str) -> None:
    topo = json.loads(Path(source).read_text(encoding="utf-8"))
    arcs = _arcs(topo)
    states = {}
    for geom in topo["objects"]["states"]["geometries"]:
        polygons = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        rings = [_ring(arcs, ring) for polygon in polygons for ring in polygon]
        states[FIPS[geom["id"]]] = _path(rings)
    assert len(states) == 51, sorted(states)
    data = {
        "source": "us-atlas 3.0.1 states-albers-10m.json (U.S. Census Bureau cartographic "
        "boundary files 2017, public domain; package ISC, Michael Bostock)",
        "width": 975,
        "height": 610,
        "states": dict(sorted(states.items())),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {OUT.stat().st_size:,} bytes, {len(states)} shapes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "package/states-albers-10m.json")
