"""Jurisdiction catalog: lookup, resolution rules and the pitfalls that give a wrong country."""

from __future__ import annotations

import pytest

from residency_audit.catalog import (
    Catalog,
    CatalogDataError,
    RegionEntry,
    iso_countries,
    load_catalog,
)
from residency_audit.model import Bucket, Certainty, Inventory, Location, Namespace, Role


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def loc(provider: str, region: str | None, **kw: object) -> Location:
    return Location(role=Role.PRIMARY, provider=provider, region=region, mechanism="test", **kw)


def countries(cat: Catalog, provider: str, region: str) -> tuple[str, ...]:
    return cat.resolve(loc(provider, region)).countries


# -- normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "given", "canonical"),
    [
        ("gcp", "ASIA", "ASIA"),  # GCS bucket API: upper-case multi-region
        ("gcp", "asia", "ASIA"),  # Cloud KMS: lower-case
        ("gcp", "US-EAST1", "us-east1"),  # GCS bucket API: upper-case region
        ("gcp", "asia-northeast1", "asia-northeast1"),
        ("gcp", "asia1", "ASIA1"),
        ("azure", "East Asia", "eastasia"),  # display name
        ("azure", "EASTASIA", "eastasia"),
        ("azure", "US Gov Virginia", "usgovvirginia"),
        ("aws", "AP-NORTHEAST-1", "ap-northeast-1"),
        ("aws", "EU", "eu-west-1"),  # legacy S3 GetBucketLocation answer
    ],
)
def test_codes_are_normalised_per_provider(
    cat: Catalog, provider: str, given: str, canonical: str
) -> None:
    entry = cat.lookup(provider, given)
    assert entry is not None
    assert entry.code == canonical


def test_codes_do_not_leak_across_providers(cat: Catalog) -> None:
    assert cat.lookup("aws", "eastasia") is None
    assert cat.lookup("azure", "ap-east-1") is None
    assert cat.lookup("gcp", "me-central-1") is None


def test_legacy_eu_resolves_to_ireland_with_a_note(cat: Catalog) -> None:
    res = cat.resolve(loc("aws", "EU"))
    assert res.countries == ("IE",)
    assert "eu-west-1" in res.note


# -- unknown is never safe ----------------------------------------------------------------


def test_null_region_is_unknown_with_the_locations_reason(cat: Catalog) -> None:
    res = cat.resolve(loc("aws", None, unknown_reason="GetBucketLocation: AccessDenied"))
    assert not res.known
    assert res.note == "GetBucketLocation: AccessDenied"


def test_null_region_without_reason_still_says_unknown(cat: Catalog) -> None:
    res = cat.resolve(loc("gcp", None))
    assert not res.known
    assert "could not be determined" in res.note


@pytest.mark.parametrize(
    ("provider", "code"),
    [("aws", "ap-mars-1"), ("gcp", "moon-central1"), ("azure", "atlantis"), ("oci", "x")],
)
def test_unmapped_code_is_unknown_never_a_guess(cat: Catalog, provider: str, code: str) -> None:
    res = cat.resolve(loc(provider, code))
    assert res.countries == ()
    assert "unmapped" in res.note
    assert code in res.note


def test_row_without_country_is_unknown(cat: Catalog) -> None:
    entry = cat.lookup("aws", "eu-isoe-west-1")
    assert entry is not None and entry.countries == ()
    res = cat.resolve(loc("aws", "eu-isoe-west-1"))
    assert not res.known
    assert res.source  # the row is known, its country is not
    assert "no country" in res.note


def test_gcp_kms_global_is_possible_over_every_gcp_region_country(cat: Catalog) -> None:
    key = Location(
        role=Role.KEY, provider="gcp", region="global", mechanism="cmek", namespace=Namespace.KMS
    )
    res = cat.resolve(key)
    assert res.certainty is Certainty.POSSIBLE
    assert {"JP", "HK", "TW", "US", "DE"} <= set(res.countries)
    # "global" is a Cloud KMS location only: a bucket location of that spelling is unmapped
    assert cat.resolve(loc("gcp", "global")).unmapped


# -- GCS multi- and dual-regions ---------------------------------------------------------


