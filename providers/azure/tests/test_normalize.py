"""normalize.py on API-shaped JSON (shapes of the azure-rest-api-specs examples)."""

from __future__ import annotations

from typing import Any

import pytest

from residency_audit.model import EncryptionTier, Evidence, Hidden, PublicVerdict, Role
from residency_audit_azure import normalize as nz

# Trimmed from the published StorageAccountList example (account "sto8596"), wire names intact.
STO8596: dict[str, Any] = {
    "id": "/subscriptions/{subscription-id}/resourceGroups/res9407/providers/Microsoft.Storage/"
    "storageAccounts/sto8596",
    "kind": "Storage",
    "location": "eastus2(stage)",
    "name": "sto8596",
    "properties": {
        "geoReplicationStats": {"status": "Live", "canFailover": True},
        "networkAcls": {
            "bypass": "AzureServices",
            "defaultAction": "Allow",
            "ipRules": [],
            "virtualNetworkRules": [],
        },
        "primaryLocation": "eastus2(stage)",
        "encryption": {
            "services": {"blob": {"keyType": "Account", "enabled": True}},
            "keySource": "Microsoft.Keyvault",
            "keyvaultproperties": {
                "keyvaulturi": "https://myvault8569.vault.azure.net",
                "keyname": "wrappingKey",
                "keyversion": "",
                "currentVersionedKeyIdentifier": "https://myvault8569.vault.azure.net/keys/"
                "wrappingKey/0682afdd9c104f4285df20107e956cad",
            },
        },
        "secondaryLocation": "northcentralus(stage)",
        "statusOfPrimary": "available",
        "statusOfSecondary": "available",
        "supportsHttpsTrafficOnly": False,
    },
    "sku": {"name": "Standard_GRS", "tier": "Standard"},
    "tags": {"key1": "value1", "key2": "value2"},
    "type": "Microsoft.Storage/storageAccounts",
}


def no_pair(region: str) -> tuple[str, str] | None:
    return None


def test_published_example_maps_to_primary_secondary_and_cmk() -> None:
    assert nz.primary_location(STO8596).region == "eastus2(stage)"
    (geo,), gaps = nz.geo_secondary(STO8596, no_pair)
    assert (geo.role, geo.region, geo.mechanism, geo.derived) == (
        Role.GEO_SECONDARY,
        "northcentralus(stage)",
        "grs",
        False,
    )
    assert gaps == []
    enc, enc_gaps = nz.encryption(STO8596, None)
    assert enc.tier is EncryptionTier.CUSTOMER_MANAGED
    assert enc.key_id is not None and enc.key_id.endswith("0682afdd9c104f4285df20107e956cad")
    assert enc_gaps == []
    assert nz.vault_name(
        STO8596["properties"]["encryption"]["keyvaultproperties"]["keyvaulturi"]
    ) == ("myvault8569")


@pytest.mark.parametrize(
    ("sku", "mechanism"),
    [
        ("Standard_LRS", None),
        ("Standard_ZRS", None),
        ("Premium_LRS", None),
        ("Premium_ZRS", None),
        ("Standard_GRS", "grs"),
        ("Standard_RAGRS", "grs"),
        ("Standard_GZRS", "gzrs"),
        ("Standard_RAGZRS", "gzrs"),
        ("StandardV2_GZRS", "gzrs"),
    ],
)
def test_geo_mechanism_by_sku(sku: str, mechanism: str | None) -> None:
    assert nz.geo_mechanism(sku) == mechanism


def test_geo_redundant_without_secondary_or_pair_is_unknown_not_dropped() -> None:
    account = {"name": "a", "location": "newregion", "sku": {"name": "Standard_RAGRS"}}
    (loc,), _ = nz.geo_secondary(account, no_pair)
    assert loc.region is None and loc.unknown_reason is not None
    assert "newregion" in loc.unknown_reason


def test_missing_sku_is_a_gap_that_may_hide_a_copy() -> None:
    locs, gaps = nz.geo_secondary({"name": "a", "location": "japaneast"}, no_pair)
    assert locs == []
    assert [(g.field, g.may_hide_copy) for g in gaps] == [("sku", True)]


