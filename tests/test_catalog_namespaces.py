"""Location codes live in namespaces: a Cloud KMS location is not the GCS location of the same
spelling, a GCS zone is its region, an Azure Edge Zone is its own code. Built on small hand-made
catalogs so the rules are proved apart from the shipped data (tests/test_catalog_data.py)."""

from __future__ import annotations

import pytest

from residency_audit.catalog import Catalog, CatalogDataError, RegionEntry
from residency_audit.model import Certainty, EdgeFilter, Location, Namespace, Role


def _row(code: str, countries: str, *, namespace: str = "region", **kw: object) -> RegionEntry:
    fields: dict[str, object] = {
        "provider": "gcp",
        "code": code,
        "display_name": "",
        "city": "",
        "countries": tuple(countries.split(";")) if countries else (),
        "cloud": "gcp",
        "location_type": "region",
        "members": (),
        "candidates": False,
        "verified": True,
        "notes": "",
        "source": "test",
        "namespace": namespace,
    }
    fields.update(kw)
    return RegionEntry(**fields)  # type: ignore[arg-type]


CATALOG = Catalog(
    [
        _row("us-central1", "US"),
        _row("europe-west4", "NL"),
        _row("asia-east1", "TW"),
        _row("NAM4", "US", location_type="dual-region"),
        _row("nam-eur-asia1", "US;NL;TW", namespace="kms", location_type="multi-region"),
        _row("global", "US;NL;TW", namespace="kms", location_type="global", candidates=True),
    ]
)


def _resolve(code: str, namespace: Namespace = Namespace.REGION, role: Role = Role.KEY) -> Location:
    loc = Location(role=role, provider="gcp", region=code, namespace=namespace, mechanism="m")
    return loc.model_copy(update={"resolution": CATALOG.resolve(loc)})


def test_a_kms_location_resolves_from_its_own_namespace() -> None:
    res = _resolve("nam-eur-asia1", Namespace.KMS).resolution
    assert res is not None and res.countries == ("US", "NL", "TW")
    # the same spelling in the storage namespace is not a KMS location
    unmapped = _resolve("nam-eur-asia1").resolution
    assert unmapped is not None and unmapped.countries == () and unmapped.unmapped


def test_kms_global_is_possible_over_every_candidate() -> None:
    res = _resolve("global", Namespace.KMS).resolution
    assert res is not None
    assert res.countries == ("US", "NL", "TW") and res.certainty is Certainty.POSSIBLE


def test_a_single_region_is_a_kms_location_too_but_a_gcs_dual_region_is_not() -> None:
    single = _resolve("us-central1", Namespace.KMS).resolution
    assert single is not None and single.countries == ("US",)
    dual = _resolve("nam4", Namespace.KMS).resolution
    assert dual is not None and dual.countries == () and dual.unmapped
    assert "kms namespace" in dual.note


def test_a_gcs_zone_resolves_to_its_region_and_says_so() -> None:
    res = _resolve("us-central1-a", role=Role.PRIMARY).resolution
    assert res is not None and res.countries == ("US",) and not res.unmapped
    assert "zone of us-central1" in res.note and "us-central1" in res.note_ja
    # a zone of a region the catalog lacks, and a zone-like code of no region, stay unknown
    for code in ("us-central9-a", "us-central1-ab"):
        res = _resolve(code, role=Role.PRIMARY).resolution
        assert res is not None and res.countries == () and res.unmapped, code


def test_an_edge_zone_code_is_found_only_in_its_namespace() -> None:
    cat = Catalog(
        [
            _row("westus", "US", provider="azure"),
            _row(
                "losangeles",
                "US",
                provider="azure",
                namespace="edge-zone",
                location_type="edge-zone",
            ),
        ]
    )
    loc = Location(role=Role.PRIMARY, provider="azure", region="losangeles", mechanism="m")
    assert cat.resolve(loc).unmapped
    edge = loc.model_copy(update={"namespace": Namespace.EDGE_ZONE})
    assert cat.resolve(edge).countries == ("US",)


def test_the_same_code_may_appear_once_per_namespace_only() -> None:
    Catalog([_row("asia", "JP"), _row("asia", "JP", namespace="kms")])
    with pytest.raises(CatalogDataError, match="duplicate catalog code gcp:ASIA in namespace kms"):
        Catalog([_row("asia", "JP", namespace="kms"), _row("ASIA", "JP", namespace="kms")])
    with pytest.raises(CatalogDataError, match="unknown namespace"):
        Catalog([_row("asia", "JP", namespace="keys")])


def test_inventories_written_before_namespaces_load_as_storage_regions() -> None:
    loc = Location.model_validate(
        {"role": "primary", "provider": "gcp", "region": "us-central1", "mechanism": "m"}
    )
    assert loc.namespace is Namespace.REGION
    assert (
        Location.model_validate_json(
            loc.model_copy(update={"namespace": Namespace.KMS}).model_dump_json()
        ).namespace
        is Namespace.KMS
    )


# -- CDN edges: a price class is its own code, narrowed by the distribution's geo restriction --

EDGES = Catalog(
    [
        _row("asia-east1", "TW"),
        _row(
            "cloudfront:PriceClass_All",
            "US;JP;HK;SG",
            namespace="cdn",
            location_type="cdn-edge",
            candidates=True,
        ),
    ]
)


def _edge(
    edge_filter: EdgeFilter | None = None, code: str = "cloudfront:PriceClass_All"
) -> Location:
    return Location(
        role=Role.CACHE,
        provider="gcp",
        region=code,
        namespace=Namespace.CDN,
        mechanism="cloudfront",
        certainty=Certainty.POSSIBLE,
        edge_filter=edge_filter,
    )


def test_a_price_class_resolves_to_its_edge_countries_as_possible_copies() -> None:
    res = EDGES.resolve(_edge())
    assert res.countries == ("US", "JP", "HK", "SG")
    assert res.certainty is Certainty.POSSIBLE and not res.none_left and not res.unmapped


def test_an_allow_list_keeps_only_its_countries_and_says_so() -> None:
    res = EDGES.resolve(_edge(EdgeFilter(mode="allow", countries=("jp", "US"))))
    assert res.countries == ("US", "JP")
    assert "allow list (JP, US)" in res.note and "許可リスト" in res.note_ja


def test_an_allowed_country_without_an_edge_keeps_every_edge() -> None:
    # French viewers are served from whichever edges are nearest: the catalog cannot say which
    res = EDGES.resolve(_edge(EdgeFilter(mode="allow", countries=("JP", "FR"))))
    assert res.countries == ("US", "JP", "HK", "SG") and not res.none_left
    assert "not narrowed" in res.note and "FR" in res.note and "絞り込みません" in res.note_ja


def test_a_block_list_takes_its_countries_out() -> None:
    res = EDGES.resolve(_edge(EdgeFilter(mode="block", countries=("HK",))))
    assert res.countries == ("US", "JP", "SG")
    assert "block list (HK)" in res.note and "拒否リスト" in res.note_ja


def test_a_restriction_that_leaves_no_edge_is_no_copy_not_an_unknown() -> None:
    # an allow list naming no country serves no viewer at all
    res = EDGES.resolve(_edge(EdgeFilter(mode="allow", countries=())))
    assert res.countries == () and res.none_left and not res.unmapped


def test_a_price_class_is_not_a_region_code() -> None:
    # the same spelling in the region namespace is not in the catalog: unmapped, not an edge set
    res = EDGES.resolve(_edge().model_copy(update={"namespace": Namespace.REGION}))
    assert res.unmapped and res.countries == ()
