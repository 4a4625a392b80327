"""normalize: Cloud Storage JSON API bucket resources -> locations, encryption, public access."""

from __future__ import annotations

from typing import Any

import pytest

from residency_audit.catalog import load_catalog
from residency_audit.model import (
    Certainty,
    Classification,
    CountryResolution,
    EncryptionTier,
    Evidence,
    Hidden,
    Namespace,
    PublicVerdict,
    Role,
)
from residency_audit.rules.classify import classify_with_source
from residency_audit.rules.settings import ClassificationSettings
from residency_audit_gcp import normalize
from residency_audit_gcp.testing import bucket_resource, iam_policy


def members(code: str) -> tuple[str, ...]:
    return load_catalog().dual_region_members("gcp", code)


def regions(res: dict[str, Any]) -> list[tuple[Role, str | None, Certainty]]:
    return [
        (loc.role, loc.region, loc.certainty) for loc in normalize.bucket_locations(res, members)
    ]


def test_region_bucket_is_primary_in_that_region() -> None:
    res = bucket_resource("b", "ASIA-EAST2")
    assert regions(res) == [(Role.PRIMARY, "asia-east2", Certainty.CONFIRMED)]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ASIA1", ["asia-northeast1", "asia-northeast2"]),
        ("EUR4", ["europe-north1", "europe-west4"]),
        ("NAM4", ["us-central1", "us-east1"]),
    ],
)
def test_predefined_dual_region_yields_both_members_confirmed(
    code: str, expected: list[str]
) -> None:
    locs = normalize.bucket_locations(
        bucket_resource("b", code, location_type="dual-region"), members
    )
    assert [loc.region for loc in locs] == expected
    assert {loc.role for loc in locs} == {Role.MULTI_REGION_MEMBER}
    assert {loc.certainty for loc in locs} == {Certainty.CONFIRMED}
    assert {loc.target for loc in locs} == {code}


def test_unknown_predefined_dual_region_keeps_code_with_reason() -> None:
    (loc,) = normalize.bucket_locations(
        bucket_resource("b", "ASIA9", location_type="dual-region"), members
    )
    assert loc.region == "ASIA9"
    assert loc.unknown_reason and "not in the catalog" in loc.unknown_reason


def test_configurable_dual_region_uses_data_locations_never_the_multi_region_code() -> None:
    res = bucket_resource(
        "b", "ASIA", location_type="dual-region", data_locations=["asia-east2", "asia-northeast1"]
    )
    locs = normalize.bucket_locations(res, members)
    assert [loc.region for loc in locs] == ["asia-east2", "asia-northeast1"]
    assert all(loc.role is Role.MULTI_REGION_MEMBER for loc in locs)
    assert "ASIA" not in {loc.region for loc in locs}


def test_configurable_dual_region_without_data_locations_is_unknown() -> None:
    res = bucket_resource("b", "EU", location_type="dual-region")
    (loc,) = normalize.bucket_locations(res, members)
    assert loc.region is None
    assert loc.unknown_reason and "dataLocations" in loc.unknown_reason


@pytest.mark.parametrize(
    ("code", "certainty"),
    [("ASIA", Certainty.POSSIBLE), ("EU", Certainty.POSSIBLE), ("US", Certainty.CONFIRMED)],
)
def test_multi_region_is_one_member_location(code: str, certainty: Certainty) -> None:
    res = bucket_resource("b", code, location_type="multi-region")
    assert regions(res) == [(Role.MULTI_REGION_MEMBER, code, certainty)]


def test_asia_multi_region_resolves_to_every_candidate_including_hk() -> None:
    (loc,) = normalize.bucket_locations(
        bucket_resource("b", "ASIA", location_type="multi-region"), members
    )
    resolution = load_catalog().resolve(loc)
    assert {"HK", "TW", "JP"} <= set(resolution.countries)
    assert resolution.certainty is Certainty.POSSIBLE


# Zonal (Rapid) buckets. The resource shapes follow Google's own client code:
# googleapis/google-cloud-go storage/bucket_metadata_cache_test.go
# (6366395466c50007211a906d142399a81e0ae668, Apache-2.0) reads location "US-CENTRAL1-A" with
# locationType "zone"; its storage/integration_test.go creates a zonal bucket with the region as
# Location and the zone ("us-west4-a") as the one CustomPlacementConfig.DataLocations entry.
@pytest.mark.parametrize(
    ("location", "data_locations", "zone", "country"),
    [
        ("US-CENTRAL1-A", None, "us-central1-a", "US"),
        ("US-WEST4", ["US-WEST4-A"], "us-west4-a", "US"),
        ("ASIA-NORTHEAST1-B", None, "asia-northeast1-b", "JP"),
    ],
)
def test_zonal_bucket_is_primary_in_its_zone_and_resolves_to_the_region_country(
    location: str, data_locations: list[str] | None, zone: str, country: str
) -> None:
    res = bucket_resource("rapid", location, location_type="zone", data_locations=data_locations)
    res["storageClass"] = "RAPID"
    (loc,) = normalize.bucket_locations(res, members)
    assert (loc.role, loc.region, loc.mechanism) == (Role.PRIMARY, zone, "gcs-zonal-bucket")
    assert loc.unknown_reason is None
    resolution = load_catalog().resolve(loc)
    assert resolution.countries == (country,) and resolution.certainty is Certainty.CONFIRMED