@pytest.mark.parametrize(
    ("allow", "level", "network", "default_action", "probe", "verdict"),
    [
        # anonymous access off, but any network can reach the account: not blocked everywhere
        (False, "Container", "Enabled", "Allow", None, PublicVerdict.NOT_BLOCKED),
        (False, "Container", "Enabled", "Deny", None, PublicVerdict.BLOCKED),
        (False, "None", "Disabled", "Allow", None, PublicVerdict.BLOCKED),
        (True, "Container", "Enabled", "Allow", None, PublicVerdict.PUBLIC),
        (True, "Blob", "Enabled", "Allow", None, PublicVerdict.PUBLIC),
        # absent: the default of API 2026-09-01 (false) forbids anonymous access, but an open
        # network still leaves it "not blocked", never "blocked" ...
        (None, "None", None, None, None, PublicVerdict.NOT_BLOCKED),
        (None, "None", "Disabled", None, None, PublicVerdict.BLOCKED),
        # ... and a default alone never clears a container that admits anonymous reads (older
        # API versions read a missing field as true): unknown until an anonymous try is refused
        (None, "Blob", None, None, None, PublicVerdict.UNKNOWN),
        (None, "Blob", None, None, False, PublicVerdict.NOT_BLOCKED),
        (None, "Container", None, None, True, PublicVerdict.PUBLIC),
        (True, "Container", "Disabled", "Allow", None, PublicVerdict.NOT_BLOCKED),
        (True, "Container", "Enabled", "Deny", None, PublicVerdict.NOT_BLOCKED),
        (True, "None", "Enabled", "Allow", None, PublicVerdict.NOT_BLOCKED),
        (True, None, "Enabled", "Allow", None, PublicVerdict.UNKNOWN),
        (True, "None", "Enabled", "Allow", True, PublicVerdict.PUBLIC),
    ],
)
def test_public_access_verdicts(
    allow: bool | None,
    level: str | None,
    network: str | None,
    default_action: str | None,
    probe: bool | None,
    verdict: PublicVerdict,
) -> None:
    props: dict[str, Any] = {"allowBlobPublicAccess": allow, "publicNetworkAccess": network}
    if default_action is not None:
        props["networkAcls"] = {"defaultAction": default_action}
    container = {"name": "c", "properties": {"publicAccess": level} if level else {}}
    result = nz.ProbeResult(probe, "anonymous listing ...") if probe is not None else None
    access = nz.public_access({"properties": props}, container, result)
    assert access.verdict is verdict
    shown = Evidence(key="azure.network-default-action", value=default_action or "not-returned")
    assert shown in access.evidence


UNANSWERED = nz.ProbeResult(False, "anonymous listing not answered (no response)", answered=False)
REFUSED = nz.ProbeResult(False, "anonymous listing refused (HTTP 403)")


@pytest.mark.parametrize(
    ("props", "probe", "verdict"),
    [
        # only the firewall stands between an anonymous container and the internet: the try
        # that would tell went unanswered, so it is not known to hold
        (
            {"allowBlobPublicAccess": True, "publicNetworkAccess": "Disabled"},
            UNANSWERED,
            PublicVerdict.UNKNOWN,
        ),
        (
            {"allowBlobPublicAccess": True, "publicNetworkAccess": "Disabled"},
            REFUSED,
            PublicVerdict.NOT_BLOCKED,
        ),
        # the settings already say public, or anonymous access is off: the try changes nothing
        ({"allowBlobPublicAccess": True}, UNANSWERED, PublicVerdict.PUBLIC),
        (
            {"allowBlobPublicAccess": False, "publicNetworkAccess": "Disabled"},
            UNANSWERED,
            PublicVerdict.BLOCKED,
        ),
    ],
)
def test_an_unanswered_anonymous_try_leaves_the_verdict_unknown_only_where_it_decides(
    props: dict[str, Any], probe: nz.ProbeResult, verdict: PublicVerdict
) -> None:
    container = {"properties": {"publicAccess": "Container"}}
    assert nz.public_access({"properties": props}, container, probe).verdict is verdict


