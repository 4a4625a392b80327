"""Where the data lives: countries holding copies and the flows between them, laid out on a map.

Every bucket's copies flow from its primary location's countries to each other location's
countries (replica, backup, geo-secondary, multi-region member, key). A bucket with no primary
(a GCS dual- or multi-region) flows from its first member. A location whose country is unknown
flows to the "unknown" node, drawn off the coast and never left out. Flows are aggregated by
(from, to, role) with the number of buckets, so the picture stays readable for 20,000 buckets;
the per-bucket detail lives in the bucket view.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import Bucket, Certainty, Role
from .countries import world_map
from .facts import effective_certainty

__all__ = ["UNKNOWN", "Edge", "GeoPicture", "MapLayout", "Node", "geo_picture", "layout_map"]

UNKNOWN = "??"
_ROLE_ORDER = [r.value for r in Role]


@dataclass
class Node:
    cc: str
    tier: str  # concern / gov / caution / ok / unknown
    roles: dict[str, int] = field(default_factory=dict)  # role -> buckets with a copy here
    buckets: int = 0
    possible: int = 0  # buckets whose copy here is only possible


@dataclass
class Edge:
    src: str
    dst: str
    role: str
    buckets: int = 0
    possible: int = 0
    mechanisms: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class GeoPicture:
    nodes: list[Node]  # worst tier first, then most buckets
    edges: list[Edge]  # worst destination first, then most buckets


_TIER_RANK = {"concern": 0, "gov": 1, "unknown": 2, "caution": 3, "ok": 4}


def _countries(bucket_loc_countries: tuple[str, ...]) -> tuple[str, ...]:
    return bucket_loc_countries or (UNKNOWN,)


def geo_picture(buckets: Iterable[Bucket], tiers: dict[str, str]) -> GeoPicture:
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, str, str], Edge] = {}

    def node(cc: str) -> Node:
        if cc not in nodes:
            tier = "unknown" if cc == UNKNOWN else tiers.get(cc, "ok")
            nodes[cc] = Node(cc, tier)
        return nodes[cc]

    for bucket in buckets:
        if not bucket.locations:
            n = node(UNKNOWN)  # where this bucket's data lives is unknown
            n.buckets += 1
            n.roles["primary"] = n.roles.get("primary", 0) + 1
            continue
        origin = bucket.primary or bucket.locations[0]
        src = _countries(origin.resolution.countries if origin.resolution else ())
        seen_nodes: set[tuple[str, str]] = set()
        seen_edges: set[tuple[str, str, str]] = set()
        for loc in bucket.locations:
            possible = effective_certainty(loc) is Certainty.POSSIBLE
            dst = _countries(loc.resolution.countries if loc.resolution else ())
            for cc in dst:
                if (cc, loc.role.value) not in seen_nodes:
                    n = node(cc)
                    n.roles[loc.role.value] = n.roles.get(loc.role.value, 0) + 1
                    n.possible += possible
                    seen_nodes.add((cc, loc.role.value))
            if loc is origin:
                continue
            for s in src:
                for d in dst:
                    key = (s, d, loc.role.value)
                    if s == d or key in seen_edges:
                        continue
                    seen_edges.add(key)
                    edge = edges.setdefault(key, Edge(s, d, loc.role.value))
                    edge.buckets += 1
                    edge.possible += possible
                    edge.mechanisms.add(loc.mechanism)
        for cc in {cc for cc, _ in seen_nodes}:
            nodes[cc].buckets += 1
    ordered_nodes = sorted(nodes.values(), key=lambda n: (_TIER_RANK[n.tier], -n.buckets, n.cc))
    ordered_edges = sorted(
        edges.values(),
        key=lambda e: (
            _TIER_RANK[nodes[e.dst].tier],
            -e.buckets,
            e.src,
            e.dst,
            _ROLE_ORDER.index(e.role) if e.role in _ROLE_ORDER else 99,
        ),
    )
    return GeoPicture(ordered_nodes, ordered_edges)


# --- layout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedNode:
    node: Node
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str  # SVG text-anchor


@dataclass(frozen=True)
class PlacedEdge:
    edge: Edge
    path: str
    arrow: str  # polygon points of the arrow head
    width: float


@dataclass(frozen=True)
class MapLayout:
    view_box: str
    width: float
    height: float
    outlines: list[tuple[str, str, str]]  # (cc, tier or "", path)
    nodes: list[PlacedNode]
    edges: list[PlacedEdge]
    unplaced: list[Node]  # countries with no point on the map (listed in the table)
    attribution: str


def _label_positions(points: list[tuple[str, float, float]]) -> dict[str, tuple[float, float, str]]:
    """Put each short label beside its node, trying a few spots to avoid overlapping."""
    placed: list[tuple[float, float, float, float]] = []
    out: dict[str, tuple[float, float, str]] = {}
    w, h = 18.0, 10.0
    for cc, x, y in sorted(points, key=lambda p: (p[2], p[1])):
        candidates = [
            (x + 7, y + 4, "start"),
            (x - 7, y + 4, "end"),
            (x, y - 8, "middle"),
            (x, y + 15, "middle"),
            (x + 7, y + 14, "start"),
            (x - 7, y - 6, "end"),
            (x + 7, y - 6, "start"),
            (x - 7, y + 14, "end"),
        ]
        chosen = candidates[0]
        for lx, ly, anchor in candidates:
            left = lx if anchor == "start" else lx - w if anchor == "end" else lx - w / 2
            box = (left, ly - h + 2, left + w, ly + 2)
            if not any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed
            ):
                chosen = (lx, ly, anchor)
                placed.append(box)
                break
        else:
            lx, ly, anchor = chosen
            left = lx if anchor == "start" else lx - w
            placed.append((left, ly - h + 2, left + w, ly + 2))
        out[cc] = chosen
    return out


def _arc(x1: float, y1: float, x2: float, y2: float, bend: float) -> tuple[str, str]:
    """A quadratic curve from (x1, y1) to (x2, y2), bowed sideways, with an arrow head."""
    dx, dy = x2 - x1, y2 - y1
    dist = math.hypot(dx, dy) or 1.0
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    cx, cy = mx - dy / dist * dist * bend, my + dx / dist * dist * bend
    # stop short of the node so the arrow head stays visible
    tx, ty = x2 - cx, y2 - cy
    tl = math.hypot(tx, ty) or 1.0
    ux, uy = tx / tl, ty / tl
    ex, ey = x2 - ux * 5, y2 - uy * 5
    path = f"M{x1:.1f} {y1:.1f}Q{cx:.1f} {cy:.1f} {ex:.1f} {ey:.1f}"
    size = 5.0
    bx, by = ex - ux * size, ey - uy * size
    px, py = -uy * size * 0.55, ux * size * 0.55
    arrow = f"{ex:.1f},{ey:.1f} {bx + px:.1f},{by + py:.1f} {bx - px:.1f},{by - py:.1f}"
    return path, arrow


def layout_map(picture: GeoPicture, tiers: dict[str, str]) -> MapLayout:
    world = world_map()
    positions: dict[str, tuple[float, float]] = {}
    unplaced = []
    for n in picture.nodes:
        if n.cc in world.points:
            positions[n.cc] = world.points[n.cc]
        elif n.cc != UNKNOWN:
            unplaced.append(n)
    view_box = _fit(list(positions.values()), world.width, world.height)
    if any(n.cc == UNKNOWN for n in picture.nodes):
        # bottom-left corner of the visible area: always in the picture, never on a country
        x0, y0, w, h = (float(v) for v in view_box.split())
        positions[UNKNOWN] = (x0 + 0.05 * w, y0 + 0.88 * h)
    labels = _label_positions([(cc, x, y) for cc, (x, y) in positions.items()])
    nodes = [
        PlacedNode(n, *positions[n.cc], *labels[n.cc])  # type: ignore[arg-type]
        for n in picture.nodes
        if n.cc in positions
    ]
    max_buckets = max((e.buckets for e in picture.edges), default=1)
    edges = []
    pair_count: dict[tuple[str, str], int] = {}
    for e in picture.edges:
        if e.src not in positions or e.dst not in positions:
            continue
        k = pair_count.get((e.src, e.dst), 0)
        pair_count[(e.src, e.dst)] = k + 1
        (x1, y1), (x2, y2) = positions[e.src], positions[e.dst]
        path, arrow = _arc(x1, y1, x2, y2, 0.18 + 0.12 * k)  # parallel roles fan out
        width = 1.0 + 2.5 * math.log1p(e.buckets) / math.log1p(max(max_buckets, 50))
        edges.append(PlacedEdge(e, path, arrow, round(width, 2)))
    outlines = [(cc, tiers.get(cc, ""), p) for cc, p in sorted(world.outlines.items())]
    return MapLayout(
        view_box=view_box,
        width=world.width,
        height=world.height,
        outlines=outlines,
        nodes=nodes,
        edges=edges,
        unplaced=unplaced,
        attribution=world.attribution,
    )


def _fit(points: list[tuple[float, float]], width: float, height: float) -> str:
    """Zoom to the countries in use (with a margin), keeping the map's 2:1-ish aspect ratio."""
    if not points:
        return f"0 0 {width:g} {height:g}"
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    pad = 60.0
    x0, x1 = max(0.0, min(xs) - pad), min(width, max(xs) + pad)
    y0, y1 = max(0.0, min(ys) - pad), min(height, max(ys) + pad)
    w, h = max(x1 - x0, 320.0), max(y1 - y0, 160.0)
    aspect = width / height
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    w, h = min(w, width), min(h, height)
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    x0 = min(max(0.0, cx - w / 2), width - w)
    y0 = min(max(0.0, cy - h / 2), height - h)
    return f"{x0:.0f} {y0:.0f} {w:.0f} {h:.0f}"