def test_zonal_bucket_in_a_zone_of_an_unknown_region_is_unmapped() -> None:
    res = bucket_resource("rapid", "MARS-NORTH1-A", location_type="zone")
    (loc,) = normalize.bucket_locations(res, members)
    resolution = load_catalog().resolve(loc)
    assert resolution.unmapped and not resolution.known


def test_unrecognised_location_type_is_unknown_with_the_type_and_code() -> None:
    res = bucket_resource("b", "US-CENTRAL1", location_type="quad-region")
    (loc,) = normalize.bucket_locations(res, members)
    assert loc.region is None
    assert loc.unknown_reason and "quad-region" in loc.unknown_reason
    assert "US-CENTRAL1" in loc.unknown_reason
    assert not load_catalog().resolve(loc).known


def test_legacy_bucket_policy_only_field_stands_in_for_uniform_access() -> None:
    # answers recorded before the rename carry only iamConfiguration.bucketPolicyOnly
    res = bucket_resource("b", "us-east1", ubla=True)
    del res["iamConfiguration"]["uniformBucketLevelAccess"]
    access, gaps = normalize.public_access(res, iam_policy())
    assert (access.verdict, gaps) == (PublicVerdict.NOT_BLOCKED, ())
    assert Evidence(key="gcs.ubla", value="on") in access.evidence


def test_missing_location_is_unknown_not_dropped() -> None:
    res = bucket_resource("b", "US")
    del res["location"]
    (loc,) = normalize.bucket_locations(res, members)
    assert loc.region is None and loc.unknown_reason


@pytest.mark.parametrize("loc", ["asia-east2", "asia", "europe", "global", "nam-eur-asia1"])
def test_cmek_key_location_is_a_kms_location_as_cloud_kms_spells_it(loc: str) -> None:
    key = f"projects/kms-proj/locations/{loc}/keyRings/ring/cryptoKeys/key"
    bucket = normalize.bucket_from_resource(
        "p", bucket_resource("b", "asia-northeast1", kms_key=key), members, iam_policy()
    )
    assert bucket.encryption.tier is EncryptionTier.CUSTOMER_MANAGED
    assert bucket.encryption.key_id == key
    key_loc = next(loc for loc in bucket.locations if loc.role is Role.KEY)
    # the plugin does not judge the location: the catalog's kms namespace does
    assert (key_loc.region, key_loc.namespace, key_loc.target) == (loc, Namespace.KMS, key)
    assert key_loc.unknown_reason is None


def _key_resolution(loc: str) -> CountryResolution:
    key = normalize.key_location(f"projects/p/locations/{loc}/keyRings/r/cryptoKeys/k")
    return load_catalog().resolve(key)


def test_regional_kms_key_resolves_to_the_region_country() -> None:
    res = _key_resolution("asia-northeast1")
    assert (res.countries, res.certainty, res.unmapped) == (("JP",), Certainty.CONFIRMED, False)


def test_unknown_kms_location_is_unmapped_never_guessed() -> None:
    res = _key_resolution("mars-north1")
    assert res.unmapped and res.countries == () and not res.known


def test_malformed_key_name_is_unknown_key_location() -> None:
    key_loc = normalize.key_location("not-a-key")
    assert key_loc.role is Role.KEY and key_loc.region is None and key_loc.unknown_reason


def test_google_managed_encryption() -> None:
    enc = normalize.encryption(bucket_resource("b", "us-east1"))
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED and enc.key_id is None


def test_pap_enforced_is_blocked_even_with_public_binding() -> None:
    res = bucket_resource("b", "us-east1", pap="enforced")
    access, gaps = normalize.public_access(
        res, iam_policy(("roles/storage.objectViewer", ["allUsers"]))
    )
    assert access.verdict is PublicVerdict.BLOCKED
    assert access.evidence == (
        Evidence(key="gcs.pap", value="enforced"),
        Evidence(key="gcs.ubla", value="on"),
        Evidence(
            key="gcs.iam-grant-blocked", subject="allUsers", value="roles/storage.objectViewer"
        ),
    )
    assert gaps == ()


@pytest.mark.parametrize("member", ["allUsers", "allAuthenticatedUsers"])
def test_public_iam_binding_is_public(member: str) -> None:
    res = bucket_resource("b", "us-east1")
    access, _ = normalize.public_access(
        res, iam_policy(("roles/storage.objectViewer", ["user:a@example.com", member]))
    )
    assert access.verdict is PublicVerdict.PUBLIC
    grant = Evidence(key="gcs.iam-grant", subject=member, value="roles/storage.objectViewer")
    assert access.evidence[0] == grant  # the grant that makes it public comes first
    assert "user:a@example.com" not in {e.subject for e in access.evidence}  # not public


