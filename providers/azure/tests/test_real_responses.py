"""Real responses nobody here wrote, in ``data/real`` (see ``SOURCES.md``): azure-rest-api-specs
examples (MIT) and responses that the Azure CLI, .NET SDK and PowerShell test suites and Cloud
Custodian recorded against real subscriptions (MIT / Apache-2.0), through the plugin's pure
functions, asserting what a compliance officer reads -- the places (role, region, derived /
possible), their countries, the tier, the verdict, the gaps.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from residency_audit.catalog import load_catalog
from residency_audit.model import (
    Certainty,
    EncryptionTier,
    Evidence,
    Location,
    Namespace,
    PublicVerdict,
    Role,
)
from residency_audit_azure import keys
from residency_audit_azure import normalize as nz
from residency_audit_azure.provider import AzureProvider, catalog_pair, vault_pair_status
from residency_audit_azure.testing import ArmStub

REAL = Path(__file__).parent / "data" / "real"


def load(name: str) -> Any:
    return json.loads((REAL / name).read_text("utf-8"))


def countries(loc: Location) -> tuple[str, ...]:
    return load_catalog().resolve(loc).countries


# the licence of each repository a response comes from (each one's LICENSE file)
LICENCES = {
    "Azure/azure-rest-api-specs": "MIT",
    "Azure/azure-cli": "MIT",
    "Azure/azure-sdk-for-net": "MIT",
    "Azure/azure-powershell": "Apache-2.0",
    "cloud-custodian/cloud-custodian": "Apache-2.0",
}


def test_every_recorded_response_names_its_source() -> None:
    rows = {}
    for line in (REAL / "SOURCES.md").read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].endswith(".json"):
            rows[cells[0]] = cells
    files = sorted(p.name for p in REAL.glob("*.json"))
    assert len(files) >= 10
    assert sorted(rows) == files
    for name, repo, path, commit, licence, response in rows.values():
        # an example keeps its file name; one response of a recording is named after it
        assert path.endswith("/" + name) or name.startswith(Path(path).stem + ".")
        assert re.fullmatch(r"[0-9a-f]{40}", commit) and licence == LICENCES[repo]
        assert response


def test_cmk_account_in_a_staging_region_is_customer_managed_and_its_places_unknown() -> None:
    account = load("StorageAccountGetPropertiesCMKEnabled.json")
    enc, gaps = nz.encryption(account, None)
    assert enc.tier is EncryptionTier.CUSTOMER_MANAGED and gaps == []
    assert enc.key_id == (
        "https://myvault8569.vault.azure.net/keys/wrappingKey/0682afdd9c104f4285df20107e956cad"
    )
    assert nz.vault_name(nz.customer_key(account)["keyvaulturi"]) == "myvault8569"  # type: ignore[index]
    # "eastus2(stage)" is no public region: both places are unmapped, never guessed
    primary = nz.primary_location(account)
    (secondary,), _ = nz.geo_secondary(account, catalog_pair)
    assert (secondary.region, secondary.derived) == ("northcentralus(stage)", False)
    for loc in (primary, secondary):
        res = load_catalog().resolve(loc)
        assert res.unmapped and res.countries == ()
    # no allowBlobPublicAccess: API 2026-09-01's default (false) forbids anonymous access, but
    # that default alone does not clear a Container-level container until an anonymous try fails
    public = nz.public_access(account, {"properties": {"publicAccess": "None"}}, None)
    assert public.verdict is PublicVerdict.NOT_BLOCKED
    open_level = nz.public_access(account, {"properties": {"publicAccess": "Container"}}, None)
    assert open_level.verdict is PublicVerdict.UNKNOWN
    assert ALLOW_DEFAULT_FALSE in public.evidence


def test_grs_account_with_microsoft_keys_is_provider_managed_with_its_secondary() -> None:
    account = load("StorageAccountGetProperties.json")
    enc, gaps = nz.encryption(account, None)
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED and gaps == []
    (secondary,), gaps = nz.geo_secondary(account, catalog_pair)
    assert (secondary.role, secondary.mechanism) == (Role.GEO_SECONDARY, "grs") and gaps == []
    assert nz.conversion_secondary(account, catalog_pair) == []  # no conversion in progress


def test_edge_zone_account_records_the_zone_and_keeps_its_parent_region() -> None:
    account = load("StorageAccountCreate.json")
    zone, parent = nz.primary_locations(account)
    assert (zone.region, zone.namespace, zone.mechanism) == (
        "losangeles001",
        Namespace.EDGE_ZONE,
        "edge-zone",
    )
    res = load_catalog().resolve(zone)
    assert res.unmapped or res.countries == ("US",)  # Los Angeles, where the catalog knows it
    assert (parent.region, parent.certainty) == ("eastus2euap", Certainty.POSSIBLE)
    assert countries(parent) == ("US",)
    (secondary,), _ = nz.geo_secondary(account, catalog_pair)
    assert (secondary.region, countries(secondary)) == ("centraluseuap", ("US",))
    public = nz.public_access(account, {"properties": {"publicAccess": "Blob"}}, None)
    assert public.verdict is PublicVerdict.NOT_BLOCKED  # allowBlobPublicAccess false, open network


def test_sku_conversion_to_grs_keeps_the_pair_secondary() -> None:
    account = load("StorageAccountGetAsyncSkuConversionStatus.json")
    assert nz.conversion_target(account) == "Standard_GRS"
    # already billed as Standard_GRS without a secondaryLocation: East US's pair, derived
    (secondary,), _ = nz.geo_secondary(account, catalog_pair)
    assert (secondary.region, secondary.derived, countries(secondary)) == ("westus", True, ("US",))
    # the same conversion on an account still LRS: the future secondary is only possible
    lrs = {**account, "sku": {"name": "Standard_LRS", "tier": "Standard"}}
    assert nz.geo_secondary(lrs, catalog_pair) == ([], [])
    (future,) = nz.conversion_secondary(lrs, catalog_pair)
    assert (future.region, future.certainty, future.derived) == (
        "westus",
        Certainty.POSSIBLE,
        True,
    )
    assert "conversion to Standard_GRS in progress" in (future.unknown_reason or "")


def test_policies_without_rules_copy_every_container_to_an_unread_destination() -> None:
    listed = load("StorageAccountListObjectReplicationPolicies.json")["value"]
    account = {"name": "sto2527", "id": "/subscriptions/x/resourceGroups/res6977/sto2527"}
    policies = nz.outgoing_policies(account, listed)
    assert len(policies) == 2
    for policy in policies:
        assert nz.policy_applies(policy, "any-container") == (True, None)
        dest = nz.Destination(policy["properties"]["destinationAccount"], reason="not visible")
        (replica,) = nz.replica_locations(policy, dest, None, catalog_pair)
        assert (replica.role, replica.region) == (Role.REPLICA, None)
        assert replica.target in ("destAccount1", "destAccount2")


@pytest.mark.parametrize(
    ("account_file", "verdicts"),
    [
        # allowBlobPublicAccess not returned (default false in the API we request, true in older
        # ones): the Container-level one is unknown without an anonymous try, the private one
        # is not public
        ("StorageAccountGetProperties.json", [PublicVerdict.UNKNOWN, PublicVerdict.NOT_BLOCKED]),
        # allowBlobPublicAccess false, stated: neither container is public
        ("StorageAccountCreate.json", [PublicVerdict.NOT_BLOCKED] * 2),
    ],
)
def test_listed_containers_get_the_account_verdict(
    account_file: str, verdicts: list[PublicVerdict]
) -> None:
    containers = load("BlobContainersList.json")["value"]
    assert [c["properties"]["publicAccess"] for c in containers] == ["Container", "None"]
    account = load(account_file)
    assert [nz.public_access(account, c, None).verdict for c in containers] == verdicts
    # the same containers under an account that allows anonymous access, on an open network
    allowing = {**account, "properties": {**account["properties"], "allowBlobPublicAccess": True}}
    assert [nz.public_access(allowing, c, None).verdict for c in containers] == [
        PublicVerdict.PUBLIC,
        PublicVerdict.NOT_BLOCKED,
    ]


def test_managed_hsm_pool_without_a_region_list_leaves_a_key_place_unknown() -> None:
    pools = load("ManagedHsm_ListBySubscription.json")["value"]
    # a key URI on the pool's hsmUri host finds that pool, not its namesake region label
    pool = keys.find_pool(pools, "https://westus.hsm1.managedhsm.azure.net/keys/k")
    assert pool is not None and pool["name"] == "hsm1"
    assert keys.find_pool(pools, "https://hsm2.managedhsm.azure.net/keys/k") is pools[1]
    assert keys.find_pool(pools, "https://myvault.vault.azure.net/keys/k") is None
    home, extended = keys.managed_hsm_key_locations("k", pool, None, "regions not read")
    assert (home.role, home.region, countries(home)) == (Role.KEY, "westus", ("US",))
    assert (extended.region, extended.unknown_reason) == (None, "regions not read")


def test_managed_hsm_regions_each_hold_the_key_and_unknown_codes_stay_unmapped() -> None:
    pool = load("ManagedHsm_ListBySubscription.json")["value"][1]
    regions = load("ManagedHsm_ListRegionsByResource.json")["value"]
    locs = keys.managed_hsm_key_locations("k", pool, regions, None)
    assert [(loc.region, loc.mechanism) for loc in locs] == [
        ("westus", "managed-hsm"),
        ("sample-region1", "managed-hsm-multi-region"),
        ("sample-region2", "managed-hsm-multi-region"),
    ]
    assert all(loc.role is Role.KEY for loc in locs)
    assert [load_catalog().resolve(loc).unmapped for loc in locs] == [False, True, True]


def test_vault_in_west_us_keeps_a_copy_of_the_key_in_east_us() -> None:
    (vault,) = load("listVaultBySubscription.json")["value"]
    target = vault["properties"]["vaultUri"]
    assert nz.vault_name(target) == "sample-vault"
    here, pair = keys.vault_key_locations(target, vault["location"], None, vault_pair_status)
    assert (here.region, here.derived) == ("westus", False)
    assert (pair.region, pair.derived, pair.mechanism) == (
        "eastus",
        True,
        "key-vault-paired-replication",
    )
    assert countries(here) == countries(pair) == ("US",)


def test_list_locations_gives_regions_pairs_and_edge_zones(arm_stub: ArmStub) -> None:
    body = load("GetLocationsWithExtendedLocations.json")
    provider = AzureProvider.from_settings(
        {"arm_endpoint": arm_stub.url, "credential": "anonymous", "retries": 0}
    )
    listings = provider.live_region_listings()
    assert all(listing.live and listing.gives_pairs for listing in listings)
    (listed,) = [listing for listing in listings if listing.regions]
    by_code = {r.code: r for r in listed.regions}
    assert set(by_code) == {loc["name"] for loc in body}
    east = by_code["eastus"]
    assert (east.physical_location, east.paired_region, east.namespace) == (
        "Virginia",
        "westus",
        "region",
    )
    assert by_code["microsoftlosangeles1"].namespace == "edge-zone"
    assert by_code["microsoftlosangeles1"].paired_region is None


def test_edge_zone_and_paired_key_survive_the_whole_pipeline(tmp_path: Path) -> None:
    from residency_audit.testing import scan_provider

    sub = "00000000-0000-0000-0000-000000000000"
    estate = {
        "subscriptions": [
            {
                "subscriptionId": sub,
                "vaults": [{"name": "sgkeys", "location": "southeastasia"}],
                "accounts": [
                    {
                        "name": "sto4445",
                        "location": "eastus",
                        "sku": "Standard_LRS",
                        # as StorageAccountCreate.json returns it
                        "extendedLocation": {"name": "losangeles001", "type": "EdgeZone"},
                        "properties": {
                            "encryption": {
                                "keySource": "Microsoft.Keyvault",
                                "keyvaultproperties": {
                                    "keyvaulturi": "https://sgkeys.vault.azure.net",
                                    "keyname": "k",
                                },
                            }
                        },
                        "containers": [{"name": "c"}],
                    }
                ],
            }
        ]
    }
    with ArmStub(estate) as stub:
        result = scan_provider(
            "azure",
            {"arm_endpoint": stub.url, "credential": "anonymous", "retries": 0},
            tmp_path,
        )
    (bucket,) = result.inventory.buckets
    places = {(loc.role, loc.region): loc for loc in bucket.locations}
    assert places[(Role.PRIMARY, "losangeles001")].namespace is Namespace.EDGE_ZONE
    assert places[(Role.PRIMARY, "eastus")].certainty is Certainty.POSSIBLE
    hk = places[(Role.KEY, "eastasia")]
    assert hk.derived and hk.resolution is not None and hk.resolution.countries == ("HK",)
    assert places[(Role.KEY, "southeastasia")].resolution.countries == ("SG",)  # type: ignore[union-attr]


# --- responses recorded against real subscriptions -------------------------------------------


def account_places(account: Any) -> tuple[list[Location], list[Any]]:
    """The account-level places, composed as the provider composes them for every container."""
    places = nz.primary_locations(account)
    secondaries, gaps = nz.geo_secondary(account, catalog_pair)
    return [*places, *secondaries, *nz.conversion_secondary(account, catalog_pair)], gaps


ALLOW_DEFAULT_FALSE = Evidence(  # allowBlobPublicAccess not returned: API 2026-09-01's default
    key="azure.allow-blob-public-access-default", subject="2026-09-01", value="false"
)
PRIVATE = {"properties": {"publicAccess": "None"}}
BLOB_LEVEL = {"properties": {"publicAccess": "Blob"}}


@pytest.mark.parametrize(
    ("account_file", "sku"),
    [
        ("test_storage_account_sku.gzrs.json", "Standard_GZRS"),
        ("TestNewSetAzureStorageAccountRAGZRS.account.json", "Standard_RAGZRS"),
    ],
)
def test_geo_zone_redundant_account_keeps_a_copy_in_the_returned_secondary(
    account_file: str, sku: str
) -> None:
    account = load(account_file)
    assert account["sku"]["name"] == sku
    (primary, secondary), gaps = account_places(account)
    assert gaps == []
    assert (primary.role, primary.region, countries(primary)) == (
        Role.PRIMARY,
        "eastus2euap",
        ("US",),
    )
    # the copy is where Azure says, not derived: the pair table has no row for a canary region
    assert (secondary.role, secondary.mechanism, secondary.region, secondary.derived) == (
        Role.GEO_SECONDARY,
        "gzrs",
        "centraluseuap",
        False,
    )
    assert countries(secondary) == ("US",) and catalog_pair("eastus2euap") is None
    # without secondaryLocation the same SKU still shows a copy, of unknown region, never none
    props = {k: v for k, v in account["properties"].items() if k != "secondaryLocation"}
    (unstated,), _ = nz.geo_secondary({**account, "properties": props}, catalog_pair)
    assert unstated.region is None and "no published pair" in (unstated.unknown_reason or "")
    enc, enc_gaps = nz.encryption(account, None)
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED and enc_gaps == []
    # allowBlobPublicAccess not returned (API 2021-01-01 / 2021-08-01), open network
    assert nz.public_access(account, PRIVATE, None).verdict is PublicVerdict.NOT_BLOCKED
    assert nz.public_access(account, BLOB_LEVEL, None).verdict is PublicVerdict.UNKNOWN


def test_zone_redundant_account_stays_in_its_region() -> None:
    # the account the same recording then converts to GZRS, as it was before: ZRS
    account = load("test_storage_account_sku.zrs.json")
    (primary,), gaps = account_places(account)
    assert (primary.region, countries(primary), gaps) == ("eastus2euap", ("US",), [])


@pytest.mark.parametrize(
    ("account_file", "primary", "secondary", "status"),
    [
        ("GetStorageAccountLastSyncTime.account.json", "eastus2", "centralus", "Unavailable"),
        ("test_storage_account_failover.live.json", "eastus2euap", "centraluseuap", "Live"),
        # during the failover the account still names both regions: both hold the data
        ("test_storage_account_failover.in-progress.json", "eastus2euap", "centraluseuap", "Live"),
    ],
)
def test_geo_replication_stats_change_no_place(
    account_file: str, primary: str, secondary: str, status: str
) -> None:
    account = load(account_file)
    assert account["properties"]["geoReplicationStats"]["status"] == status
    places, gaps = account_places(account)
    assert [(loc.role, loc.region, loc.derived) for loc in places] == [
        (Role.PRIMARY, primary, False),
        (Role.GEO_SECONDARY, secondary, False),
    ]
    assert [countries(loc) for loc in places] == [("US",), ("US",)] and gaps == []
    # a secondary not yet in sync ("Unavailable") is still a place the data is copied to, and
    # the account listing (which has no $expand) gives the same places
    listed = {
        **account,
        "properties": {
            k: v
            for k, v in account["properties"].items()
            if k not in ("geoReplicationStats", "failoverInProgress")
        },
    }
    assert account_places(listed) == (places, gaps)


def test_recorded_customer_key_account_is_customer_managed_with_its_vault() -> None:
    account = load("MonitorLogprofileTest.test_find_storage.account.json")
    enc, gaps = nz.encryption(account, None)
    assert enc.tier is EncryptionTier.CUSTOMER_MANAGED and gaps == []
    key_id = "https://keyvault-fail.vault.azure.net/keys/keyvaultkey-cfb-njlrsptg-Fail/"
    assert enc.key_id == key_id + "7d708afaa3d04b97a51e369e4acaba09"
    kv = nz.customer_key(account)
    assert kv is not None
    uri = kv["keyvaulturi"]
    assert nz.vault_name(uri) == "keyvault-fail"
    # the recording holds no vault list: a vault the scan cannot find leaves the key's place
    # unknown, never assumed to be the account's region
    (key,) = keys.vault_key_locations(
        uri, None, "vault keyvault-fail not listed", vault_pair_status
    )
    assert (key.role, key.region, key.unknown_reason) == (
        Role.KEY,
        None,
        "vault keyvault-fail not listed",
    )
    (primary, secondary), _ = account_places(account)
    assert (primary.region, secondary.region, secondary.derived) == ("centralus", "eastus2", False)
    assert countries(primary) == countries(secondary) == ("US",)
    # allowBlobPublicAccess true on an open network: a container's own level decides
    assert nz.public_access(account, BLOB_LEVEL, None).verdict is PublicVerdict.PUBLIC
    assert nz.public_access(account, PRIVATE, None).verdict is PublicVerdict.NOT_BLOCKED


def test_west_europe_grs_account_copies_to_ireland() -> None:
    (account,) = load(
        "StorageFileServicesFilterTest.test_filter_with_file_services_delete_policy.accounts.json"
    )["value"]
    (primary, secondary), gaps = account_places(account)
    assert (primary.region, countries(primary)) == ("westeurope", ("NL",))
    # a cross-border copy Azure states itself, and the pair table agrees
    assert (secondary.region, secondary.derived, countries(secondary)) == (
        "northeurope",
        False,
        ("IE",),
    )
    pair = catalog_pair("westeurope")
    assert pair is not None and pair[0] == "northeurope"
    assert gaps == []
    public = nz.public_access(account, BLOB_LEVEL, None)
    assert public.verdict is PublicVerdict.PUBLIC  # allowed, publicNetworkAccess Enabled, Allow
    assert Evidence(key="azure.public-network-access", value="Enabled") in public.evidence


def test_recorded_container_list_under_an_account_without_the_public_access_field() -> None:
    accounts = {
        a["name"]: a for a in load("StorageContainerTest.containers.accounts.json")["value"]
    }
    containers = load("StorageContainerTest.containers.containers.json")["value"]
    account = accounts["cctstoragey6akyqpagdt3o"]
    assert all(c["id"].startswith(account["id"] + "/") for c in containers)
    (primary,), gaps = account_places(account)  # Standard_LRS: no copy elsewhere
    assert (primary.region, countries(primary), gaps) == ("southcentralus", ("US",), [])
    # API 2019-04-01 returns no allowBlobPublicAccess (then read as true): the Container-level
    # container is unknown until an anonymous try answers; the private one is not public
    verdicts = [nz.public_access(account, c, None).verdict for c in containers]
    assert [c["name"] for c in containers] == ["containerone", "containertwo"]
    assert verdicts == [PublicVerdict.UNKNOWN, PublicVerdict.NOT_BLOCKED]
    listed = nz.ProbeResult(True, "anonymous listing succeeded (HTTP 200)")
    refused = nz.ProbeResult(False, "anonymous listing refused (HTTP 409)")
    assert nz.public_access(account, containers[0], listed).verdict is PublicVerdict.PUBLIC
    assert nz.public_access(account, containers[0], refused).verdict is PublicVerdict.NOT_BLOCKED


def test_recorded_container_get_with_container_level_on_an_old_account() -> None:
    account = load("BlobContainersUpdateTest.account.json")
    container = load("BlobContainersUpdateTest.container.json")
    assert container["id"].startswith(account["id"] + "/")
    public = nz.public_access(account, container, None)
    assert public.verdict is PublicVerdict.UNKNOWN
    assert Evidence(key="azure.container-public-access", value="Container") in public.evidence
    assert ALLOW_DEFAULT_FALSE in public.evidence
    # the account's own key scope is no separate key: no gap
    enc, gaps = nz.encryption(account, container)
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED and gaps == []
    # a staging region pair: both unmapped, never guessed
    places, _ = account_places(account)
    assert [loc.region for loc in places] == ["eastus2(stage)", "northcentralus(stage)"]
    assert all(load_catalog().resolve(loc).unmapped for loc in places)


def test_recorded_subscription_listing_places_and_verdicts() -> None:
    accounts = {
        a["name"]: a for a in load("StorageTest.test_storage_blob_services.accounts.json")["value"]
    }
    secondaries = {
        name: [(loc.region, loc.mechanism) for loc in account_places(a)[0][1:]]
        for name, a in accounts.items()
    }
    assert secondaries == {
        "bfsdevstorage": [],
        "cs21003200215f0ad6b": [],
        "dfhteststore": [("westus", "grs")],  # Standard_RAGRS in East US
        "ccipstorageyenndgetjsvtg": [],
        "cclgstorageyenndgetjsvtg": [],
        "cctstorageyenndgetjsvtg": [],
        "dfhflowlogs": [("eastus2", "grs")],  # Standard_RAGRS in Central US
    }
    assert all(countries(loc) == ("US",) for a in accounts.values() for loc in account_places(a)[0])

    def verdict(name: str, container: Any) -> PublicVerdict:
        return nz.public_access(accounts[name], container, None).verdict

    # anonymous access stated off, open network: not blocked, whatever the container says
    assert verdict("bfsdevstorage", BLOB_LEVEL) is PublicVerdict.NOT_BLOCKED
    # stated on, but defaultAction Deny: the network keeps anonymous reads out
    assert verdict("dfhteststore", BLOB_LEVEL) is PublicVerdict.NOT_BLOCKED
    # not returned (API 2021-02-01) behind Deny with two public IP ranges allowed: only a
    # default says anonymous access is off, so never "blocked" (this was BLOCKED before)
    ip_rules = accounts["ccipstorageyenndgetjsvtg"]["properties"]["networkAcls"]["ipRules"]
    assert [r["value"] for r in ip_rules] == ["3.1.1.1", "1.2.2.128/25"]
    assert verdict("ccipstorageyenndgetjsvtg", BLOB_LEVEL) is PublicVerdict.NOT_BLOCKED
    # not returned on an open network: unknown until an anonymous try answers
    assert verdict("cctstorageyenndgetjsvtg", BLOB_LEVEL) is PublicVerdict.UNKNOWN


def test_recorded_blob_and_container_level_containers_are_public() -> None:
    (account,) = load("TestStorageBlobContainer.accounts.json")["value"]
    containers = load("TestStorageBlobContainer.containers.json")["value"]
    levels = {c["name"]: c["properties"]["publicAccess"] for c in containers}
    assert levels == {"container2pstestrg4693": "Container", "containerpstestrg4693": "Blob"}
    # allowBlobPublicAccess true, defaultAction Allow: anyone can read blobs of either container
    for container in containers:
        public = nz.public_access(account, container, None)
        assert public.verdict is PublicVerdict.PUBLIC
        assert Evidence(key="azure.allow-blob-public-access", value="true") in public.evidence
        enc, gaps = nz.encryption(account, container)
        assert enc.tier is EncryptionTier.PROVIDER_MANAGED and gaps == []
    (primary, secondary), gaps = account_places(account)
    assert [(loc.role, loc.region) for loc in (primary, secondary)] == [
        (Role.PRIMARY, "eastus2euap"),
        (Role.GEO_SECONDARY, "centraluseuap"),
    ]
    assert gaps == [] and countries(primary) == countries(secondary) == ("US",)


def test_recorded_public_containers_survive_the_whole_pipeline(tmp_path: Path) -> None:
    """The recorded account's properties and its containers' levels, served by the ARM stub to
    the unmodified SDK: each container is a public bucket with both places."""
    from residency_audit.testing import scan_provider

    (account,) = load("TestStorageBlobContainer.accounts.json")["value"]
    containers = load("TestStorageBlobContainer.containers.json")["value"]
    sub = account["id"].split("/")[2]
    estate = {
        "subscriptions": [
            {
                "subscriptionId": sub,
                "accounts": [
                    {
                        "name": account["name"],
                        "resourceGroup": account["id"].split("/")[4],
                        "location": account["location"],
                        "sku": account["sku"]["name"],
                        "kind": account["kind"],
                        "properties": account["properties"],
                        "containers": [
                            {"name": c["name"], "publicAccess": c["properties"]["publicAccess"]}
                            for c in containers
                        ],
                    }
                ],
            }
        ]
    }
    with ArmStub(estate) as stub:
        result = scan_provider(
            "azure",
            {"arm_endpoint": stub.url, "credential": "anonymous", "retries": 0},
            tmp_path,
        )
    buckets = {b.name: b for b in result.inventory.buckets}
    assert sorted(buckets) == [
        "stopstestrg4693/container2pstestrg4693",
        "stopstestrg4693/containerpstestrg4693",
    ]
    for bucket in buckets.values():
        assert bucket.public_access.verdict is PublicVerdict.PUBLIC  # type: ignore[union-attr]
        places = {(loc.role, loc.region) for loc in bucket.locations}
        assert places == {(Role.PRIMARY, "eastus2euap"), (Role.GEO_SECONDARY, "centraluseuap")}


def test_recorded_account_without_an_encryption_block() -> None:
    """Recorded in June 2017 (API 2017-06-01), before Azure Storage encrypted every account: the
    response has no ``encryption`` block. Read today, encryption is on for every storage account
    and cannot be turned off, with Microsoft-managed keys unless a customer key is configured
    (nz.STORAGE_ENCRYPTION_DOC), so the tier is provider-managed, the reason in the detail, and
    no gap."""
    account = load("StorageAccountGetStandardTest.grs.json")
    assert "encryption" not in account["properties"]
    enc, gaps = nz.encryption(account, None)
    assert enc.tier is EncryptionTier.PROVIDER_MANAGED and gaps == []
    assert enc.details == (Evidence(key="azure.not-returned", subject=nz.STORAGE_ENCRYPTION_DOC),)
    assert nz.customer_key(account) is None
    (primary, secondary), _ = account_places(account)
    assert (primary.region, secondary.region, secondary.mechanism) == (
        "eastus2euap",
        "centraluseuap",
        "grs",
    )
    # nor does that API version return allowBlobPublicAccess: a Blob-level container is unknown
    assert nz.public_access(account, BLOB_LEVEL, None).verdict is PublicVerdict.UNKNOWN
