"""The shipped CDN edge rows, as a compliance officer reads them: which countries a CloudFront
price class, Azure Front Door / Azure CDN from Microsoft and Cloud CDN may cache in, how a geo
restriction narrows them, and what the jp-default profile makes of the result.

The countries come from the providers' published edge lists (sources on each row of
``regions.csv``: AWS's price-class table, pricing regions and edge-location cities; Microsoft's
Front Door POP lists; Google's Cloud CDN / network edge locations). Every case resolves through
``load_catalog().resolve`` or the rules, the way a scan's cache locations do.
"""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from residency_audit.catalog import Catalog, CatalogDataError, iso_countries, load_catalog
from residency_audit.catalog.drift import compare
from residency_audit.catalog.entries import RegionEntry
from residency_audit.catalog.listing import ListedRegion, RegionListing
from residency_audit.cli import cli
from residency_audit.model import (
    Bucket,
    Certainty,
    EdgeFilter,
    Inventory,
    Location,
    Namespace,
    Role,
    ScopeResult,
)
from residency_audit.profiles import load_profile
from residency_audit.profiles.model import Tier
from residency_audit.rules import ClassificationSettings, EvaluationSettings, evaluate

PRICE_CLASSES = (
    "cloudfront:PriceClass_100",
    "cloudfront:PriceClass_200",
    "cloudfront:PriceClass_All",
)
CDN_CODES = (
    *(("aws", c) for c in PRICE_CLASSES),
    ("azure", "frontdoor"),
    ("azure", "cdn:Standard_Microsoft"),
    ("gcp", "cloud-cdn"),
)


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _cache(
    provider: str, code: str, edge_filter: EdgeFilter | None = None, mechanism: str = "cloudfront"
) -> Location:
    return Location(
        role=Role.CACHE,
        provider=provider,
        region=code,
        namespace=Namespace.CDN,
        mechanism=mechanism,
        target="E2EXAMPLE",
        certainty=Certainty.POSSIBLE,
        edge_filter=edge_filter,
    )


def _edges(cat: Catalog, provider: str, code: str) -> set[str]:
    return set(cat.resolve(_cache(provider, code)).countries)


# -- the rows ----------------------------------------------------------------------------------


def test_every_cdn_code_the_plugins_emit_has_a_sourced_row_of_iso_countries(cat: Catalog) -> None:
    iso = iso_countries()
    rows = cat.entries(namespace=Namespace.CDN)
    assert {(e.provider, e.code) for e in rows} == set(CDN_CODES)
    for e in rows:
        assert e.location_type == "cdn-edge" and e.candidates, e.code
        assert e.source.strip() and e.notes.strip(), e.code
        assert e.countries and all(cc in iso for cc in e.countries), e.code


@pytest.mark.parametrize(("provider", "code"), CDN_CODES)
def test_a_cdn_resolves_to_possible_copies_in_its_edge_countries(
    cat: Catalog, provider: str, code: str
) -> None:
    res = cat.resolve(_cache(provider, code))
    assert res.certainty is Certainty.POSSIBLE and not res.unmapped and res.countries
    assert "edge locations" in res.note and "エッジロケーション" in res.note_ja
    assert "does not disclose" not in res.note


def test_price_class_100_stays_in_north_america_europe_and_israel(cat: Catalog) -> None:
    edges = _edges(cat, "aws", "cloudfront:PriceClass_100")
    assert {"US", "CA", "MX", "DE", "GB", "FR", "IL"} <= edges
    assert not edges & {"JP", "HK", "SG", "TW", "IN", "KR", "BR", "AU", "ZA", "AE"}


def test_price_class_200_adds_asia_africa_and_the_middle_east_but_not_south_america(
    cat: Catalog,
) -> None:
    edges = _edges(cat, "aws", "cloudfront:PriceClass_200")
    assert {"JP", "HK", "SG", "KR", "TW", "PH", "IN", "ZA", "KE", "AE", "ID", "TH"} <= edges
    assert not edges & {"BR", "AR", "CL", "AU", "NZ"}