@pytest.mark.parametrize("code", ["ASIA", "asia", "EU"])
def test_undisclosed_multi_region_yields_every_candidate_as_possible(
    cat: Catalog, code: str
) -> None:
    res = cat.resolve(loc("gcp", code))
    assert res.certainty is Certainty.POSSIBLE
    assert len(res.countries) > 1
    entry = cat.lookup("gcp", code)
    assert entry is not None and entry.candidates
    assert res.countries == entry.countries


def test_asia_candidates_include_hong_kong_and_taiwan(cat: Catalog) -> None:
    res = cat.resolve(loc("gcp", "ASIA"))
    assert {"HK", "TW", "JP"} <= set(res.countries)


def test_eu_multi_region_excludes_london_and_zurich(cat: Catalog) -> None:
    assert not {"GB", "CH"} & set(countries(cat, "gcp", "EU"))


def test_us_multi_region_is_confirmed_us(cat: Catalog) -> None:
    res = cat.resolve(loc("gcp", "US"))
    assert res.countries == ("US",)
    assert res.certainty is Certainty.CONFIRMED


@pytest.mark.parametrize(
    ("code", "members", "expected"),
    [
        ("ASIA1", ("asia-northeast1", "asia-northeast2"), {"JP"}),
        ("EUR4", ("europe-north1", "europe-west4"), {"FI", "NL"}),
        ("NAM4", ("us-central1", "us-east1"), {"US"}),
    ],
)
def test_predefined_dual_region_resolves_to_member_countries(
    cat: Catalog, code: str, members: tuple[str, ...], expected: set[str]
) -> None:
    assert cat.dual_region_members("gcp", code) == members
    assert cat.dual_region_members("gcp", code.lower()) == members
    assert set(countries(cat, "gcp", code)) == expected


def test_every_predefined_dual_region_matches_its_members(cat: Catalog) -> None:
    duals = [e for e in cat.entries("gcp") if e.location_type == "dual-region" and e.members]
    assert {e.code for e in duals} >= {"ASIA1", "EUR4", "NAM4", "EUR5", "EUR7", "EUR8"}
    for e in duals:
        member_countries: set[str] = set()
        for m in e.members:
            member = cat.lookup("gcp", m)
            assert member is not None, (e.code, m)
            member_countries.update(member.countries)
        assert member_countries == set(e.countries), e.code


@pytest.mark.parametrize("code", ["EUR5", "EUR7", "EUR8"])
def test_unverified_dual_regions_are_flagged(cat: Catalog, code: str) -> None:
    entry = cat.lookup("gcp", code)
    assert entry is not None and not entry.verified
    res = cat.resolve(loc("gcp", code))
    assert res.verified is False
    assert "UNVERIFIED" in res.note


def test_dual_region_members_is_empty_for_non_dual_regions(cat: Catalog) -> None:
    assert cat.dual_region_members("gcp", "asia-east1") == ()
    assert cat.dual_region_members("gcp", "ASIA") == ()
    assert cat.dual_region_members("gcp", "nowhere") == ()
    assert cat.dual_region_members("aws", "ap-northeast-1") == ()


@pytest.mark.parametrize("mr", ["ASIA", "EU", "US"])
def test_configurable_dual_region_placeholder_never_resolves(cat: Catalog, mr: str) -> None:
    res = cat.resolve(loc("gcp", f"configurable:{mr}"))
    assert not res.known
    assert "dataLocations" in res.note
    # The bare multi-region code is the multi-region, never the placeholder row.
    entry = cat.lookup("gcp", mr)
    assert entry is not None
    assert entry.location_type == "multi-region"
    assert cat.dual_region_members("gcp", mr) == ()


def test_configurable_dual_region_resolves_through_its_data_locations(cat: Catalog) -> None:
    # A plugin passes customPlacementConfig.dataLocations, one location each.
    got = {
        cc
        for region in ("ASIA-EAST2", "ASIA-NORTHEAST1")
        for cc in cat.resolve(loc("gcp", region)).countries
    }
    assert got == {"HK", "JP"}


# -- certainty and verification -----------------------------------------------------------


