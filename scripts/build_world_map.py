"""Build the report's world map data from the npm package ``world-atlas`` (Natural Earth).

Run after ``npm ci``::

    .venv/bin/python scripts/build_world_map.py

It writes ``src/residency_audit/report/data/world.json``: country outlines projected (Natural Earth
I projection) and simplified into SVG path strings, keyed by ISO 3166-1 alpha-2, plus one label
point per country. The report reads only that committed file, so rendering never needs node or
the network. Outlines come from the 1:110m set (small); label points from the 1:50m set, which
also has the small places cloud regions sit in (Hong Kong, Singapore, Bahrain, ...).

Natural Earth data is in the public domain; world-atlas (ISC) redistributes it as TopoJSON.
ISO numeric -> alpha-2 comes from Debian's ``iso-codes`` package (``/usr/share/iso-codes``).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ATLAS = ROOT / "node_modules" / "world-atlas"
ISO_CODES = Path("/usr/share/iso-codes/json/iso_3166-1.json")
OUT = ROOT / "src" / "residency_audit" / "report" / "data" / "world.json"

WIDTH = 1000.0
LAT_MIN, LAT_MAX = -56.0, 84.0  # Antarctica left out: no cloud region, lots of bytes
TOLERANCE = 0.6  # Douglas-Peucker tolerance in output pixels
MIN_RING_AREA = 2.0  # rings smaller than this (px^2) are dropped from the outlines

Point = tuple[float, float]


def natural_earth(lon: float, lat: float) -> Point:
    """Natural Earth I projection (Šavrič et al. 2011), the polynomial d3-geo uses."""
    lam, phi = math.radians(lon), math.radians(lat)
    p2 = phi * phi
    p4 = p2 * p2
    x = lam * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * (0.003971 * p2 - 0.001529 * p4)))
    y = phi * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)))
    return x, y


def decode_arcs(topo: dict[str, Any]) -> list[list[Point]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(indices: list[int], arcs: list[list[Point]]) -> list[Point]:
    ring: list[Point] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(arc if not ring else arc[1:])
    return ring


def polygons(geometry: dict[str, Any], arcs: list[list[Point]]) -> list[list[list[Point]]]:
    if geometry["type"] == "Polygon":
        return [[ring_points(r, arcs) for r in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[ring_points(r, arcs) for r in poly] for poly in geometry["arcs"]]
    return []


class Frame:
    """Projected coordinates -> output pixels (y down), fixed by the projection's extent."""

    def __init__(self) -> None:
        xs = [natural_earth(lon, 0)[0] for lon in (-180, 180)]
        ys = [natural_earth(0, lat)[1] for lat in (LAT_MIN, LAT_MAX)]
        self.x0, self.y1 = xs[0], ys[1]
        self.k = WIDTH / (xs[1] - xs[0])
        self.height = round((ys[1] - ys[0]) * self.k)

    def __call__(self, lon: float, lat: float) -> Point:
        lat = max(LAT_MIN, min(LAT_MAX, lat))
        x, y = natural_earth(lon, lat)
        return (x - self.x0) * self.k, (self.y1 - y) * self.k


def simplify(points: list[Point], tol: float) -> list[Point]:
    """Douglas-Peucker, iterative (rings have thousands of points in the 50m set)."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (ax, ay), (bx, by) = points[a], points[b]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy) or 1e-12
        best, index = 0.0, -1
        for i in range(a + 1, b):
            px, py = points[i]
            d = (
                abs(dy * (px - ax) - dx * (py - ay)) / norm
                if (dx or dy)
                else math.hypot(px - ax, py - ay)
            )
            if d > best:
                best, index = d, i
        if best > tol and index > 0:
            keep[index] = True
            stack += [(a, index), (index, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def area(ring: list[Point]) -> float:
    return 0.5 * sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)
    )


def centroid(ring: list[Point]) -> Point:
    a = area(ring)
    if abs(a) < 1e-9:
        xs, ys = zip(*ring, strict=True)
        return sum(xs) / len(xs), sum(ys) / len(ys)
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return cx / (6 * a), cy / (6 * a)


def path(rings: list[list[Point]]) -> str:
    parts = []
    for ring in rings:
        coords = []
        last: tuple[int, int] | None = None
        for x, y in ring:
            q = (round(x * 2), round(y * 2))  # half-pixel grid: legible and small
            if q != last:
                coords.append(q)
                last = q
        if len(coords) < 3:
            continue
        head, *rest = coords
        parts.append(
            f"M{head[0] / 2:g} {head[1] / 2:g}"
            + "".join(f"L{x / 2:g} {y / 2:g}" for x, y in rest)
            + "Z"
        )
    return "".join(parts)


def alpha2_by_numeric() -> dict[str, str]:
    data = json.loads(ISO_CODES.read_text(encoding="utf-8"))
    return {row["numeric"]: row["alpha_2"] for row in data["3166-1"]}


def countries(name: str, codes: dict[str, str]) -> Iterator[tuple[str, list[list[list[Point]]]]]:
    """Each country of a world-atlas file: (alpha-2, polygons); Antarctica and no-code ones out."""
    topo = json.loads((ATLAS / name).read_text(encoding="utf-8"))
    arcs = decode_arcs(topo)
    for geom in topo["objects"]["countries"]["geometries"]:
        cc = codes.get(str(geom.get("id", "")))
        if cc is not None and cc != "AQ":
            yield cc, polygons(geom, arcs)


def main() -> int:
    if not ATLAS.exists():
        print("node_modules/world-atlas is missing: run `npm ci` first", file=sys.stderr)
        return 1
    codes = alpha2_by_numeric()
    frame = Frame()

    outlines: dict[str, str] = {}
    for cc, polys in countries("countries-110m.json", codes):
        rings = []
        for poly in polys:
            for ring in poly:
                projected = simplify([frame(lon, lat) for lon, lat in ring], TOLERANCE)
                if abs(area(projected)) >= MIN_RING_AREA:
                    rings.append(projected)
        if rings:
            outlines[cc] = path(rings)

    points: dict[str, list[float]] = {}
    for cc, polys in countries("countries-50m.json", codes):
        outers = [[frame(lon, lat) for lon, lat in poly[0]] for poly in polys]
        if not outers:
            continue
        largest = max(outers, key=lambda r: abs(area(r)))
        x, y = centroid(largest)
        points[cc] = [round(x, 1), round(y, 1)]

    package = json.loads((ATLAS / "package.json").read_text(encoding="utf-8"))
    doc = {
        "_generated_by": "scripts/build_world_map.py; do not edit by hand",
        "attribution": "Made with Natural Earth (public domain), via world-atlas "
        f"{package['version']} (ISC); outlines 1:110m, label points 1:50m",
        "projection": "Natural Earth I",
        "width": WIDTH,
        "height": frame.height,
        "outlines": dict(sorted(outlines.items())),
        "points": dict(sorted(points.items())),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    size = OUT.stat().st_size
    print(
        f"wrote {OUT.relative_to(ROOT)}: {len(outlines)} outlines, {len(points)} points, {size} B"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