def test_each_price_class_contains_the_smaller(cat: Catalog) -> None:
    p100, p200, pall = (_edges(cat, "aws", c) for c in PRICE_CLASSES)
    assert p100 < p200 < pall
    assert {"HK", "BR", "AU", "NZ"} <= pall


def test_no_edge_set_puts_hong_kong_macau_or_taiwan_in_mainland_china(cat: Catalog) -> None:
    for provider, code in CDN_CODES:
        edges = _edges(cat, provider, code)
        assert "CN" not in edges, code  # CloudFront in China is the aws-cn partition's own service
    pall = cat.lookup("aws", "cloudfront:PriceClass_All", Namespace.CDN)
    assert pall is not None and "aws-cn" in pall.notes and "Sinnet" in pall.notes
    for provider, code in (("aws", "cloudfront:PriceClass_All"), ("azure", "frontdoor")):
        assert {"HK", "TW"} <= _edges(cat, provider, code)
    assert {"HK", "TW"} <= _edges(cat, "gcp", "cloud-cdn")


def test_azure_cdn_from_microsoft_serves_from_front_door_pops(cat: Catalog) -> None:
    assert _edges(cat, "azure", "cdn:Standard_Microsoft") == _edges(cat, "azure", "frontdoor")
    # Azure normalises codes: the SKU as ARM spells it in any case finds the same row
    assert cat.lookup("azure", "cdn:standard_microsoft", Namespace.CDN) is not None


@pytest.mark.parametrize(
    "sku", ["cdn:Standard_Verizon", "cdn:Premium_Verizon", "cdn:Standard_Akamai"]
)
def test_a_retired_azure_cdn_sku_is_unknown_not_front_door(cat: Catalog, sku: str) -> None:
    res = cat.resolve(_cache("azure", sku, mechanism="azure-cdn"))
    assert res.unmapped and res.countries == ()
    row = cat.lookup("azure", "cdn:Standard_Microsoft", Namespace.CDN)
    assert row is not None and "Edgio" in row.notes and "Akamai" in row.notes


def test_rows_built_from_inference_say_what_is_unverified(cat: Catalog) -> None:
    rows = {e.code: e for e in cat.entries(namespace=Namespace.CDN)}
    assert "Puerto Rico" in rows["cloudfront:PriceClass_100"].unverified
    assert "Egypt" in rows["cloudfront:PriceClass_200"].unverified
    assert "outside" in rows["cloudfront:PriceClass_100"].unverified  # occasional other edges
    assert not rows["cloud-cdn"].verified
    res = cat.resolve(_cache("aws", "cloudfront:PriceClass_200"))
    assert not res.verified and "unverified catalog row" in res.note


# -- geo restrictions on the shipped rows ------------------------------------------------------


def test_an_allow_list_of_japan_only_leaves_the_japanese_edges(cat: Catalog) -> None:
    f = EdgeFilter(mode="allow", countries=("JP",))
    res = cat.resolve(_cache("aws", "cloudfront:PriceClass_All", f))
    assert res.countries == ("JP",) and res.certainty is Certainty.POSSIBLE


def test_blocking_hong_kong_takes_its_edges_out_and_keeps_the_rest(cat: Catalog) -> None:
    f = EdgeFilter(mode="block", countries=("HK", "CN"))
    res = cat.resolve(_cache("azure", "frontdoor", f, mechanism="azure-front-door"))
    assert "HK" not in res.countries and {"JP", "SG", "TW"} <= set(res.countries)


def test_viewers_allowed_where_the_price_class_has_no_edge_keep_every_edge(cat: Catalog) -> None:
    # Japanese viewers of a PriceClass_100 distribution are served from North American or
    # European edges: restricting to Japan narrows nothing, and nothing is "no copy"
    f = EdgeFilter(mode="allow", countries=("JP",))
    res = cat.resolve(_cache("aws", "cloudfront:PriceClass_100", f))
    assert set(res.countries) == _edges(cat, "aws", "cloudfront:PriceClass_100")
    assert not res.none_left and "not narrowed" in res.note


