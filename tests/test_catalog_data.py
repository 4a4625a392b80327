"""The shipped catalog data, as a compliance officer reads it: the countries behind KMS key
locations, zones, restricted Azure regions and Edge Zones, and the pitfalls that give a wrong
country. Every case resolves through ``load_catalog().resolve`` the way a scan's locations do.

Sources are on the rows themselves (``regions.csv`` ``source``): the Cloud KMS locations page
(https://cloud.google.com/kms/docs/locations), Microsoft's REST API examples
(Azure/azure-rest-api-specs, MIT) and the Azure SDK for Java's Cosmos DB region map
(Azure/azure-sdk-for-java, MIT). The botocore comparison lives in the AWS plugin's tests
(providers/aws/tests/test_catalog_botocore.py) because the core has no SDK.
"""

from __future__ import annotations

import pytest

from residency_audit.catalog import Catalog, load_catalog
from residency_audit.model import Certainty, CountryResolution, Location, Namespace, Role


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def resolve(
    cat: Catalog, provider: str, code: str, namespace: Namespace = Namespace.REGION
) -> CountryResolution:
    role = Role.KEY if namespace == Namespace.KMS else Role.PRIMARY
    loc = Location(role=role, provider=provider, region=code, mechanism="m", namespace=namespace)
    return cat.resolve(loc)


# -- Cloud KMS key locations ------------------------------------------------------------------


def test_kms_global_is_possible_in_every_country_where_gcp_has_a_region(cat: Catalog) -> None:
    region_countries = {
        cc
        for e in cat.entries(provider="gcp", namespace=Namespace.REGION)
        if e.location_type == "region"
        for cc in e.countries
    }
    res = resolve(cat, "gcp", "global", Namespace.KMS)
    assert res.certainty is Certainty.POSSIBLE and not res.unmapped
    assert set(res.countries) == region_countries
    assert {"HK", "TW", "JP", "SA", "QA", "IL"} <= set(res.countries)


@pytest.mark.parametrize(
    ("code", "countries"),
    [
        ("nam4", {"US"}),  # 'Iowa, South Carolina, and Oklahoma'
        ("nam3", {"US"}),
        ("nam12", {"US"}),
        ("us", {"US"}),
        ("ca", {"CA"}),
    ],
)
def test_documented_kms_multi_regions_resolve_to_their_countries(
    cat: Catalog, code: str, countries: set[str]
) -> None:
    res = resolve(cat, "gcp", code, Namespace.KMS)
    assert set(res.countries) == countries and res.verified
    assert res.certainty is Certainty.CONFIRMED


def test_kms_nam4_names_oklahoma_unlike_the_gcs_nam4_dual_region(cat: Catalog) -> None:
    kms = cat.lookup("gcp", "nam4", Namespace.KMS)
    gcs = cat.lookup("gcp", "NAM4")
    assert kms is not None and gcs is not None and kms is not gcs
    assert "us-central2" in kms.members and "us-central2" not in gcs.members
    assert gcs.location_type == "dual-region" and kms.location_type == "multi-region"


@pytest.mark.parametrize(
    ("code", "must_include"),
    [
        ("eur5", {"GB", "BE"}),  # London is outside the EU
        ("nam-eur-asia1", {"US", "BE", "TW"}),  # a key may be held in Taiwan
        ("eur6", {"DE", "NL"}),
        ("eur3", {"BE", "NL"}),
        ("eur4", {"FI", "NL"}),
        ("asia1", {"JP"}),
    ],
)
def test_kms_multi_regions_read_from_other_google_pages_are_possible_and_flagged(
    cat: Catalog, code: str, must_include: set[str]
) -> None:
    res = resolve(cat, "gcp", code, Namespace.KMS)
    assert must_include <= set(res.countries)
    assert res.certainty is Certainty.POSSIBLE
    assert res.verified is False and "UNVERIFIED" in res.note


def test_kms_asia_is_its_own_row_and_misses_no_asian_gcs_candidate(cat: Catalog) -> None:
    kms = resolve(cat, "gcp", "asia", Namespace.KMS)
    gcs = resolve(cat, "gcp", "ASIA")
    assert kms.source != gcs.source
    assert set(gcs.countries) <= set(kms.countries) and "HK" in kms.countries
    assert kms.certainty is Certainty.POSSIBLE and "CN" not in kms.countries


def test_kms_single_region_resolves_through_the_region_row(cat: Catalog) -> None:
    res = resolve(cat, "gcp", "asia-northeast1", Namespace.KMS)
    assert res.countries == ("JP",) and res.certainty is Certainty.CONFIRMED