def test_possible_location_stays_possible(cat: Catalog) -> None:
    res = cat.resolve(loc("aws", "ap-northeast-1", certainty=Certainty.POSSIBLE))
    assert res.countries == ("JP",)
    assert res.certainty is Certainty.POSSIBLE


def test_unverified_rows_resolve_unverified_with_reason(cat: Catalog) -> None:
    unverified = [e for e in cat.entries() if not e.verified]
    assert unverified
    for e in unverified:
        assert e.unverified
        res = cat.resolve(loc(e.provider, e.code, namespace=Namespace(e.namespace)))
        assert res.verified is False, (e.provider, e.namespace, e.code)
        assert e.unverified in res.note


def test_verified_row_has_no_unverified_note(cat: Catalog) -> None:
    res = cat.resolve(loc("aws", "ap-northeast-1"))
    assert res.verified is True
    assert res.note == ""


# -- pitfalls ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "code", "country"),
    [
        ("aws", "me-central-1", "AE"),
        ("gcp", "me-central1", "QA"),
        ("gcp", "me-central2", "SA"),
        ("aws", "me-south-1", "BH"),
        ("aws", "il-central-1", "IL"),
        ("gcp", "me-west1", "IL"),
        ("azure", "qatarcentral", "QA"),
        ("azure", "uaenorth", "AE"),
        ("aws", "ap-east-1", "HK"),
        ("gcp", "asia-east2", "HK"),
        ("azure", "eastasia", "HK"),
        ("aws", "ap-east-2", "TW"),
        ("gcp", "asia-east1", "TW"),
        ("aws", "cn-north-1", "CN"),
        ("azure", "chinanorth", "CN"),
        ("gcp", "us-east1", "US"),  # "South Carolina" is a US state
        ("gcp", "us-east2", "US"),  # "Georgia" is the US state, not GE
    ],
)
def test_pitfall_countries(cat: Catalog, provider: str, code: str, country: str) -> None:
    assert countries(cat, provider, code) == (country,)


def test_hong_kong_taiwan_macau_are_never_folded_into_china(cat: Catalog) -> None:
    for e in cat.entries():
        if {"HK", "TW", "MO"} & set(e.countries) and not e.candidates:
            assert "CN" not in e.countries, e.code
    assert all("CN" not in countries(cat, p, c) for p, c in [("gcp", "ASIA"), ("gcp", "EU")])


def test_georgia_the_country_is_not_in_the_catalog(cat: Catalog) -> None:
    assert cat.entries(country="GE") == []


# -- Azure geo-redundancy pairs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "secondary", "pair_countries"),
    [
        ("eastasia", "southeastasia", ("HK", "SG")),
        ("southeastasia", "eastasia", ("SG", "HK")),
        ("brazilsouth", "southcentralus", ("BR", "US")),
        ("northeurope", "westeurope", ("IE", "NL")),
    ],
)
def test_cross_border_pairs(
    cat: Catalog, region: str, secondary: str, pair_countries: tuple[str, str]
) -> None:
    pair = cat.azure_geo_pair(region)
    assert pair is not None
    assert pair.secondary == secondary and pair.cross_border
    assert countries(cat, "azure", region) == (pair_countries[0],)
    assert countries(cat, "azure", pair.secondary) == (pair_countries[1],)


def test_pair_lookup_accepts_display_names(cat: Catalog) -> None:
    pair = cat.azure_geo_pair("East Asia")
    assert pair is not None and pair.secondary == "southeastasia"


def test_brazil_pair_is_asymmetric(cat: Catalog) -> None:
    back = cat.azure_geo_pair("southcentralus")
    assert back is not None and back.secondary == "northcentralus"


def test_in_country_pair_is_not_cross_border(cat: Catalog) -> None:
    pair = cat.azure_geo_pair("japaneast")
    assert pair is not None and pair.secondary == "japanwest" and not pair.cross_border


def test_nonpaired_and_unknown_regions_have_no_pair(cat: Catalog) -> None:
    assert cat.lookup("azure", "polandcentral") is not None
    assert cat.azure_geo_pair("polandcentral") is None
    assert cat.lookup("azure", "atlantis") is None
    assert cat.azure_geo_pair("atlantis") is None


