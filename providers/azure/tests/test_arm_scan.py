"""The whole provider against the ARM stub, through the unmodified azure-mgmt-* clients."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from residency_audit.catalog import load_catalog
from residency_audit.errors import CollectionError
from residency_audit.model import (
    Bucket,
    CoverageNote,
    EncryptionTier,
    Evidence,
    Hidden,
    Location,
    PublicVerdict,
    Role,
)
from residency_audit.plugins import Scope
from residency_audit_azure import AzureProvider
from residency_audit_azure.testing import ArmStub

Settings = Callable[..., dict[str, Any]]


def scan(
    settings: dict[str, Any], sub: str
) -> tuple[dict[str, Bucket], list[CoverageNote], AzureProvider]:
    provider = AzureProvider.from_settings(settings)
    buckets: dict[str, Bucket] = {}
    notes: list[CoverageNote] = []
    for item in provider.buckets(Scope("azure", sub)):
        if isinstance(item, Bucket):
            assert item.name not in buckets
            buckets[item.name] = item
        else:
            notes.append(item)
    return buckets, notes, provider


@pytest.fixture
def result(
    stub_settings: Settings, ids: SimpleNamespace
) -> tuple[dict[str, Bucket], list[CoverageNote], AzureProvider]:
    return scan(stub_settings(), ids.sub)


def roles(bucket: Bucket, role: Role) -> list[Location]:
    return [loc for loc in bucket.locations if loc.role is role]


def countries(loc: Location) -> tuple[str, ...]:
    return load_catalog().resolve(loc).countries


def test_scopes_follow_next_link_over_every_visible_subscription(
    arm_stub: ArmStub, stub_settings: Settings, ids: SimpleNamespace
) -> None:
    scopes = list(AzureProvider.from_settings(stub_settings()).scopes())
    assert [(s.id, s.name) for s in scopes] == [
        (ids.sub, "jp-prod"),
        (ids.sub_denied, "no-read"),
        (ids.sub_unregistered, "unregistered"),
    ]
    # three subscriptions at page size 2: the second page came from nextLink
    assert any("$skipToken=2" in r.query for r in arm_stub.requests if r.path == "/subscriptions")


def test_explicit_subscription_list_makes_no_listing_call(
    arm_stub: ArmStub, stub_settings: Settings, ids: SimpleNamespace
) -> None:
    provider = AzureProvider.from_settings(stub_settings(subscriptions=[ids.sub]))
    assert [s.id for s in provider.scopes()] == [ids.sub]
    assert arm_stub.requests == []


def test_unlistable_subscription_list_is_a_collection_error(ids: SimpleNamespace) -> None:
    estate = {"faults": {"subscriptions": {"status": 403, "code": "AuthorizationFailed"}}}
    with ArmStub(estate) as stub:
        provider = AzureProvider.from_settings(
            {"arm_endpoint": stub.url, "credential": "anonymous", "retries": 0}
        )
        with pytest.raises(CollectionError) as err:
            list(provider.scopes())
    assert err.value.code == "AuthorizationFailed"


def test_subscription_whose_accounts_cannot_be_listed_fails_the_scope(
    stub_settings: Settings, ids: SimpleNamespace
) -> None:
    with pytest.raises(CollectionError) as err:
        scan(stub_settings(), ids.sub_denied)
    assert err.value.code == "AuthorizationFailed"
    assert ids.sub_denied in str(err.value)


def test_grs_secondaries_cross_borders_as_the_api_says(result: Any) -> None:
    buckets, _, _ = result
    cases = {
        "hkgrs/ledger": ("eastasia", "southeastasia", "HK", "SG"),
        "sggrs/replica-c1": ("southeastasia", "eastasia", "SG", "HK"),
        "brgrs/sales": ("brazilsouth", "southcentralus", "BR", "US"),
    }
    for name, (primary, secondary, home, away) in cases.items():
        bucket = buckets[name]
        assert bucket.primary is not None and bucket.primary.region == primary
        assert countries(bucket.primary) == (home,)
        (geo,) = roles(bucket, Role.GEO_SECONDARY)
        assert (geo.region, geo.mechanism, geo.derived) == (secondary, "grs", False)
        assert countries(geo) == (away,)


def test_lrs_and_zrs_accounts_have_no_secondary(result: Any) -> None:
    buckets, _, _ = result
    for name in ("tokyolrs/c3", "cmkacct/secrets"):
        assert roles(buckets[name], Role.GEO_SECONDARY) == []
    assert [loc.region for loc in buckets["tokyolrs/c3"].locations] == ["japaneast"]


def test_geo_redundant_account_without_secondary_uses_the_published_pair(result: Any) -> None:
    buckets, _, _ = result
    (geo,) = roles(buckets["gzrsnosec/logs"], Role.GEO_SECONDARY)
    assert (geo.region, geo.mechanism, geo.derived) == ("japanwest", "gzrs", True)
    assert geo.unknown_reason is not None and "pair" in geo.unknown_reason


def test_object_replication_destinations_and_their_secondaries(result: Any) -> None:
    buckets, _, _ = result
    c1 = buckets["tokyolrs/c1"]
    (replica,) = roles(c1, Role.REPLICA)
    assert (replica.region, replica.target) == ("southeastasia", "sggrs/replica-c1")
    # the destination account is RA-GRS, so the replica also lands in its secondary (HK)
    (geo,) = roles(c1, Role.GEO_SECONDARY)
    assert geo.region == "eastasia" and countries(geo) == ("HK",)

    (unknown,) = roles(buckets["tokyolrs/c2"], Role.REPLICA)
    assert unknown.region is None
    assert unknown.unknown_reason is not None and "ResourceNotFound" in unknown.unknown_reason
    assert unknown.target == "deletedreplica/x"
    (gap,) = buckets["tokyolrs/c2"].gaps  # the destination read failed: it may hide a copy
    assert (gap.field, gap.error_code, gap.hides) == (
        "object_replication.destination",
        "ResourceNotFound",
        (Hidden.COPY,),
    )

    assert roles(buckets["tokyolrs/c3"], Role.REPLICA) == []  # no rule for c3
    # the destination lists the same policy as incoming: it is not a copy *from* sggrs
    assert roles(buckets["sggrs/replica-c1"], Role.REPLICA) == []


def test_customer_managed_key_location(result: Any) -> None:
    buckets, _, _ = result
    cmk = buckets["cmkacct/secrets"]
    assert cmk.encryption.tier is EncryptionTier.CUSTOMER_MANAGED
    assert Evidence(key="azure.infrastructure-encryption") in cmk.encryption.details
    # the vault is in Japan West; Key Vault keeps a copy in its pair, Japan East
    key, pair_copy = roles(cmk, Role.KEY)
    assert (key.region, key.mechanism, key.derived) == ("japanwest", "key-vault", False)
    assert (pair_copy.region, pair_copy.mechanism, pair_copy.derived) == (
        "japaneast",
        "key-vault-paired-replication",
        True,
    )
    assert "disaster-recovery-guidance" in (pair_copy.unknown_reason or "")

    # a vault in Southeast Asia also puts the key in East Asia (Hong Kong)
    sg = buckets["cmksg/vault-sg"]
    assert [(k.region, k.derived) for k in roles(sg, Role.KEY)] == [
        ("southeastasia", False),
        ("eastasia", True),
    ]
    # Brazil South is documented as not replicated across regions: no pair copy
    assert [k.region for k in roles(buckets["cmkbr/vault-br"], Role.KEY)] == ["brazilsouth"]

    (elsewhere,) = roles(buckets["cmkelsewhere/data"], Role.KEY)
    assert elsewhere.region is None and "othervault" in (elsewhere.unknown_reason or "")

    plain = buckets["hkgrs/ledger"]
    assert plain.encryption.tier is EncryptionTier.PROVIDER_MANAGED
    assert roles(plain, Role.KEY) == []


def test_account_whose_containers_are_forbidden_is_reported_not_skipped(result: Any) -> None:
    buckets, notes, _ = result
    denied = buckets["denied/*"]
    assert denied.uid.endswith("/storageAccounts/denied")
    (gap,) = [g for g in denied.gaps if g.field == "containers"]
    assert gap.error_code == "AuthorizationFailed"
    # the containers' copies, encryption scopes and public-access levels are all unread
    assert gap.hides == (Hidden.COPY, Hidden.KEY, Hidden.PUBLIC_ACCESS)
    # allowBlobPublicAccess=false: whatever the unread levels say, no container is public
    assert denied.public_access.verdict is PublicVerdict.NOT_BLOCKED
    # what the account-level read did give is still reported
    assert [loc.region for loc in denied.locations] == ["japaneast", "japanwest"]
    (note,) = [n for n in notes if n.kind == "account-unreadable"]
    # the account's containers are buckets the scan does not have
    assert note.affects_completeness and note.buckets_missing


def test_unreadable_object_replication_is_a_gap_that_may_hide_a_copy(result: Any) -> None:
    buckets, _, _ = result
    (gap,) = buckets["ornoread/stuff"].gaps
    assert (gap.field, gap.error_code, gap.hides) == (
        "object_replication",
        "AuthorizationFailed",
        (Hidden.COPY,),
    )


def test_account_without_containers_is_noted(result: Any) -> None:
    _, notes, _ = result
    assert any(n.kind == "account-without-containers" and "emptyacct" in n.detail for n in notes)


def test_public_access_settings_and_tags(result: Any, ids: SimpleNamespace) -> None:
    buckets, _, _ = result
    site = buckets["hkgrs/site"]
    assert site.public_access.verdict is PublicVerdict.PUBLIC
    level = Evidence(key="azure.container-public-access", value="Container")
    assert level in site.public_access.evidence
    assert buckets["hkgrs/ledger"].public_access.verdict is PublicVerdict.NOT_BLOCKED
    assert buckets["sggrs/replica-c1"].public_access.verdict is PublicVerdict.BLOCKED
    assert site.tags == {"classification": "sensitive"}
    assert site.scope == ids.sub
    assert site.uid == (
        f"/subscriptions/{ids.sub}/resourceGroups/rg-storage/providers/Microsoft.Storage/"
        "storageAccounts/hkgrs/blobServices/default/containers/site"
    )


def test_every_container_is_listed_across_pages(result: Any) -> None:
    buckets, _, _ = result
    assert {"tokyolrs/c1", "tokyolrs/c2", "tokyolrs/c3"} <= set(buckets)
    assert len(buckets) == 25  # 18, and 7 in the accounts of copies_accounts (conftest)


def test_output_does_not_depend_on_worker_count(
    stub_settings: Settings, ids: SimpleNamespace
) -> None:
    one, _, _ = scan(stub_settings(max_workers=1), ids.sub)
    many, _, _ = scan(stub_settings(max_workers=16), ids.sub)
    assert list(one) == list(many) and one == many


def test_managed_hsm_keys_are_placed_in_every_region_of_the_pool(result: Any) -> None:
    buckets, _, _ = result

    def keys_of(name: str) -> list[tuple[str | None, str]]:
        return [(k.region, k.mechanism) for k in roles(buckets[name], Role.KEY)]

    # multi-region replication named in the pool listing's properties.regions
    assert keys_of("hsmmulti/hsm-multi") == [
        ("japaneast", "managed-hsm"),
        ("eastasia", "managed-hsm-multi-region"),
    ]
    # not in the listing: read through managedHSMs/{name}/regions
    assert keys_of("hsmlisted/hsm-listed") == [
        ("southeastasia", "managed-hsm"),
        ("australiaeast", "managed-hsm-multi-region"),
    ]
    # the region list refused: the home region, an unknown key place and a gap that says so
    locked = buckets["hsmlocked/hsm-locked"]
    assert keys_of("hsmlocked/hsm-locked") == [
        ("japanwest", "managed-hsm"),
        (None, "managed-hsm-multi-region"),
    ]
    (gap,) = [g for g in locked.gaps if g.field == "encryption.managed_hsm.regions"]
    assert gap.hides == (Hidden.KEY,) and gap.error_code == "AuthorizationFailed"
    # a pool the subscription does not hold: unknown, with the reason
    (gone,) = roles(buckets["hsmgone/hsm-gone"], Role.KEY)
    assert gone.region is None and "otherhsm" in (gone.unknown_reason or "")
