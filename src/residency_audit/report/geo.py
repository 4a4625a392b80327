"""Where the data lives: countries holding copies and the flows between them, laid out on a map.

Every bucket's copies flow from its primary location's countries to each other location's
countries (replica, backup, geo-secondary, multi-region member, key). A bucket with no primary
(a GCS dual- or multi-region) flows from its first member. A location whose country is unknown
flows to the "unknown" node, drawn in a legend box under the map and never left out. Flows are
aggregated by (from, to, role) with the number of buckets, so the picture stays readable for
20,000 buckets; the per-bucket detail lives in the bucket view.

Labels are country names in both report languages, each placed on its own (the names differ in
length) so that none covers a marker or another label; see ``_place_labels``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ..model import Bucket, Certainty, Role
from .countries import country_name, world_map
from .facts import effective_certainty
from .labels import LANGS, all_labels

__all__ = [
    "UNKNOWN",
    "Edge",
    "Flows",
    "GeoPicture",
    "LineStyle",
    "MapLayout",
    "Node",
    "geo_picture",
    "layout_map",
    "line_style",
    "text_width",
]

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


class Flows:
    """The picture's nodes and flows, fed one bucket at a time: only the aggregates are kept
    (the buckets may be on disk). Tiers are applied at the end, when the findings have said
    which country is in which."""

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._edges: dict[tuple[str, str, str], Edge] = {}

    def _node(self, cc: str) -> Node:
        node = self._nodes.get(cc)
        if node is None:
            node = self._nodes[cc] = Node(cc, "")  # its tier is set by picture()
        return node

    def add(self, bucket: Bucket) -> None:
        if not bucket.locations:
            n = self._node(UNKNOWN)  # where this bucket's data lives is unknown
            n.buckets += 1
            n.roles["primary"] = n.roles.get("primary", 0) + 1
            return
        origin = bucket.primary or bucket.locations[0]
        src = _countries(origin.resolution.countries if origin.resolution else ())
        seen_nodes: set[tuple[str, str]] = set()
        seen_edges: set[tuple[str, str, str]] = set()
        for loc in bucket.locations:
            if loc.resolution is not None and loc.resolution.none_left:
                continue  # a CDN whose geo restriction leaves no edge holds no copy anywhere
            possible = effective_certainty(loc) is Certainty.POSSIBLE
            dst = _countries(loc.resolution.countries if loc.resolution else ())
            for cc in dst:
                if (cc, loc.role.value) not in seen_nodes:
                    n = self._node(cc)
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
                    edge = self._edges.get(key)
                    if edge is None:
                        edge = self._edges[key] = Edge(s, d, loc.role.value)
                    edge.buckets += 1
                    edge.possible += possible
                    edge.mechanisms.add(loc.mechanism)
        for cc in {cc for cc, _ in seen_nodes}:
            self._nodes[cc].buckets += 1

    def picture(self, tiers: dict[str, str]) -> GeoPicture:
        nodes = self._nodes
        for n in nodes.values():
            n.tier = "unknown" if n.cc == UNKNOWN else tiers.get(n.cc, "ok")
        ordered_nodes = sorted(nodes.values(), key=lambda n: (_TIER_RANK[n.tier], -n.buckets, n.cc))
        ordered_edges = sorted(
            self._edges.values(),
            key=lambda e: (
                _TIER_RANK[nodes[e.dst].tier],
                -e.buckets,
                e.src,
                e.dst,
                _ROLE_ORDER.index(e.role) if e.role in _ROLE_ORDER else 99,
            ),
        )
        return GeoPicture(ordered_nodes, ordered_edges)


def geo_picture(buckets: Iterable[Bucket], tiers: dict[str, str]) -> GeoPicture:
    flows = Flows()
    for bucket in buckets:
        flows.add(bucket)
    return flows.picture(tiers)


# --- layout ------------------------------------------------------------------------------------

# Each role keeps its own line however thick the flow: a dash pattern in units of the stroke width
# (so a wide flow keeps its rhythm), round caps for the key's dots, and a ring at the key flow's
# middle. Solid means a replica, the plainest copy; a key is not a copy of the data, hence dots.
_ROLE_DASH: dict[str, tuple[tuple[float, ...], bool]] = {
    "replica": ((), False),
    "backup": ((5.0, 2.5), False),
    "geo-secondary": ((1.6, 2.2), False),
    "multi-region-member": ((5.0, 2.0, 1.2, 2.0), False),
    "key": ((0.01, 2.6), True),
    "cache": ((0.01, 1.8, 3.0, 1.8), True),
    "transfer": ((8.0, 2.0), False),
    "metadata": ((0.01, 2.0, 0.01, 4.0), True),
}
_MARKED_ROLES = frozenset({"key"})


@dataclass(frozen=True)
class LineStyle:
    role: str
    dash: str  # SVG stroke-dasharray ("" = solid)
    cap: str  # SVG stroke-linecap
    marker: bool  # a ring at the middle of the flow


def line_style(role: str, width: float) -> LineStyle:
    pattern, round_cap = _ROLE_DASH.get(role, ((3.0, 3.0), False))
    unit = max(width, 1.2)  # thin lines would make the dots and short dashes vanish
    dash = " ".join(f"{v * unit:.2f}".rstrip("0").rstrip(".") or "0" for v in pattern)
    return LineStyle(role, dash, "round" if round_cap else "butt", role in _MARKED_ROLES)


LEGEND_ROLES = [
    "replica",
    "backup",
    "geo-secondary",
    "multi-region-member",
    "key",
    "cache",
    "transfer",
    "metadata",
]

# The drawn marker of each tier, as the radius of a circle around the node's point that encloses it
# (diamond: 10x10 square turned 45 degrees; triangle: apex 6 up, base 5.5 either side, 4 down).
_DOT_RADIUS = {"concern": 7.1, "gov": 8.5, "caution": 5.0, "ok": 4.0, "unknown": 9.9}
_LABEL_SIZE = {"concern": 11.0}  # font size in map units (CSS: .label 10px, concern 11px)
_CLEAR = 1.5  # gap kept between a label and any marker, and between two labels


def text_width(text: str, size: float, *, bold: bool = True) -> float:
    """An upper estimate of a bold label's width: no font metrics exist at render time.

    The groups are DejaVu Sans Bold's advances (the widest common fallback for system-ui,
    measured in Chromium); CJK glyphs are a full em in every Japanese font. The regular weight
    is about a tenth narrower, except for CJK.
    """
    em, wide = 0.0, 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF":
            wide += 1.0
        elif ch in " 'ijlIJ/\\|,.:;f-!()[]":
            em += 0.47
        elif ch in 'tr_`"*':
            em += 0.52
        elif ch in "mwMW%@":
            em += 1.1
        elif ch.isdigit() or ch.islower():
            em += 0.73
        else:
            em += 0.86
    return (wide + em * (1.0 if bold else 0.9)) * size


Box = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True)
class PlacedLabel:
    lang: str
    text: str
    x: float  # left end (text-anchor start)
    y: float  # baseline
    box: Box  # the estimated extent, used for placement
    leader: tuple[float, float, float, float] | None  # from the marker to a label set apart


@dataclass(frozen=True)
class PlacedNode:
    node: Node
    x: float
    y: float
    labels: tuple[PlacedLabel, ...]  # one per report language; CSS shows the page's


@dataclass(frozen=True)
class PlacedEdge:
    edge: Edge
    path: str
    arrow: str  # polygon points of the arrow head
    width: float
    style: LineStyle
    middle: tuple[float, float]  # where a role marker sits


@dataclass(frozen=True)
class UnknownBox:
    """The legend box below the map holding the '?' node: it has no place on any coast."""

    band: Box  # the strip below the map, drawn over the land outlines (and any letterbox)
    boxes: tuple[tuple[str, Box], ...]  # (lang, the framed box inside the strip, sized to its text)
    node: PlacedNode  # at the box's left, with its label beside it
    notes: tuple[tuple[str, str, float, float], ...]  # (lang, what '?' means, x, baseline)


@dataclass(frozen=True)
class MapLayout:
    view_box: str
    width: float
    height: float
    outlines: list[tuple[str, str, str]]  # (cc, tier or "", path)
    nodes: list[PlacedNode]  # every node with a point on the map; the unknown node is in `unknown`
    edges: list[PlacedEdge]
    unplaced: list[Node]  # countries with no point on the map (listed in the table)
    attribution: str
    unknown: UnknownBox | None
    names: dict[str, dict[str, str]]  # cc -> lang -> name, for tooltips
    legend: list[LineStyle]  # every role's line at the legend's width


def _hits_circle(box: Box, cx: float, cy: float, r: float) -> bool:
    nx, ny = min(max(cx, box[0]), box[2]), min(max(cy, box[1]), box[3])
    return math.hypot(cx - nx, cy - ny) < r


def _overlap(a: Box, b: Box, gap: float = 0.0) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _segment_hits(seg: tuple[float, float, float, float], box: Box) -> bool:
    """Liang-Barsky: does the segment pass through the box?"""
    x1, y1, x2, y2 = seg
    dx, dy = x2 - x1, y2 - y1
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x1 - box[0]), (dx, box[2] - x1), (-dy, y1 - box[1]), (dy, box[3] - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return False
    return True


def _segment_near(seg: tuple[float, float, float, float], cx: float, cy: float, r: float) -> bool:
    x1, y1, x2, y2 = seg
    dx, dy = x2 - x1, y2 - y1
    t = max(0.0, min(1.0, ((cx - x1) * dx + (cy - y1) * dy) / ((dx * dx + dy * dy) or 1.0)))
    return math.hypot(x1 + t * dx - cx, y1 + t * dy - cy) < r


Segment = tuple[float, float, float, float]
_FAR_GAP = 160.0  # the outermost ring of candidate spots
_NEAR = [0.0, 180.0, -90.0, 90.0, -40.0, 40.0, -140.0, 140.0]
_FAR = [a * 22.5 for a in range(16)]


def _candidates(x: float, y: float, r: float, w: float, h: float) -> Iterator[Box]:
    """Boxes around a marker, nearest first: just beside it, then rings further out."""
    rings = [(_CLEAR, _NEAR), *((g, _FAR) for g in (7, 14, 24, 36, 50, 66, 84, 105, 130, _FAR_GAP))]
    for gap, angles in rings:
        for deg in angles:
            ux, uy = math.cos(math.radians(deg)), math.sin(math.radians(deg))
            reach = r + gap + w / 2 * abs(ux) + h / 2 * abs(uy)
            cx, cy = x + ux * reach, y + uy * reach
            yield (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


T = TypeVar("T")


class _Grid(Generic[T]):
    """Items by the 24-unit cells their extent touches, so a spot is checked only against what
    is near it (a crowded map has thousands of candidate spots)."""

    _CELL = 24.0

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list[T]] = {}

    def _keys(self, box: Box) -> Iterator[tuple[int, int]]:
        c = self._CELL
        for i in range(math.floor(box[0] / c), math.floor(box[2] / c) + 1):
            for j in range(math.floor(box[1] / c), math.floor(box[3] / c) + 1):
                yield i, j

    def add(self, extent: Box, item: T) -> None:
        for key in self._keys(extent):
            self._cells.setdefault(key, []).append(item)

    def near(self, box: Box) -> list[T]:
        found: dict[int, T] = {}
        for key in self._keys((box[0] - _CLEAR, box[1] - _CLEAR, box[2] + _CLEAR, box[3] + _CLEAR)):
            for item in self._cells.get(key, ()):
                found.setdefault(id(item), item)
        return list(found.values())


def _extent(seg: Segment) -> Box:
    return (min(seg[0], seg[2]), min(seg[1], seg[3]), max(seg[0], seg[2]), max(seg[1], seg[3]))


def _place_labels(
    dots: list[tuple[str, float, float, float]],
    texts: dict[str, tuple[str, float]],
    bounds: Box,
    order: list[str],
) -> dict[str, tuple[Box, Segment | None]]:
    """Greedy placement: each label goes to the nearest spot that covers no marker and no label.

    Labels are placed most important first; one whose spot is away from its marker gets a leader
    line, which later labels keep clear of too. If nothing is free, the spot with the fewest
    faults is used: a label is never dropped.
    """
    where = {cc: (x, y, r) for cc, x, y, r in dots}
    dot_grid: _Grid[tuple[str, float, float, float]] = _Grid()
    for dot in dots:
        _, dx, dy, dr = dot
        dot_grid.add((dx - dr, dy - dr, dx + dr, dy + dr), dot)
    box_grid: _Grid[Box] = _Grid()
    leader_grid: _Grid[Segment] = _Grid()
    out: dict[str, tuple[Box, Segment | None]] = {}
    for cc in order:
        text, size = texts[cc]
        x, y, r = where[cc]
        w, h = text_width(text, size) + 2, size * 1.3
        best: tuple[int, Box, Segment | None] | None = None
        for box in _candidates(x, y, r, w, h):
            # a label on a marker, on a label or off the map is what must never happen (10);
            # a leader line crossing something only costs legibility (1)
            # (a spot is given up as soon as it cannot beat the best one so far)
            limit = best[0] if best else 1 << 30
            faults = 10 * int(not (bounds[0] <= box[0] and box[2] <= bounds[2]))
            faults += 10 * int(not (bounds[1] <= box[1] and box[3] <= bounds[3]))
            if faults >= limit:
                continue
            faults += 10 * sum(
                _hits_circle(box, dx, dy, dr + _CLEAR) for _, dx, dy, dr in dot_grid.near(box)
            )
            if faults >= limit:
                continue
            faults += 10 * sum(_overlap(box, b, _CLEAR) for b in box_grid.near(box))
            faults += sum(_segment_hits(seg, box) for seg in leader_grid.near(box))
            if faults >= limit:
                continue
            nx, ny = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
            d = math.hypot(nx - x, ny - y)
            leader = None
            if d > r + _CLEAR + 4:
                leader = (x + (nx - x) / d * r, y + (ny - y) / d * r, nx, ny)
                span = _extent(leader)
                faults += sum(_segment_hits(leader, b) for b in box_grid.near(span))
                faults += sum(
                    _segment_near(leader, dx, dy, dr)
                    for o, dx, dy, dr in dot_grid.near(span)
                    if o != cc
                )
            if faults < limit:
                best = (faults, box, leader)
            if faults == 0:
                break
        assert best is not None
        box_grid.add(best[1], best[1])
        if best[2]:
            leader_grid.add(_extent(best[2]), best[2])
        out[cc] = (best[1], best[2])
    return out


def _arc(
    x1: float, y1: float, x2: float, y2: float, bend: float
) -> tuple[str, str, tuple[float, float]]:
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
    middle = (0.25 * x1 + 0.5 * cx + 0.25 * ex, 0.25 * y1 + 0.5 * cy + 0.25 * ey)
    return path, arrow, middle


_BAND = 30.0  # height of the strip below the map that holds the unknown node's box


def _unknown_box(
    picture: GeoPicture, positions: dict[str, tuple[float, float]], view: Box
) -> UnknownBox:
    """The '?' box in a strip under the map, below the countries it exchanges copies with."""
    x0, _, x1, y1 = view
    band = (x0 - x1, y1, x1 + x1, y1 + _BAND)  # wide enough to cover a letterboxed page too
    size, note_size = 10.0, 9.0
    texts = {
        lang: (all_labels()["unknown"][lang], all_labels()["map.unknown_note"][lang])
        for lang in LANGS
    }
    widths = {
        lang: (text_width(a, size), text_width(b, note_size, bold=False))
        for lang, (a, b) in texts.items()
    }
    widths_of = {lang: 8 + 14 + 5 + a + 8 + b + 8 for lang, (a, b) in widths.items()}
    width = max(widths_of.values())  # the position suits the longer text: no jump on switching
    peers = [
        positions[cc][0]
        for e in picture.edges
        for cc in (e.src, e.dst)
        if cc != UNKNOWN and cc in positions and UNKNOWN in (e.src, e.dst)
    ]
    centre = sum(peers) / len(peers) if peers else x0 + width / 2 + 6
    left = min(max(centre - width / 2, x0 + 6), x1 - 6 - width)
    top, bottom = y1 + 5, y1 + _BAND - 5
    boxes = tuple((lang, (left, top, left + w, bottom)) for lang, w in widths_of.items())
    nx, ny = left + 8 + 7, top + (_BAND - 10) / 2
    label_x, base = nx + 7 + 5, ny + size * 0.38
    labels = tuple(
        PlacedLabel(
            lang,
            a,
            label_x,
            base,
            (label_x, base - size, label_x + widths[lang][0], base + 2),
            None,
        )
        for lang, (a, _) in texts.items()
    )
    notes = tuple(
        (lang, b, label_x + widths[lang][0] + 8, ny + note_size * 0.38)
        for lang, (_, b) in texts.items()
    )
    unknown = next(n for n in picture.nodes if n.cc == UNKNOWN)
    return UnknownBox(band=band, boxes=boxes, node=PlacedNode(unknown, nx, ny, labels), notes=notes)


def _label_order(picture: GeoPicture, positions: dict[str, tuple[float, float]]) -> list[str]:
    """Countries of concern first (their labels get the nearest spots), then the most crowded."""

    def crowd(cc: str) -> int:
        x, y = positions[cc]
        return sum(math.hypot(x - ox, y - oy) < 60 for ox, oy in positions.values())

    placed = [n for n in picture.nodes if n.cc in positions and n.cc != UNKNOWN]
    return [n.cc for n in sorted(placed, key=lambda n: (_TIER_RANK[n.tier], -crowd(n.cc), n.cc))]


def layout_map(picture: GeoPicture, tiers: dict[str, str]) -> MapLayout:
    world = world_map()
    positions: dict[str, tuple[float, float]] = {}
    unplaced = []
    for n in picture.nodes:
        if n.cc in world.points:
            positions[n.cc] = world.points[n.cc]
        elif n.cc != UNKNOWN:
            unplaced.append(n)
    vx, vy, vw, vh = _fit(list(positions.values()), world.width, world.height)
    view = (vx, vy, vx + vw, vy + vh)
    unknown = None
    if any(n.cc == UNKNOWN for n in picture.nodes):
        unknown = _unknown_box(picture, positions, view)
        positions[UNKNOWN] = (unknown.node.x, unknown.node.y)
    tier_of = {n.cc: n.tier for n in picture.nodes}
    dots = [(cc, x, y, _DOT_RADIUS[tier_of[cc]]) for cc, (x, y) in positions.items()]
    order = _label_order(picture, positions)
    bounds = (view[0] + 2, view[1] + 2, view[2] - 2, view[3] - 2)
    names = {cc: {lang: country_name(cc, lang) for lang in LANGS} for cc in order}
    labels: dict[str, list[PlacedLabel]] = {cc: [] for cc in order}
    for lang in LANGS:
        texts = {cc: (names[cc][lang], _LABEL_SIZE.get(tier_of[cc], 10.0)) for cc in order}
        for cc, (box, leader) in _place_labels(dots, texts, bounds, order).items():
            text, size = texts[cc]
            labels[cc].append(
                PlacedLabel(lang, text, box[0] + 1, box[1] + 1.05 * size, box, leader)
            )
    nodes = [
        PlacedNode(n, *positions[n.cc], tuple(labels[n.cc]))
        for n in picture.nodes
        if n.cc in positions and n.cc != UNKNOWN
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
        path, arrow, middle = _arc(x1, y1, x2, y2, 0.18 + 0.12 * k)  # parallel roles fan out
        width = round(1.0 + 2.5 * math.log1p(e.buckets) / math.log1p(max(max_buckets, 50)), 2)
        edges.append(PlacedEdge(e, path, arrow, width, line_style(e.role, width), middle))
    outlines = [(cc, tiers.get(cc, ""), p) for cc, p in sorted(world.outlines.items())]
    height = vh + (_BAND if unknown else 0.0)
    names[UNKNOWN] = {lang: all_labels()["unknown"][lang] for lang in LANGS}
    return MapLayout(
        view_box=f"{vx:.0f} {vy:.0f} {vw:.0f} {height:.0f}",
        width=world.width,
        height=world.height,
        outlines=outlines,
        nodes=nodes,
        edges=edges,
        unplaced=unplaced,
        attribution=world.attribution,
        unknown=unknown,
        names=names,
        legend=[line_style(role, 2.0) for role in LEGEND_ROLES],
    )


def _fit(points: list[tuple[float, float]], width: float, height: float) -> tuple[float, ...]:
    """Zoom to the countries in use (with a margin), keeping the map's 2:1-ish aspect ratio."""
    if not points:
        return (0.0, 0.0, width, height)
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
    return (round(x0), round(y0), round(w), round(h))