def test_cross_border_flag_agrees_with_catalog_countries(cat: Catalog) -> None:
    pairs = [cat.azure_geo_pair(e.code) for e in cat.entries("azure") if cat.azure_geo_pair(e.code)]
    assert len(pairs) > 40
    for pair in pairs:
        assert pair is not None
        a, b = countries(cat, "azure", pair.region), countries(cat, "azure", pair.secondary)
        assert pair.cross_border == (a != b), pair.region
        assert pair.source


def test_unverified_pair_is_flagged(cat: Catalog) -> None:
    pair = cat.azure_geo_pair("usgovtexas")
    assert pair is not None and not pair.verified


# -- shipped data --------------------------------------------------------------------------


def test_every_row_has_a_source(cat: Catalog) -> None:
    for e in cat.entries():
        assert e.source.strip(), e.code


def test_every_provider_cloud_is_shipped(cat: Catalog) -> None:
    clouds = {e.cloud for e in cat.entries()}
    assert {"aws", "aws-cn", "aws-us-gov", "gcp", "azure", "azure-china", "azure-gov"} <= clouds
    # The shared reference has 184 rows: 46 AWS, 59 GCP, 79 Azure; every one is shipped.
    assert len(cat.entries("aws")) >= 46
    assert len(cat.entries("gcp")) >= 59
    assert len(cat.entries("azure")) >= 79


def test_every_country_is_an_iso_code(cat: Catalog) -> None:
    iso = iso_countries()
    assert {"JP", "HK", "MO", "TW", "CN"} <= set(iso)
    for e in cat.entries():
        for cc in e.countries:
            assert cc in iso, (e.code, cc)


def test_entries_filter_by_provider_and_country(cat: Catalog) -> None:
    jp = cat.entries(country="jp")
    assert {(e.provider, e.code) for e in jp} >= {
        ("aws", "ap-northeast-1"),
        ("gcp", "asia-northeast1"),
        ("gcp", "ASIA1"),
        ("gcp", "ASIA"),  # candidate
        ("azure", "japaneast"),
    }
    assert all(e.provider == "azure" for e in cat.entries(provider="azure", country="JP"))
    assert cat.entries(provider="azure", country="JP")


def test_load_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


def test_resolve_inventory_sets_every_resolution_and_leaves_input_alone(cat: Catalog) -> None:
    bucket = Bucket(
        provider="aws",
        scope="111122223333",
        name="b",
        uid="arn:aws:s3:::b",
        locations=(
            loc("aws", "ap-northeast-1"),
            Location(role=Role.REPLICA, provider="aws", region="ap-east-1", mechanism="crr"),
            Location(
                role=Role.BACKUP,
                provider="aws",
                region=None,
                mechanism="backup",
                unknown_reason="x",
            ),
        ),
    )
    inv = Inventory(buckets=(bucket,))
    out = cat.resolve_inventory(inv)
    res = [loc_.resolution for loc_ in out.buckets[0].locations]
    assert all(r is not None for r in res)
    assert [r.countries for r in res if r] == [("JP",), ("HK",), ()]
    assert all(loc_.resolution is None for loc_ in inv.buckets[0].locations)


# -- data validation ------------------------------------------------------------------------


def _entry(**kw: object) -> RegionEntry:
    base: dict[str, object] = dict(
        provider="aws",
        code="xx-1",
        display_name="X",
        city="",
        countries=("JP",),
        cloud="aws",
        location_type="region",
        members=(),
        candidates=False,
        verified=True,
        notes="",
        source="somewhere",
    )
    base.update(kw)
    return RegionEntry(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        {"source": " "},
        {"countries": ("jp",)},
        {"countries": ("ZZ",)},
        {"verified": False},  # unverified without saying what
        {"members": ("nowhere-1",)},
    ],
)
def test_inconsistent_data_is_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(CatalogDataError):
        Catalog([_entry(**bad)], countries=iso_countries())


def test_duplicate_codes_are_rejected() -> None:
    with pytest.raises(CatalogDataError):
        Catalog([_entry(), _entry(code="XX-1")])
