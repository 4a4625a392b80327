"""Real responses nobody here wrote: the azure-rest-api-specs examples in ``data/real`` (MIT; see
``SOURCES.md``) through the plugin's pure functions, asserting what a compliance officer reads --
the places (role, region, derived / possible), their countries, the tier, the verdict, the gaps.
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


def test_every_recorded_response_names_its_source() -> None:
    rows = {}
    for line in (REAL / "SOURCES.md").read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(".json"):
            rows[cells[0]] = cells
    files = sorted(p.name for p in REAL.glob("*.json"))
    assert len(files) >= 10
    assert sorted(rows) == files
    for name, repo, path, commit, licence in rows.values():
        assert repo == "Azure/azure-rest-api-specs" and path.endswith("/" + name)
        assert re.fullmatch(r"[0-9a-f]{40}", commit) and licence == "MIT"


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
    assert "allowBlobPublicAccess=not returned; default false in API 2026-09-01" in (
        public.evidence
    )


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