def test_conditional_public_binding_still_public_and_names_condition() -> None:
    policy = iam_policy(version=3)
    policy["bindings"] = [
        {
            "role": "roles/storage.objectViewer",
            "members": ["allUsers"],
            "condition": {"title": "only-public-prefix", "expression": "resource.name..."},
        }
    ]
    access, _ = normalize.public_access(bucket_resource("b", "us-east1"), policy)
    assert access.verdict is PublicVerdict.PUBLIC
    assert access.evidence[0] == Evidence(
        key="gcs.iam-grant-conditional",
        subject="allUsers",
        value="roles/storage.objectViewer",
        text="only-public-prefix",
    )


def test_legacy_acl_counts_only_when_uniform_access_is_off() -> None:
    acl = [{"entity": "allUsers", "role": "READER"}]
    off = bucket_resource("b", "us-east1", ubla=False, acl=acl)
    assert normalize.public_access(off, iam_policy())[0].verdict is PublicVerdict.PUBLIC
    on = bucket_resource("b", "us-east1", ubla=True)
    on["acl"] = acl  # ignored by GCS when uniform bucket-level access is on
    assert normalize.public_access(on, iam_policy())[0].verdict is PublicVerdict.NOT_BLOCKED


def test_acl_missing_with_uniform_access_off_is_a_gap_and_unknown() -> None:
    res = bucket_resource("b", "us-east1", ubla=False)
    del res["acl"]
    access, gaps = normalize.public_access(res, iam_policy())
    assert access.verdict is PublicVerdict.UNKNOWN
    assert [g.field for g in gaps] == ["public_access.acl"]


def test_unreadable_iam_is_unknown_with_the_api_error_not_blocked() -> None:
    res = bucket_resource("b", "us-east1")
    access, gaps = normalize.public_access(res, None, ("403", "caller lacks getIamPolicy"))
    assert access.verdict is PublicVerdict.UNKNOWN
    assert [(g.field, g.error_code, g.reason) for g in gaps] == [
        ("public_access.iam_policy", "403", "caller lacks getIamPolicy")
    ]


def test_labels_become_tags_and_uid_is_the_full_resource_name() -> None:
    res = bucket_resource("my-b", "us-east1", labels={"data-classification": "sensitive"})
    bucket = normalize.bucket_from_resource("proj-x", res, members, iam_policy())
    assert bucket.tags == {"data-classification": "sensitive"}
    assert bucket.uid == "//storage.googleapis.com/projects/_/buckets/my-b"
    assert bucket.scope == "proj-x" and bucket.provider == "gcp"


def test_unreachable_bucket_is_kept_with_unknown_location() -> None:
    bucket = normalize.unreachable_bucket("p", "projects/_/buckets/lost")
    assert bucket.name == "lost"
    assert bucket.locations[0].region is None
    assert bucket.gaps[0].may_hide_copy is True


def test_unreachable_bucket_hides_its_key_access_and_labels_too() -> None:
    """Nothing of it was read: not public-unknown only, and never "unlabelled"."""
    bucket = normalize.unreachable_bucket("p", "projects/_/buckets/lost")
    (gap,) = bucket.gaps
    assert set(gap.hides) == {
        Hidden.COPY,
        Hidden.KEY,
        Hidden.PUBLIC_ACCESS,
        Hidden.CLASSIFICATION,
    }
    assert gap.error_code == "unreachable"
    assert bucket.public_access.verdict is PublicVerdict.UNKNOWN
    cls_, source = classify_with_source(bucket, ClassificationSettings())
    assert cls_ is Classification.UNKNOWN
    assert source is None  # no tag decided: the unread labels (the gap) did


def test_garbled_labels_are_a_classification_gap_not_no_labels() -> None:
    res = bucket_resource("b", "us-east1")
    res["labels"] = ["data-classification", "public"]
    bucket = normalize.bucket_from_resource("p", res, members, iam_policy())
    assert [(g.field, g.hides) for g in bucket.gaps] == [("tags", (Hidden.CLASSIFICATION,))]
    assert classify_with_source(bucket, ClassificationSettings())[0] is Classification.UNKNOWN


def test_garbled_encryption_is_a_key_gap() -> None:
    res = bucket_resource("b", "us-east1")
    res["encryption"] = "projects/k/locations/asia-east2/keyRings/r/cryptoKeys/k"
    bucket = normalize.bucket_from_resource("p", res, members, iam_policy())
    assert bucket.encryption.tier is EncryptionTier.UNKNOWN
    assert [(g.field, g.hides) for g in bucket.gaps] == [("encryption", (Hidden.KEY,))]
    assert bucket.gaps[0].may_hide_copy is True  # the key could be held anywhere


def test_iam_gap_hides_public_access_only_and_pap_still_decides() -> None:
    res = bucket_resource("b", "us-east1", pap="enforced")
    access, gaps = normalize.public_access(res, None, ("403", "caller lacks getIamPolicy"))
    assert access.verdict is PublicVerdict.BLOCKED  # no IAM grant can make it public
    assert [g.hides for g in gaps] == [(Hidden.PUBLIC_ACCESS,)]
