"""Copies made around an account, as a scan reports them: a full scan (collect, resolve, evaluate)
of an ARM stub serving Front Door / CDN profiles, diagnostic settings, inventory policies and
Backup vaults in the shapes of azure-rest-api-specs' examples (``testing/copystub.py`` names each
file and commit), through the unmodified SDK pipeline. What a user sees: which containers are
flagged, for which countries, at which severity, and what stays unverified when a read fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from residency_audit.model import Bucket, Certainty, Finding, Role
from residency_audit.results import ScanResult
from residency_audit.testing import bucket_named, scan_provider
from residency_audit_azure.testing import ArmStub

SUB = "7e1f0c2d-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
GROUP = f"/subscriptions/{SUB}/resourceGroups"


def _id(group: str, kind: str, name: str) -> str:
    return f"{GROUP}/{group}/providers/{kind}/{name}"


def seed(**sub: Any) -> dict[str, Any]:
    """Five accounts in Japan East; ``sub`` adds the resources around them."""
    accounts = [
        {"name": "jpweb", "containers": [{"name": "assets"}, {"name": "$web"}]},
        {
            "name": "jplogged",
            "containers": [{"name": "audit"}, {"name": "inventory"}],
            "diagnosticSettings": [
                {
                    "name": "to-hk",
                    "eventHubAuthorizationRuleId": _id(
                        "rg-logs", "Microsoft.EventHub/namespaces", "hkhub"
                    )
                    + "/authorizationrules/RootManageSharedAccessKey",
                },
                {
                    "name": "to-workspace",
                    "workspaceId": _id(
                        "rg-logs", "Microsoft.OperationalInsights/workspaces", "jplogs"
                    ),
                },
            ],
            "inventoryPolicy": {
                "rules": [{"name": "r", "destination": "inventory", "prefixMatch": ["audit/"]}]
            },
        },
        {"name": "jprecords", "containers": [{"name": "records"}, {"name": "scratch"}]},
        {"name": "jpops", "containers": [{"name": "ops"}]},
        {"name": "hkprimary", "location": "eastasia", "containers": [{"name": "data"}]},
    ]
    for account in accounts:
        account.setdefault("location", "japaneast")
        account.setdefault("sku", "Standard_LRS")
    return {
        "page_size": 2,
        "subscriptions": [
            {
                "subscriptionId": SUB,
                "accounts": accounts,
                "eventHubNamespaces": [
                    {"name": "hkhub", "resourceGroup": "rg-logs", "location": "eastasia"}
                ],
                "workspaces": [
                    {"name": "jplogs", "resourceGroup": "rg-logs", "location": "japaneast"}
                ],
                "cdnProfiles": [
                    {
                        "name": "web-afd",
                        "sku": "Premium_AzureFrontDoor",
                        "originGroups": [
                            {
                                "name": "og",
                                "origins": [
                                    {"name": "b", "hostName": "jpweb.blob.core.windows.net"}
                                ],
                            }
                        ],
                    },
                    {
                        "name": "web-cdn",
                        "sku": "Standard_Microsoft",
                        "endpoints": [
                            {
                                "name": "site",
                                "origins": [
                                    {"name": "w", "hostName": "jpweb.z11.web.core.windows.net"}
                                ],
                                "geoFilters": [
                                    {"relativePath": "/", "action": "Allow", "countryCodes": ["JP"]}
                                ],
                            }
                        ],
                    },
                ],
                "backupVaults": [
                    {
                        "name": "hkvault",
                        "location": "eastasia",
                        "storageType": "GeoRedundant",
                        "policies": [{"name": "vaulted"}, {"name": "ops", "vaulted": False}],
                        "instances": [
                            {
                                "name": "records",
                                "account": "jprecords",
                                "policy": "vaulted",
                                "containers": ["records"],
                            },
                            {"name": "ops", "account": "jpops", "policy": "ops"},
                        ],
                    }
                ],
                **sub,
            }
        ],
    }


def scan(
    estate: dict[str, Any], tmp_path: Path, subscriptions: tuple[str, ...] = (SUB,)
) -> ScanResult:
    with ArmStub(estate) as stub:
        settings = {
            "arm_endpoint": stub.url,
            "credential": "anonymous",
            "retries": 0,
            "subscriptions": list(subscriptions),
        }
        return scan_provider("azure", settings, tmp_path)


def findings(result: ScanResult, bucket: str, role: Role | None = None) -> list[Finding]:
    return [
        f
        for f in result.findings
        if f.resource is not None
        and f.resource.name == bucket
        and (role is None or (f.location is not None and f.location.role is role))
    ]


def located(bucket: Bucket, mechanism: str) -> list[Any]:
    return [loc for loc in bucket.locations if loc.mechanism == mechanism]


def test_a_container_behind_front_door_is_flagged_for_the_edges_and_a_geo_filter_narrows_them(
    tmp_path: Path,
) -> None:
    result = scan(seed(), tmp_path)
    assets = bucket_named(result, "jpweb/assets")
    (afd,) = located(assets, "azure-front-door")
    assert (afd.region, afd.target, afd.certainty) == ("frontdoor", "web-afd", Certainty.POSSIBLE)
    assert located(assets, "azure-cdn") == []  # the CDN serves the static website only
    concern = [
        f for f in findings(result, "jpweb/assets", Role.CACHE) if "(2)-1" in f.guideline_items
    ]
    assert concern and concern[0].location is not None and "HK" in concern[0].location.countries
    web = bucket_named(result, "jpweb/$web")
    (cdn,) = located(web, "azure-cdn")
    assert cdn.target == "web-cdn/site" and cdn.resolution is not None
    assert cdn.resolution.countries == ("JP",)  # the endpoint serves Japan only


def test_logs_sent_to_hong_kong_are_a_concern_one_step_below_a_copy_of_the_data(
    tmp_path: Path,
) -> None:
    result = scan(seed(), tmp_path)
    audit = bucket_named(result, "jplogged/audit")
    regions = {(loc.region, loc.target) for loc in located(audit, "azure-diagnostic-settings")}
    assert regions == {("eastasia", "hkhub"), ("japaneast", "jplogs")}
    (logs,) = [
        f for f in findings(result, "jplogged/audit", Role.METADATA) if "(2)-1" in f.guideline_items
    ]
    (data,) = [
        f for f in findings(result, "hkprimary/data", Role.PRIMARY) if "(2)-1" in f.guideline_items
    ]
    assert logs.location is not None and logs.location.countries == ("HK",)
    assert logs.base_severity.rank == data.base_severity.rank - 1
    # the inventory report of `audit` is written into the account: Japan, no concern
    (report,) = located(audit, "azure-blob-inventory")
    assert (report.region, report.target) == ("japaneast", "jplogged/inventory")
    assert located(bucket_named(result, "jplogged/inventory"), "azure-blob-inventory") == []


def test_a_vaulted_backup_is_copied_to_the_vault_and_its_pair_and_an_operational_one_is_not(
    tmp_path: Path,
) -> None:
    result = scan(seed(), tmp_path)
    records = bucket_named(result, "jprecords/records")
    assert [(loc.region, loc.mechanism, loc.derived) for loc in records.locations[1:]] == [
        ("eastasia", "azure-backup-vault", False),
        ("southeastasia", "azure-backup-vault-geo", True),
    ]
    backup = [
        f
        for f in findings(result, "jprecords/records", Role.BACKUP)
        if "(2)-1" in f.guideline_items
    ]
    assert backup and backup[0].location is not None and backup[0].location.countries == ("HK",)
    # the instance selects `records` only; the operational-tier instance keeps its restore
    # points in the account itself
    assert [loc.role for loc in bucket_named(result, "jprecords/scratch").locations] == [
        Role.PRIMARY
    ]
    assert [loc.role for loc in bucket_named(result, "jpops/ops").locations] == [Role.PRIMARY]


def test_an_unreadable_log_destination_is_unknown_and_unverified(tmp_path: Path) -> None:
    refused = {"status": 403, "code": "AuthorizationFailed"}
    estate = seed(
        eventHubNamespaces=[
            {
                "name": "hkhub",
                "resourceGroup": "rg-logs",
                "location": "eastasia",
                "faults": {"get": refused},
            }
        ]
    )
    result = scan(estate, tmp_path)
    audit = bucket_named(result, "jplogged/audit")
    (hub,) = [loc for loc in located(audit, "azure-diagnostic-settings") if loc.target == "hkhub"]
    assert (
        hub.region is None and hub.why is not None and hub.why.subject == "eventHubNamespaces.get"
    )
    (gap,) = [g for g in audit.gaps if g.field == "diagnostic_settings.destination"]
    assert gap.error_code == "AuthorizationFailed"
    unknown = [
        f
        for f in findings(result, "jplogged/audit", Role.METADATA)
        if f.rule_id == "location.unknown"
    ]
    assert unknown and all(f.unverified for f in unknown)
    # what was not hidden stays reported
    assert any(loc.region == "japaneast" for loc in located(audit, "azure-diagnostic-settings"))


def test_a_missing_inventory_policy_proves_none_and_a_refused_one_is_a_gap(tmp_path: Path) -> None:
    estate = seed()
    accounts = estate["subscriptions"][0]["accounts"]
    accounts[2]["faults"] = {"inventoryPolicy": {"status": 403, "code": "AuthorizationFailed"}}
    result = scan(estate, tmp_path)
    # jpweb has no policy (404): nothing hidden
    assert not [g for g in bucket_named(result, "jpweb/assets").gaps if g.field == "blob_inventory"]
    (gap,) = [
        g for g in bucket_named(result, "jprecords/scratch").gaps if g.field == "blob_inventory"
    ]
    assert gap.error_code == "AuthorizationFailed"
    hidden = [
        f
        for f in findings(result, "jprecords/scratch")
        if f.rule_id == "gap.may-hide-copy" and f.unverified
    ]
    assert hidden and "(2)-1" in hidden[0].guideline_items


def test_refused_backup_policies_leave_a_possible_backup_on_the_protected_account_only(
    tmp_path: Path,
) -> None:
    estate = seed()
    (vault,) = estate["subscriptions"][0]["backupVaults"]
    vault["faults"] = {"backupPolicies": {"status": 403, "code": "AuthorizationFailed"}}
    result = scan(estate, tmp_path)
    records = bucket_named(result, "jprecords/records")
    (first, _) = located(records, "azure-backup-vault") + located(records, "azure-backup-vault-geo")
    assert first.region == "eastasia" and first.certainty is Certainty.POSSIBLE
    assert first.why is not None and first.why.subject == "backupPolicies.list"
    assert [g.field for g in records.gaps] == ["backup_vaults.policy"]
    # the operational-tier instance can no longer be told apart: a possible backup too
    assert located(bucket_named(result, "jpops/ops"), "azure-backup-vault")
    assert bucket_named(result, "jpweb/assets").gaps == ()  # no instance of it in the vault


def test_a_refused_profile_listing_is_a_gap_on_every_bucket_of_the_subscription(
    tmp_path: Path,
) -> None:
    estate = seed(faults={"cdnProfiles": {"status": 403, "code": "AuthorizationFailed"}})
    result = scan(estate, tmp_path)
    for bucket in result.inventory.buckets:
        (gap,) = [g for g in bucket.gaps if g.field == "edge_caches"]
        assert gap.error_code == "AuthorizationFailed"
        assert any(
            f.rule_id == "gap.may-hide-copy" and f.unverified for f in findings(result, bucket.name)
        )
    # the classic Front Door list and the vaults were still read
    records = bucket_named(result, "jprecords/records")
    assert located(records, "azure-backup-vault")


def test_a_provider_the_subscription_never_registered_proves_there_is_none(
    tmp_path: Path,
) -> None:
    # ARM's answer to a listing in a namespace the subscription has not registered; the SDK's
    # registration POST that follows is refused by the request hook and never sent
    unregistered = {
        "status": 409,
        "code": "MissingSubscriptionRegistration",
        "message": "The subscription is not registered to use namespace 'Microsoft.Cdn'. See "
        "https://aka.ms/rps-not-found for how to register subscriptions.",
    }
    result = scan(seed(faults={"cdnProfiles": unregistered}), tmp_path)
    assets = bucket_named(result, "jpweb/assets")
    assert located(assets, "azure-front-door") == []
    assert not [g for g in assets.gaps if g.field == "edge_caches"]
    # a refusal of another kind is no such proof
    refused = {"status": 403, "code": "AuthorizationFailed"}
    result = scan(seed(faults={"cdnProfiles": refused}), tmp_path)
    assert [g.field for g in bucket_named(result, "jpweb/assets").gaps] == ["edge_caches"]


def test_a_vault_and_a_profile_in_another_scanned_subscription_are_found(tmp_path: Path) -> None:
    central = "2a2b2c2d-3e3f-4a4b-8c8d-9e9f0a0b0c0d"  # networking and backup, no accounts
    estate = seed()
    sub = estate["subscriptions"][0]
    vaults, profiles = sub.pop("backupVaults"), sub.pop("cdnProfiles")
    for instance in vaults[0]["instances"]:
        instance["account"] = (
            f"{GROUP}/rg-storage/providers/Microsoft.Storage/storageAccounts/{instance['account']}"
        )
    estate["subscriptions"].append(
        {"subscriptionId": central, "backupVaults": vaults, "cdnProfiles": profiles}
    )
    result = scan(estate, tmp_path, (SUB, central))
    records = bucket_named(result, "jprecords/records")
    assert [loc.region for loc in located(records, "azure-backup-vault")] == ["eastasia"]
    assert located(bucket_named(result, "jpweb/assets"), "azure-front-door")
    # a subscription the scan does not cover is not read (README: constraints and limits)
    alone = scan(estate, tmp_path, (SUB,))
    assert located(bucket_named(alone, "jprecords/records"), "azure-backup-vault") == []


def test_logs_kept_in_an_account_of_an_unreadable_subscription_are_unknown(tmp_path: Path) -> None:
    estate = seed()
    elsewhere = (
        "/subscriptions/0c0c0c0c-2d2d-4e4e-8f8f-a1a1a1a1a1a1/resourceGroups/rg/providers/"
        "Microsoft.Storage/storageAccounts/farlogs"
    )
    logged = estate["subscriptions"][0]["accounts"][1]
    logged["diagnosticSettings"] = [{"name": "far", "storageAccountId": elsewhere}]
    result = scan(estate, tmp_path)
    audit = bucket_named(result, "jplogged/audit")
    (far,) = located(audit, "azure-diagnostic-settings")
    assert (far.target, far.region) == ("farlogs", None)
    assert far.why is not None and far.why.subject == "storageAccounts.getProperties"
    (gap,) = [g for g in audit.gaps if g.field == "diagnostic_settings.destination_account"]
    assert gap.error_code == "SubscriptionNotFound"
    assert any(
        f.rule_id == "location.unknown" and f.unverified
        for f in findings(result, "jplogged/audit", Role.METADATA)
    )
