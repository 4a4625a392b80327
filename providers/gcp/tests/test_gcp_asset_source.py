"""``source = "inventory"``: buckets from Cloud Asset Inventory, checked against live scans.

Where the shapes come from: there is no Cloud Asset Inventory emulator, so
``residency_audit_gcp.asset_testing.serve_asset_inventory`` serves ``assets.list`` in the
published v1 REST shapes (ListAssetsResponse ``readTime``/``assets``/``nextPageToken``; Asset
``name``/``assetType``/``resource``/``iamPolicy``/``ancestors``/``updateTime``), with bucket data
rendered as a recorded CAI export renders it (numbers as numbers, ``"encryption": {}``, a false
boolean left out, ACLs empty) -- see that module's docstring. The live reads (and the fallback)
go to gcp-storage-emulator seeded with the same JSON API resources, one emulator per project.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from residency_audit.errors import CollectionError, ConfigError
from residency_audit.model import CoverageNote, EncryptionTier, PublicVerdict, Role
from residency_audit.testing import read_provider, scan_provider
from residency_audit_gcp import GcpProvider
from residency_audit_gcp.asset_shapes import ALL_FIELDS
from residency_audit_gcp.asset_testing import AssetEstate, serve_asset_inventory
from residency_audit_gcp.permissions import INVENTORY_PERMISSIONS, PERMISSIONS, permissions_for
from residency_audit_gcp.testing import bucket_resource, iam_policy, serve_resource_manager

pytestmark = pytest.mark.emulator

KEY_HK = "projects/kms-proj/locations/asia-east2/keyRings/ring/cryptoKeys/bucket-key"
TOKYO = [
    bucket_resource("ha-tokyo", "ASIA-NORTHEAST1", pap="enforced", labels={"env": "prod"}),
    bucket_resource("ha-hk", "ASIA-EAST2"),
    bucket_resource("ha-dual", "ASIA1", location_type="dual-region"),
    bucket_resource(
        "ha-cfg",
        "ASIA",
        location_type="dual-region",
        data_locations=["ASIA-NORTHEAST1", "ASIA-EAST1"],
    ),
    bucket_resource("ha-cmek", "ASIA-NORTHEAST1", kms_key=KEY_HK),
]
OSAKA = [
    bucket_resource("ha-eu", "EU", location_type="multi-region"),
    bucket_resource("ha-public", "US-EAST1"),
    bucket_resource(
        "ha-acl", "US-EAST1", ubla=False, acl=[{"entity": "allUsers", "role": "READER"}]
    ),
    bucket_resource("ha-zonal", "US-CENTRAL1-A", location_type="zone"),
]
OLD = [bucket_resource("ha-retired", "ASIA-EAST2")]
POLICIES = {
    "ha-public": iam_policy(("roles/storage.objectViewer", ["allUsers"]), version=3),
    "ha-tokyo": iam_policy(("roles/storage.objectViewer", ["allAuthenticatedUsers"])),
}
NUMBERS = {"proj-tokyo": "111111111111", "proj-osaka": "222222222222", "proj-old": "333333333333"}
RM_TREE = {
    "organizations/100": (
        [
            {"projectId": "proj-tokyo", "displayName": "Tokyo", "state": "ACTIVE"},
            {"projectId": "proj-osaka", "displayName": "Osaka", "state": "ACTIVE"},
            {"projectId": "proj-old", "displayName": "Old", "state": "DELETE_REQUESTED"},
        ],
        [],
    )
}
FRESH = "2026-12-02T09:00:00.000000Z"


def _estate(
    projects: dict[str, list[dict[str, Any]]] | None = None, *, read_time: str | None = None
) -> AssetEstate:
    """The same buckets as the emulators hold, as Cloud Asset Inventory records them."""
    from datetime import UTC, datetime

    estate = AssetEstate(read_time=read_time or datetime.now(UTC).isoformat())
    projects = projects or {"proj-tokyo": TOKYO, "proj-osaka": OSAKA, "proj-old": OLD}
    for pid, buckets in projects.items():
        number = NUMBERS.get(pid, "444444444444")
        estate.add_project(pid, number, state="DELETE_REQUESTED" if pid == "proj-old" else "ACTIVE")
        for b in buckets:
            estate.add_bucket(
                dict(b, projectNumber=number), pid, POLICIES.get(b["name"], iam_policy())
            )
    return estate


def _asset(estate: AssetEstate, name: str) -> dict[str, Any]:
    return next(a for a in estate.resources if a["name"] == f"//storage.googleapis.com/{name}")


def _note(notes: list[CoverageNote], kind: str) -> CoverageNote:
    [note] = [n for n in notes if n.kind == kind]
    return note


def _counts(notes: list[CoverageNote], kind: str) -> Counter[str]:
    """A note's counts added up over the scopes (each project's scope has its own)."""
    total: Counter[str] = Counter()
    for n in notes:
        if n.kind == kind:
            total.update(n.counts)
    return total


@pytest.fixture
def endpoints(emulator: Callable[..., str]) -> dict[str, str]:
    return {
        "proj-tokyo": emulator(TOKYO, POLICIES),
        "proj-osaka": emulator(OSAKA, POLICIES),
        "proj-old": emulator(OLD),
    }


@pytest.fixture
def recorder() -> tuple[list[tuple[str, str]], Callable[[str, str], None]]:
    seen: list[tuple[str, str]] = []
    return seen, lambda method, url: seen.append((method, url))


def _inventory(url: str, endpoints: dict[str, str], **settings: Any) -> dict[str, Any]:
    return {
        "organization": "organizations/100",
        "source": "inventory",
        "asset_endpoint": url,
        "project_endpoints": endpoints,
        **settings,
    }


# -- the same findings ------------------------------------------------------------------------


def test_the_estate_through_the_inventory_gives_the_live_scans_findings(
    endpoints: dict[str, str], tmp_path: Path
) -> None:
    with serve_resource_manager(RM_TREE) as (rm_url, _):
        live = scan_provider(
            "gcp",
            {
                "organization": "organizations/100",
                "resource_manager_endpoint": rm_url,
                "project_endpoints": endpoints,
            },
            tmp_path / "live",
        )
    with serve_asset_inventory(_estate()) as url:
        inventory = scan_provider("gcp", _inventory(url, endpoints), tmp_path / "inventory")
    live_names = sorted(b.name for b in live.inventory.buckets)
    assert live_names == sorted(b["name"] for b in TOKYO + OSAKA)  # proj-old is not active
    assert sorted(b.name for b in inventory.inventory.buckets) == live_names
    assert {(b.name, b.scope) for b in inventory.inventory.buckets} == {
        (b.name, b.scope) for b in live.inventory.buckets
    }
    assert live.findings, "the estate must produce findings to compare"
    assert {f.fingerprint for f in inventory.findings} == {f.fingerprint for f in live.findings}
    by_name = {b.name: b for b in inventory.inventory.buckets}
    # the inventory does not record ACLs: the one bucket with uniform access off read them live
    assert by_name["ha-acl"].read_live == ("public_access.acl",)
    assert by_name["ha-acl"].public_access.verdict is PublicVerdict.PUBLIC
    assert all(b.read_live == () for n, b in by_name.items() if n != "ha-acl")
    assert all(b.captured is not None for b in by_name.values())


def test_each_bucket_carries_the_snapshot_time_and_the_notes_count_what_fell_back(
    endpoints: dict[str, str],
) -> None:
    with serve_asset_inventory(_estate(read_time=FRESH)) as url:
        provider = GcpProvider.from_settings(_inventory(url, endpoints, max_age="3650d"))
        buckets, notes = read_provider(provider)
    assert {b.captured.isoformat() for b in buckets.values() if b.captured} == {
        "2026-12-02T09:00:00+00:00"
    }
    sources = [n for n in notes if n.kind == "inventory-source"]
    assert len(sources) == 2  # one per project
    assert _counts(notes, "inventory-source") == {"buckets": len(TOKYO + OSAKA)}
    assert all("2026-12-02T09:00:00+00:00" in n.detail for n in sources)
    fallback = _note(notes, "inventory-fallback")
    assert fallback.counts["buckets"] == 1 and fallback.counts["field.public_access.acl"] == 1
    assert "ha-" not in fallback.detail and "1 of 4 buckets" in fallback.detail


# -- calls -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [999, 2500])
def test_calls_are_one_page_per_thousand_buckets_and_policies_and_nothing_live(
    emulator: Callable[..., str],
    recorder: tuple[list[tuple[str, str]], Callable[[str, str], None]],
    n: int,
) -> None:
    many = [bucket_resource(f"b-{i:05d}", "ASIA-NORTHEAST1") for i in range(n)]
    estate = _estate({"proj-tokyo": many, "proj-osaka": []})
    seen, observe = recorder
    with serve_asset_inventory(estate) as url:
        provider = GcpProvider.from_settings(
            _inventory(url, {"proj-tokyo": emulator([])}), observer=observe
        )
        buckets, _ = read_provider(provider)
    assert len(buckets) == n
    # the services that copy a bucket are read live: one list each for the project with buckets
    copy_lists = ("/backendBuckets", "/transferJobs", "/reportConfigs")
    copies = [u for _, u in seen if urlparse(u).path.endswith(copy_lists)]
    assert sorted(urlparse(u).path for u in copies) == [
        "/compute/v1/projects/proj-tokyo/global/backendBuckets",
        "/v1/projects/proj-tokyo/locations/-/reportConfigs",
        "/v1/transferJobs",
        "/v1/transferJobs",  # and its cross-bucket replication jobs, listed apart
    ]
    seen = [(m, u) for m, u in seen if (m, u) not in {("GET", c) for c in copies}]
    kinds = [
        (
            parse_qs(urlparse(u).query)["assetTypes"][0],
            parse_qs(urlparse(u).query)["contentType"][0],
        )
        for _, u in seen
    ]
    pages = math.ceil(n / 1000)
    assert kinds.count(("storage.googleapis.com/Bucket", "RESOURCE")) == pages
    assert kinds.count(("storage.googleapis.com/Bucket", "IAM_POLICY")) == pages
    assert kinds.count(("cloudresourcemanager.googleapis.com/Project", "RESOURCE")) == 1
    assert len(seen) == 2 * pages + 1  # no Cloud Storage request at all
    assert all(parse_qs(urlparse(u).query)["pageSize"] == ["1000"] for _, u in seen)


def test_a_listed_project_is_its_own_parent_and_needs_no_project_listing(
    emulator: Callable[..., str],
) -> None:
    estate = _estate({"proj-tokyo": TOKYO})
    with serve_asset_inventory(estate) as url:
        provider = GcpProvider.from_settings(
            {
                "projects": ["proj-tokyo"],
                "source": "inventory",
                "asset_endpoint": url,
                "project_endpoints": {"proj-tokyo": emulator(TOKYO, POLICIES)},
            }
        )
        buckets, _ = read_provider(provider)
    assert sorted(buckets) == sorted(b["name"] for b in TOKYO)
    assert {b.scope for b in buckets.values()} == {"proj-tokyo"}
    assert all("/v1/projects/proj-tokyo/assets?" in r for r in estate.requests)
    assert len(estate.requests) == 2


# -- fallback --------------------------------------------------------------------------------


def test_a_snapshot_older_than_max_age_is_read_live_bucket_by_bucket(
    endpoints: dict[str, str],
    recorder: tuple[list[tuple[str, str]], Callable[[str, str], None]],
) -> None:
    estate = _estate(read_time="2026-01-01T00:00:00Z")
    # the inventory's copy is out of date: the live bucket is in Hong Kong now
    _asset(estate, "ha-tokyo")["resource"]["data"]["location"] = "US-EAST1"
    seen, observe = recorder
    with serve_asset_inventory(estate) as url:
        provider = GcpProvider.from_settings(_inventory(url, endpoints), observer=observe)
        buckets, notes = read_provider(provider)
    assert buckets["ha-tokyo"].primary is not None
    assert buckets["ha-tokyo"].primary.region == "asia-northeast1"
    assert all(b.read_live == ALL_FIELDS for b in buckets.values())
    fallback = _counts(notes, "inventory-fallback")
    total = len(TOKYO + OSAKA)
    assert fallback["buckets"] == total and fallback["reason.stale"] == total
    storage = [urlparse(u).path for _, u in seen if "/storage/v1/" in u]
    assert storage.count("/storage/v1/b") == 2  # one live list per project, not per bucket
    assert sum(p.endswith("/iam") for p in storage) == total


def test_without_a_snapshot_time_each_assets_update_time_decides(endpoints: dict[str, str]) -> None:
    estate = _estate()
    estate.read_time = None
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat()
    for a in estate.resources:
        a["updateTime"] = now
    _asset(estate, "ha-hk")["updateTime"] = "2026-01-01T00:00:00Z"
    with serve_asset_inventory(estate) as url:
        buckets, _ = read_provider(GcpProvider.from_settings(_inventory(url, endpoints)))
    assert buckets["ha-hk"].read_live == ALL_FIELDS
    assert buckets["ha-tokyo"].read_live == ()


def test_settings_the_asset_lacks_are_read_live_for_that_bucket_only(
    endpoints: dict[str, str],
) -> None:
    estate = _estate()
    del _asset(estate, "ha-cfg")["resource"]["data"]["customPlacementConfig"]
    del _asset(estate, "ha-cmek")["resource"]["data"]["encryption"]
    estate.iam_policies = [p for p in estate.iam_policies if "ha-public" not in p["name"]]
    with serve_asset_inventory(estate) as url:
        buckets, notes = read_provider(GcpProvider.from_settings(_inventory(url, endpoints)))
    cfg = buckets["ha-cfg"]
    assert cfg.read_live == ("locations",)
    assert sorted(loc.region or "" for loc in cfg.locations) == ["asia-east1", "asia-northeast1"]
    cmek = buckets["ha-cmek"]
    assert cmek.read_live == ("encryption",)
    assert cmek.encryption.tier is EncryptionTier.CUSTOMER_MANAGED
    assert [loc.region for loc in cmek.locations if loc.role is Role.KEY] == ["asia-east2"]
    assert buckets["ha-public"].read_live == ("public_access.iam_policy",)
    assert buckets["ha-public"].public_access.verdict is PublicVerdict.PUBLIC
    fallback = _counts(notes, "inventory-fallback")
    assert fallback["buckets"] == 4  # with ha-acl's ACL
    assert fallback["reason.absent"] == 2 and fallback["reason.not-recorded"] == 2


def test_a_setting_neither_the_inventory_nor_a_live_read_gives_is_unknown_never_safe(
    emulator: Callable[..., str],
) -> None:
    estate = _estate({"proj-tokyo": TOKYO})
    del _asset(estate, "ha-cmek")["resource"]["data"]["encryption"]
    del _asset(estate, "ha-cfg")["resource"]["data"]["customPlacementConfig"]
    denied = {"proj-tokyo": emulator(TOKYO, POLICIES, deny_list=True)}
    with serve_asset_inventory(estate) as url:
        buckets, notes = read_provider(GcpProvider.from_settings(_inventory(url, denied)))
    cmek = buckets["ha-cmek"]
    assert cmek.encryption.tier is EncryptionTier.UNKNOWN
    assert [g.field for g in cmek.gaps] == ["encryption"]
    assert cmek.read_live == ()
    cfg = buckets["ha-cfg"]
    assert [loc.region for loc in cfg.locations] == [None]
    failed = _note(notes, "inventory-fallback-failed")
    assert failed.affects_completeness and failed.counts == {"buckets": 2}
    assert "ha-cmek" in failed.detail and "403" in failed.detail


# -- verification ----------------------------------------------------------------------------


def test_a_planted_disagreement_is_reported_and_the_live_reading_wins(
    endpoints: dict[str, str],
) -> None:
    estate = _estate()
    _asset(estate, "ha-hk")["resource"]["data"]["location"] = "ASIA-NORTHEAST1"
    with serve_asset_inventory(estate) as url:
        provider = GcpProvider.from_settings(_inventory(url, endpoints, verify_sample=100))
        buckets, notes = read_provider(provider)
    [note] = [n for n in notes if n.kind == "inventory-disagreement"]
    assert "ha-hk" in note.detail and "locations" in note.detail
    assert buckets["ha-hk"].primary is not None and buckets["ha-hk"].primary.region == "asia-east2"
    assert buckets["ha-hk"].captured is None  # the live reading is the one reported


def test_the_verification_sample_is_k_buckets_and_reproducible(
    endpoints: dict[str, str],
    recorder: tuple[list[tuple[str, str]], Callable[[str, str], None]],
) -> None:
    def verified(seed: int) -> list[str]:
        seen, observe = recorder
        seen.clear()
        with serve_asset_inventory(_estate()) as url:
            provider = GcpProvider.from_settings(
                _inventory(url, endpoints, verify_sample=3, verify_seed=seed), observer=observe
            )
            _, notes = read_provider(provider)
        assert not [n for n in notes if n.kind == "inventory-disagreement"]
        return sorted(
            urlparse(u).path.split("/")[4] for _, u in seen if urlparse(u).path.endswith("/iam")
        )

    first = verified(7)
    assert len(set(first) - {"ha-acl"}) >= 2 and len(first) <= 4
    assert verified(7) == first


# -- the inventory failing -------------------------------------------------------------------


def test_an_unlistable_inventory_fails_the_scope_and_unlisted_policies_are_read_live(
    endpoints: dict[str, str],
) -> None:
    def deny_resources(method: str, path: str) -> str | None:
        return "denied" if "contentType=RESOURCE" in path and "Bucket" in path else None

    with serve_asset_inventory(_estate(), faults=deny_resources) as url:
        provider = GcpProvider.from_settings(_inventory(url, endpoints, retry_deadline=1))
        scopes = list(provider.scopes())
        assert [s.id for s in scopes] == ["proj-tokyo", "proj-osaka"]
        for scope in scopes:  # every project's scope fails: none of its buckets was read
            with pytest.raises(CollectionError, match="403"):
                list(provider.buckets(scope))

    def deny_iam(method: str, path: str) -> str | None:
        return "denied" if "contentType=IAM_POLICY" in path else None

    with serve_asset_inventory(_estate(), faults=deny_iam) as url:
        buckets, notes = read_provider(
            GcpProvider.from_settings(_inventory(url, endpoints, retry_deadline=1))
        )
    assert len([n for n in notes if n.kind == "inventory-iam-unread"]) == 2
    assert buckets["ha-public"].public_access.verdict is PublicVerdict.PUBLIC
    assert all("public_access.iam_policy" in b.read_live for b in buckets.values())


# -- settings and permissions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"source": "cai"}, "providers.gcp.source"),
        ({"source": "inventory", "max_age": "1 week"}, "providers.gcp.max_age"),
        ({"source": "inventory", "max_age": 0}, "providers.gcp.max_age"),
        ({"source": "inventory", "verify_sample": -1}, "providers.gcp.verify_sample"),
        ({"source": "inventory", "verify_seed": "x"}, "providers.gcp.verify_seed"),
        ({"source": "inventory", "asset_endpoint": "ftp://x"}, "providers.gcp.asset_endpoint"),
    ],
)
def test_a_bad_inventory_setting_names_its_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        GcpProvider.from_settings(settings)
    assert caught.value.key == key


def test_a_bad_setting_exits_2_naming_the_key(tmp_path: Path) -> None:
    import subprocess
    import sys

    config = tmp_path / "c.toml"
    config.write_text(
        '[providers.gcp]\nprojects = ["proj-tokyo"]\nsource = "inventory"\nmax_age = "soon"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "residency_audit", "scan", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "providers.gcp.max_age" in done.stderr


def test_an_inventory_scan_uses_exactly_the_inventory_roles_permissions(
    emulator: Callable[..., str],
    recorder: tuple[list[tuple[str, str]], Callable[[str, str], None]],
) -> None:
    estate = _estate()
    estate.iam_policies = [p for p in estate.iam_policies if "ha-public" not in p["name"]]
    # a bucket logging to another project's bucket, whose location is read live (buckets.get)
    _asset(estate, "ha-tokyo")["resource"]["data"]["logging"] = {"logBucket": "org-logs"}
    endpoints = {
        "proj-tokyo": emulator(TOKYO, POLICIES, others=[bucket_resource("org-logs", "ASIA-EAST2")]),
        "proj-osaka": emulator(OSAKA, POLICIES),
        "proj-old": emulator(OLD),
    }
    seen, observe = recorder
    with serve_asset_inventory(estate) as url:
        provider = GcpProvider.from_settings(_inventory(url, endpoints), observer=observe)
        read_provider(provider)
    assert {m for m, _ in seen} == {"GET"}
    used: set[str] = set()
    for method, u in seen:
        perms = permissions_for(method, urlparse(u).path)
        assert perms is not None, f"request outside the permission map: {method} {u}"
        used.update(perms)
    assert used == set(INVENTORY_PERMISSIONS)
    assert set(provider.required_permissions()) == used
    assert set(provider.permission_policy()["includedPermissions"]) == used
    # the live role stays as it was: no Cloud Asset Inventory permission in it
    assert not any(p.startswith("cloudasset.") for p in PERMISSIONS)


@pytest.fixture(autouse=True)
def _no_metadata_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    yield


def test_permissions_gcp_prints_the_inventory_role_when_the_config_says_inventory() -> None:
    from residency_audit.permission_docs import PermissionRequest, permission_document

    inventory = GcpProvider.from_settings({"organization": "123", "source": "inventory"})
    text = permission_document("gcp", inventory, PermissionRequest(format="gcloud"))
    assert "cloudasset.assets.listResource" in text and "cloudasset.assets.listIamPolicy" in text
    assert "resourcemanager.projects.get" not in text
    live = GcpProvider.from_settings({"organization": "123"})
    assert "cloudasset" not in permission_document("gcp", live, PermissionRequest())


def test_a_folder_is_read_as_its_own_parent(emulator: Callable[..., str]) -> None:
    from datetime import UTC, datetime

    estate = AssetEstate(read_time=datetime.now(UTC).isoformat())
    estate.add_project("proj-tokyo", NUMBERS["proj-tokyo"], folders=["folders/200"])
    estate.add_project("proj-osaka", NUMBERS["proj-osaka"])  # outside the folder
    for b in TOKYO[:2]:
        estate.add_bucket(b, "proj-tokyo", iam_policy(), folders=["folders/200"])
    estate.add_bucket(OSAKA[0], "proj-osaka", iam_policy())
    with serve_asset_inventory(estate) as url:
        provider = GcpProvider.from_settings(
            {
                "folder": "200",
                "source": "inventory",
                "asset_endpoint": url,
                "project_endpoints": {"proj-tokyo": emulator(TOKYO, POLICIES)},
            }
        )
        buckets, _ = read_provider(provider)
    assert sorted(buckets) == ["ha-hk", "ha-tokyo"]
    assert all("/v1/folders/200/assets?" in r for r in estate.requests)


def test_a_bucket_page_that_fails_part_way_keeps_the_buckets_before_it_and_says_so(
    emulator: Callable[..., str],
) -> None:
    many = [bucket_resource(f"b-{i:05d}", "ASIA-NORTHEAST1") for i in range(1500)]
    estate = _estate({"proj-tokyo": many})

    def second_page(method: str, path: str) -> str | None:
        second = "pageToken=" in path and "contentType=RESOURCE" in path and "Bucket" in path
        return "denied" if second else None

    with serve_asset_inventory(estate, faults=second_page) as url:
        buckets, notes = read_provider(
            GcpProvider.from_settings(_inventory(url, {"proj-tokyo": emulator([])}))
        )
    assert len(buckets) == 1000
    stopped = _note(notes, "listing-stopped")
    assert stopped.buckets_missing and stopped.affects_completeness and "403" in stopped.detail


def test_an_old_snapshot_that_cannot_be_read_live_is_reported_as_captured_and_incomplete(
    emulator: Callable[..., str],
) -> None:
    estate = _estate({"proj-tokyo": TOKYO}, read_time="2026-01-01T00:00:00Z")
    denied = {"proj-tokyo": emulator(TOKYO, POLICIES, deny_list=True, deny_iam=["ha-hk"])}
    with serve_asset_inventory(estate) as url:
        buckets, notes = read_provider(GcpProvider.from_settings(_inventory(url, denied)))
    hk = buckets["ha-hk"]
    assert hk.captured is not None and hk.captured.year == 2026 and hk.captured.month == 1
    assert hk.primary is not None and hk.primary.region == "asia-east2"  # the inventory's
    assert hk.public_access.verdict is PublicVerdict.UNKNOWN  # its policy could not be re-read
    assert hk.read_live == ()
    failed = _note(notes, "inventory-fallback-failed")
    assert failed.affects_completeness and failed.counts == {"buckets": len(TOKYO)}