@pytest.mark.parametrize(
    ("level", "probe", "verdict"),
    [
        ("Container", None, PublicVerdict.UNKNOWN),  # allowBlobPublicAccess unread may forbid it
        ("Blob", REFUSED, PublicVerdict.UNKNOWN),
        ("Blob", nz.ProbeResult(True, "anonymous listing succeeded"), PublicVerdict.PUBLIC),
        ("None", None, PublicVerdict.NOT_BLOCKED),  # the worst unread settings could make it
    ],
)
def test_unread_account_settings_never_say_public_or_blocked_on_their_own(
    level: str, probe: nz.ProbeResult | None, verdict: PublicVerdict
) -> None:
    container = {"properties": {"publicAccess": level}}
    access = nz.public_access({}, container, probe, settings_read=False)
    assert access.verdict is verdict


def test_outgoing_policies_match_name_or_resource_id() -> None:
    account = {
        "name": "src",
        "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/src",
    }
    policies = [
        {"properties": {"sourceAccount": "SRC", "destinationAccount": "d1"}},
        {"properties": {"sourceAccount": account["id"], "destinationAccount": "d2"}},
        {"properties": {"sourceAccount": "other", "destinationAccount": "src"}},
    ]
    kept = nz.outgoing_policies(account, policies)
    assert [p["properties"]["destinationAccount"] for p in kept] == ["d1", "d2"]


def test_policy_without_rules_covers_every_container() -> None:
    assert nz.policy_applies({"properties": {}}, "anything") == (True, None)
    policy = {"properties": {"rules": [{"sourceContainer": "a", "destinationContainer": "b"}]}}
    assert nz.policy_applies(policy, "a") == (True, "b")
    assert nz.policy_applies(policy, "z") == (False, None)


@pytest.mark.parametrize(
    ("uri", "name"),
    [
        ("https://Keys1.vault.azure.net/", "keys1"),
        ("https://cnkeys.vault.azure.cn", "cnkeys"),
        ("https://govkeys.vault.usgovcloudapi.net", "govkeys"),
        ("https://hsm1.managedhsm.azure.net", None),
        ("", None),
    ],
)
def test_vault_name_from_uri(uri: str, name: str | None) -> None:
    assert nz.vault_name(uri) == name


def test_missing_encryption_block_is_provider_managed_an_unknown_key_source_is_not() -> None:
    # Azure Storage always encrypts at rest, with Microsoft-managed keys unless a customer key
    # is configured: no block means no customer key
    enc, gaps = nz.encryption({"properties": {}}, None)
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED and gaps == []
    assert enc.details == (Evidence(key="azure.not-returned", subject=nz.STORAGE_ENCRYPTION_DOC),)
    assert "storage-service-encryption" in nz.STORAGE_ENCRYPTION_DOC
    enc, gaps = nz.encryption({"properties": {"encryption": {"services": {}}}}, None)
    assert enc.tier is EncryptionTier.UNKNOWN and gaps[0].field == "encryption"
    assert gaps[0].hides == (Hidden.KEY,)  # whether the key is customer-managed, and where
    enc, gaps = nz.encryption(
        {"properties": {"encryption": {"keySource": "Microsoft.Other"}}}, None
    )
    assert enc.tier is EncryptionTier.UNKNOWN and [g.hides for g in gaps] == [(Hidden.KEY,)]


def test_container_encryption_scope_is_flagged() -> None:
    account = {"properties": {"encryption": {"keySource": "Microsoft.Storage"}}}
    container = {"properties": {"defaultEncryptionScope": "cmk-scope"}}
    enc, gaps = nz.encryption(account, container)
    assert enc.details == (
        Evidence(key="azure.microsoft-managed"),
        Evidence(key="azure.encryption-scope", subject="cmk-scope"),
    )
    assert [(g.field, g.hides) for g in gaps] == [("encryption.scope", (Hidden.KEY,))]


def test_unreadable_destination_is_an_unknown_replica() -> None:
    dest = nz.Destination(
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/gone",
        reason="ResourceNotFound (HTTP 404)",
    )
    (loc,) = nz.replica_locations({}, dest, "copy", no_pair)
    assert (loc.role, loc.region, loc.target) == (Role.REPLICA, None, "gone/copy")
    assert loc.unknown_reason == "ResourceNotFound (HTTP 404)"
