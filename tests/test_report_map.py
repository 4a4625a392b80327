"""The map of where copies live, in a real headless Chromium and as rendered markup.

What a reader must be able to trust: labels are country names in the page's language; no label
sits on a marker or on another label (measured on the rendered page, in both languages, for the
demo estate and for one holding every country of the catalog); the unknown node is in its own box
under the map; every role has its own line, explained in the legend; the page still fetches nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from residency_audit import report
from residency_audit.catalog import load_catalog
from residency_audit.model import Bucket, Certainty, CountryResolution, Location, Role
from residency_audit.report import geo
from residency_audit.report.countries import country_name
from residency_audit.results import ScanResult
from tests.report_builders import demo_result
from tests.test_report_browser import ARTIFACTS, Watched, browser

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with the other browser tests

ROLES = ["replica", "backup", "geo-secondary", "multi-region-member", "key"]


def _catalog_countries() -> list[str]:
    return sorted({cc for e in load_catalog().entries() for cc in e.countries if cc})


def _crowded_result() -> ScanResult:
    """The demo estate plus one Tokyo bucket with a replica in every country of the catalog."""
    demo = demo_result()
    template = demo.inventory.buckets[0]

    def loc(role: Role, cc: str | None) -> Location:
        countries = (cc,) if cc else ()
        res = CountryResolution(
            countries=countries, certainty=Certainty.CONFIRMED, verified=True, source="test"
        )
        return Location(
            role=role, provider="aws", region=f"r-{cc}", mechanism="s3-replication", resolution=res
        )

    extra = Bucket(
        provider=template.provider,
        scope=template.scope,
        name="everywhere",
        uid="arn:aws:s3:::everywhere",
        locations=(
            loc(Role.PRIMARY, "JP"),
            *(loc(Role.REPLICA, cc) for cc in _catalog_countries() if cc != "JP"),
        ),
    )
    inventory = demo.inventory.model_copy(update={"buckets": (*demo.inventory.buckets, extra)})
    return demo.model_copy(update={"inventory": inventory})


# --- the layout, without a browser ---------------------------------------------------------------


def _layout(result: ScanResult) -> geo.MapLayout:
    from residency_audit.report import view

    tiers = view.country_tiers(tuple(result.findings), result.scan.profile.country_tiers)
    return geo.layout_map(geo.geo_picture(result.inventory.buckets, tiers), tiers)


def test_estimated_labels_clear_every_marker_and_each_other_with_every_catalog_country() -> None:
    layout = _layout(_crowded_result())
    assert len(layout.nodes) >= 35
    for lang in ("ja", "en"):
        labels = [(n.node.cc, la.box) for n in layout.nodes for la in n.labels if la.lang == lang]
        assert len(labels) == len(layout.nodes)
        for cc, box in labels:
            for n in layout.nodes:
                assert not geo._hits_circle(box, n.x, n.y, geo._DOT_RADIUS[n.node.tier]), (cc, n)
            assert not [o for o, b in labels if o != cc and geo._overlap(box, b)], (lang, cc)


def test_label_width_estimate_is_never_short_of_a_wide_bold_font() -> None:
    # DejaVu Sans Bold at 10px, measured in Chromium (the widest common system-ui fallback)
    for text, measured in [("Sint Maarten (Dutch part)", 146.0), ("North Korea", 68.5)]:
        assert measured <= geo.text_width(text, 10.0) <= measured * 1.15
    assert geo.text_width("インドネシア", 10.0) == 60.0  # six full-width glyphs


def test_each_role_has_its_own_line_at_any_width() -> None:
    for width in (1.0, 2.0, 3.5):
        styles = [geo.line_style(role, width) for role in ROLES]
        assert len({(s.dash, s.cap, s.marker) for s in styles}) == len(ROLES)
    thin, thick = geo.line_style("backup", 1.2), geo.line_style("backup", 3.6)
    assert [3 * float(v) for v in thin.dash.split()] == pytest.approx(
        [float(v) for v in thick.dash.split()]
    )  # the rhythm scales with the stroke, so a wide flow still reads as dashed


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_map_markup_names_countries_and_keeps_codes_out_of_labels(lang: str) -> None:
    page = report.render_html(demo_result(), lang)
    svg = re.search(r'<svg id="map-svg".*?</svg>', page, re.S)
    assert svg is not None
    labels = dict(
        re.findall(r'<g class="node t-[a-z]+" data-cc="([A-Z]{2})">.*?<text class="label tx" '
                   rf'lang="{lang}" [^>]*>([^<]*)</text>', svg.group(0), re.S)
    )  # fmt: skip
    assert labels["HK"] == country_name("HK", lang) and labels["JP"] == country_name("JP", lang)
    assert not [t for t in labels.values() if re.fullmatch(r"[A-Z]{2}", t)]
    assert "style=" not in svg.group(0) and not re.search(r"\son[a-z]+=", svg.group(0))


# --- in Chromium ---------------------------------------------------------------------------------

# Every marker as the circle around it, every visible label as its box, in page pixels.
_GEOMETRY = """() => {
  const svg = document.getElementById('map-svg');
  const shown = e => getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0;
  const dots = [...svg.querySelectorAll('.node')].map(g => {
    const s = g.querySelector('circle, rect, polygon'), b = s.getBoundingClientRect();
    const square = s.tagName === 'circle' || s.hasAttribute('transform');  // circle, diamond
    return {cc: g.dataset.cc, x: b.left + b.width / 2, y: b.top + b.height / 2,
            r: square ? Math.max(b.width, b.height) / 2 : Math.hypot(b.width, b.height) / 2};
  });
  const labels = [...svg.querySelectorAll('.node .label')].filter(shown).map(t => {
    const b = t.getBoundingClientRect();
    return {cc: t.closest('.node').dataset.cc, text: t.textContent, l: b.left, t: b.top,
            r: b.right, b: b.bottom};
  });
  const s = svg.getBoundingClientRect();
  return {dots, labels, svg: {l: s.left, t: s.top, r: s.right, b: s.bottom}};
}"""


def _clashes(geometry: dict[str, Any]) -> list[tuple[str, str, str]]:
    bad = []
    labels, frame = geometry["labels"], geometry["svg"]
    for a in labels:
        for d in geometry["dots"]:
            nx, ny = min(max(d["x"], a["l"]), a["r"]), min(max(d["y"], a["t"]), a["b"])
            if (d["x"] - nx) ** 2 + (d["y"] - ny) ** 2 < d["r"] ** 2:
                bad.append(("on a marker", a["text"], d["cc"]))
        for b in labels:
            if (
                a is not b
                and a["l"] < b["r"]
                and b["l"] < a["r"]
                and a["t"] < b["b"]
                and b["t"] < a["b"]
            ):
                bad.append(("on a label", a["text"], b["text"]))
        if a["l"] < frame["l"] or a["r"] > frame["r"] or a["t"] < frame["t"] or a["b"] > frame["b"]:
            bad.append(("outside the map", a["text"], ""))
    return bad


# computed dash pattern of a line, divided by its stroke width: the role's rhythm
_PATTERN = """e => { const s = getComputedStyle(e), w = parseFloat(s.strokeWidth);
  const d = s.strokeDasharray === 'none' ? [] : s.strokeDasharray.split(/[ ,]+/).map(parseFloat);
  return [d.map(v => Math.round(v / Math.max(w, 1.2) * 10) / 10).join(' '), s.strokeLinecap,
          !!e.parentNode.querySelector('.mark')]; }"""

_ROLE_NAMES = {
    "ja": [
        "レプリカ",
        "バックアップ",
        "地理冗長セカンダリ",
        "マルチリージョン構成",
        "暗号鍵",
        "CDN エッジキャッシュ",
        "転送ジョブの転送先",
        "オブジェクト名・メタデータの出力先",
    ],
    "en": [
        "Replica",
        "Backup",
        "Geo-secondary",
        "Multi-region member",
        "Encryption key",
        "CDN edge cache",
        "Transfer destination",
        "Object-name and metadata export",
    ],
}
_UNKNOWN_NOTE = {"ja": "国・地域を特定できない", "en": "location whose country is unknown"}


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        outer["x"] <= inner["x"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and outer["y"] <= inner["y"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


@pytest.mark.browser
def test_demo_map_labels_unknown_box_and_role_legend(browser: Any, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    result = demo_result()
    w = Watched(browser)
    page = w.open(result, tmp_path, lang="ja")
    nodes = len(_layout(result).nodes) + 1  # and the unknown node
    for lang in ("ja", "en"):
        if lang == "en":
            page.click("#lang-switch button[data-lang=en]")
        page.locator("#map .map-figure").screenshot(path=str(ARTIFACTS / f"map-{lang}.png"))

        # names in the page's language, none on a marker or on another label
        geometry = page.evaluate(_GEOMETRY)
        assert len(geometry["dots"]) == nodes and len(geometry["labels"]) == nodes
        texts = {a["cc"]: a["text"] for a in geometry["labels"]}
        for cc in ("HK", "CN", "JP", "US", "SG"):
            assert texts[cc] == country_name(cc, lang)
        assert _clashes(geometry) == [], lang

        # the unknown node: in its framed box, in a strip under every country's marker,
        # drawn over the land so it never reads as a place on some coast
        box = page.locator("#map-svg .unknown-box:visible").bounding_box()
        band = page.locator("#map-svg .unknown-band").bounding_box()
        mark = page.locator("#map-svg .node.t-unknown rect").bounding_box()
        others = page.locator("#map-svg .node:not(.t-unknown) :is(circle, rect, polygon)").all()
        lowest = max(b["y"] + b["height"] for b in (o.bounding_box() for o in others))
        assert _inside(mark, box) and _inside(box, band) and band["y"] > lowest
        note = page.locator("#map-svg .node.t-unknown .box-note:visible")
        assert (note.text_content() or "").startswith(_UNKNOWN_NOTE[lang])
        assert _inside(note.bounding_box(), box)  # the explanation fits its box
        flow = page.locator("#map-svg .flow.to-unknown path").first.bounding_box()
        assert flow["y"] + flow["height"] >= box["y"]  # its flow ends at the box

        # every role its own line, the same in the legend as on the map, named in the legend
        items = page.locator(".legend-roles li[data-role]")
        assert items.all_inner_texts() == _ROLE_NAMES[lang]
        legend = {
            role: items.locator(
                f"xpath=self::*[@data-role='{role}']//*[local-name()='line']"
            ).evaluate(_PATTERN)
            for role in ROLES
        }
        assert len({tuple(v) for v in legend.values()}) == len(ROLES)
        assert legend["key"][2] and not legend["replica"][0]  # the key's ring; a replica is solid
        flows = page.locator("#map-svg .flow").all()
        roles = [(f.get_attribute("class") or "").split()[1].removeprefix("role-") for f in flows]
        assert set(roles) == set(ROLES)  # the demo has a flow of every role
        for role, f in zip(roles, flows, strict=True):
            assert f.locator("path").evaluate(_PATTERN) == legend[role], role
    order = page.evaluate(
        "[...document.querySelectorAll('#map-svg > *')].map(e => e.getAttribute('class'))"
    )
    assert order.index("land") < order.index("unknown-band") < order.index("nodes")
    assert (ARTIFACTS / "map-ja.png").stat().st_size > 10_000
    w.clean()  # nothing fetched, no console error
    w.close()


@pytest.mark.browser
def test_no_label_clash_with_every_catalog_country(browser: Any, tmp_path: Path) -> None:
    result = _crowded_result()
    w = Watched(browser)
    page = w.open(result, tmp_path, lang="ja")
    nodes = len(_layout(result).nodes) + 1
    for lang in ("ja", "en"):
        if lang == "en":
            page.click("#lang-switch button[data-lang=en]")
        geometry = page.evaluate(_GEOMETRY)
        assert len(geometry["labels"]) == nodes >= 37
        assert _clashes(geometry) == [], lang
        page.locator("#map .map-figure").screenshot(path=str(ARTIFACTS / f"map-crowded-{lang}.png"))
    w.clean()
    w.close()