# -- what the jp-default profile makes of it ---------------------------------------------------


def _findings(*locations: Location) -> list[tuple[str, ...]]:
    primary = Location(role=Role.PRIMARY, provider="aws", region="ap-northeast-1", mechanism="m")
    bucket = Bucket(
        provider="aws", scope="111122223333", name="b", uid="arn:aws:s3:::b",
        locations=(primary, *locations),
    )  # fmt: skip
    inv = load_catalog().resolve_inventory(
        Inventory(scopes=(ScopeResult(provider="aws", scope="111122223333"),), buckets=(bucket,))
    )
    settings = EvaluationSettings(
        classification=ClassificationSettings(), attestations=(), today=date(2026, 12, 3)
    )
    found = evaluate(inv, load_profile("jp-default"), settings)
    return [
        (*f.guideline_items, f.location.role.value, f.location.country or "")
        for f in found
        if f.location is not None and f.location.role is Role.CACHE
    ]


def test_the_demo_profile_treats_hong_kong_as_a_country_of_concern() -> None:
    policy = load_profile("jp-default").classify("HK")
    assert policy.tier is Tier.CONCERN and policy.government_access


def test_price_class_all_is_an_act_at_once_finding_for_hong_kong() -> None:
    found = _findings(_cache("aws", "cloudfront:PriceClass_All"))
    assert ("(2)-1", "cache", "HK") in found


def test_price_class_100_raises_no_concern_finding() -> None:
    found = _findings(_cache("aws", "cloudfront:PriceClass_100"))
    assert not [f for f in found if "(2)-1" in f]


def test_a_geo_restriction_to_japan_removes_the_concern_finding() -> None:
    f = EdgeFilter(mode="allow", countries=("JP",))
    found = _findings(_cache("aws", "cloudfront:PriceClass_All", f))
    assert not [x for x in found if "(2)-1" in x]


# -- loader and catalog commands ---------------------------------------------------------------


def _row(**kw: object) -> RegionEntry:
    base: dict[str, object] = dict(
        provider="aws", code="cloudfront:PriceClass_X", display_name="", city="",
        countries=("US",), cloud="aws", location_type="cdn-edge", members=(), candidates=True,
        verified=True, notes="", source="test", namespace="cdn",
    )  # fmt: skip
    base.update(kw)
    return RegionEntry(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"location_type": "edge"}, "unknown location_type"),
        ({"namespace": "region"}, "belongs to the cdn namespace"),
        ({"location_type": "region"}, "belongs to the cdn namespace"),
        ({"candidates": False}, "candidates"),
    ],
)
def test_the_loader_rejects_a_malformed_cdn_row(bad: dict[str, object], message: str) -> None:
    Catalog([_row()])
    with pytest.raises(CatalogDataError, match=message):
        Catalog([_row(**bad)])


def test_catalog_check_does_not_count_edge_sets_as_regions_not_listed(cat: Catalog) -> None:
    regions = tuple(
        ListedRegion(code=e.code, cloud=e.cloud, display_name=e.display_name)
        for e in cat.entries(provider="aws", namespace="region")
    )
    drift = compare(RegionListing("aws", "crafted", regions, gives_cloud=True), cat)
    assert not drift.drift and not drift.not_listed


def test_regions_command_lists_the_edge_sets_for_a_country() -> None:
    out = CliRunner().invoke(cli, ["regions", "--country", "HK"])
    assert out.exit_code == 0, out.output
    lines = [line.split("\t") for line in out.output.splitlines()]
    codes = {cells[1] for cells in lines[1:]}
    assert {"cloudfront:PriceClass_200", "frontdoor", "cloud-cdn"} <= codes
    assert "cloudfront:PriceClass_100" not in codes
    edge = next(c for c in lines if c[1] == "cloudfront:PriceClass_All")
    assert edge[4] == "cdn-edge (candidates)" and edge[6] == "UNVERIFIED"