def test_kms_only_names_are_no_bucket_locations(cat: Catalog) -> None:
    for code in ("global", "europe", "nam-eur-asia1", "nam12"):
        assert resolve(cat, "gcp", code).unmapped, code
    # the GCS dual-region rows stay in the storage namespace, untouched
    assert resolve(cat, "gcp", "EUR4").countries == ("FI", "NL")
    assert cat.dual_region_members("gcp", "NAM4") == ("us-central1", "us-east1")


def test_every_kms_row_is_a_multi_region_or_global_with_a_country_or_a_reason(cat: Catalog) -> None:
    rows = cat.entries(provider="gcp", namespace=Namespace.KMS)
    assert len(rows) >= 20
    for e in rows:
        assert e.location_type in {"multi-region", "global"}, e.code
        assert e.countries, e.code
        for m in e.members:  # members are real storage regions of the same provider
            assert cat.lookup("gcp", m) is not None, (e.code, m)


# -- zones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "country"), [("us-central1-a", "US"), ("ASIA-EAST2-B", "HK")])
def test_gcs_zonal_bucket_resolves_to_its_regions_country(
    cat: Catalog, zone: str, country: str
) -> None:
    res = resolve(cat, "gcp", zone)
    assert res.countries == (country,) and not res.unmapped
    assert "zone of" in res.note


# -- Azure -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "country"),
    [
        ("taiwannorth", "TW"),
        ("taiwannorthwest", "TW"),
        ("malaysiasouth", "MY"),
        ("israelnorthwest", "IL"),
        ("southcentralus2", "US"),
        ("eastus3", "US"),
    ],
)
def test_restricted_azure_locations_resolve_unverified(
    cat: Catalog, code: str, country: str
) -> None:
    res = resolve(cat, "azure", code)
    assert res.countries == (country,) and not res.unmapped
    assert res.verified is False and "display name" in res.note


def test_taiwan_is_never_china(cat: Catalog) -> None:
    for code in ("taiwannorth", "Taiwan Northwest"):
        assert "CN" not in resolve(cat, "azure", code).countries


def test_belgium_central_is_in_belgium_and_has_no_pair(cat: Catalog) -> None:
    assert resolve(cat, "azure", "belgiumcentral").countries == ("BE",)
    assert cat.azure_geo_pair("belgiumcentral") is None


@pytest.mark.parametrize(
    ("zone", "parent"),
    [("losangeles", "westus"), ("redmond", "westus"), ("ezecustomerlabboston1", "eastus")],
)
def test_edge_zone_resolves_in_the_edge_zone_namespace_only(
    cat: Catalog, zone: str, parent: str
) -> None:
    res = resolve(cat, "azure", zone, Namespace.EDGE_ZONE)
    assert res.countries == ("US",) and res.verified
    entry = cat.lookup("azure", zone, Namespace.EDGE_ZONE)
    assert entry is not None and entry.location_type == "edge-zone" and parent in entry.notes
    assert resolve(cat, "azure", zone).unmapped  # not a region


@pytest.mark.parametrize(
    "zone", ["losangeles001", "microsoftlosangeles1", "microsoftrrdclab1", "attdetroit1"]
)
def test_edge_zone_whose_listing_gives_no_geography_is_flagged(cat: Catalog, zone: str) -> None:
    # Microsoft's examples name these zones (a storage account's extendedLocation.name, List
    # Locations with extended locations) without metadata.geography
    res = resolve(cat, "azure", zone, Namespace.EDGE_ZONE)
    assert res.countries == ("US",) and res.verified is False


# -- AWS pitfalls on the new rows (botocore comparison: providers/aws/tests) -----------------


@pytest.mark.parametrize(
    ("provider", "code", "country"),
    [
        ("aws", "me-west-1", "SA"),  # AWS Saudi Arabia ...
        ("gcp", "me-west1", "IL"),  # ... but GCP me-west1 is Tel Aviv
        ("aws", "sa-west-1", "CL"),
        ("aws", "me-central-1", "AE"),
        ("gcp", "me-central1", "QA"),
        ("gcp", "me-central2", "SA"),
    ],
)
def test_middle_east_and_new_region_pitfalls(
    cat: Catalog, provider: str, code: str, country: str
) -> None:
    assert resolve(cat, provider, code).countries == (country,)


def test_eusc_is_its_own_partition(cat: Catalog) -> None:
    entry = cat.lookup("aws", "eusc-de-east-1")
    assert entry is not None and entry.cloud == "aws-eusc" and entry.countries == ("DE",)


def test_hong_kong_taiwan_macau_never_fold_into_china_in_any_namespace(cat: Catalog) -> None:
    for e in cat.entries():
        if {"HK", "TW", "MO"} & set(e.countries) and not e.candidates:
            assert "CN" not in e.countries, (e.namespace, e.code)
