"""The whole provider against gcp-storage-emulator, with the unmodified google-cloud-storage client.

Buckets are seeded through the emulator's metadata file in the real JSON API shape (its insert
ignores locations). The emulator does not enforce IAM, so ``serve_emulator(deny_iam=...)`` answers
403 for those buckets' IAM reads the way Cloud Storage does; every other request is the emulator's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from residency_audit.catalog import load_catalog
from residency_audit.errors import CollectionError
from residency_audit.model import (
    Bucket,
    Certainty,
    Classification,
    EncryptionTier,
    Hidden,
    PublicVerdict,
    Role,
    ScopeStatus,
    Severity,
)
from residency_audit.permission_docs import PermissionRequest
from residency_audit.rules.gaps import SCOPE_ITEMS
from residency_audit.testing import finding_summary, read_provider, scan_provider
from residency_audit_gcp import GcpProvider
from residency_audit_gcp.permissions import PERMISSIONS, permissions_for
from residency_audit_gcp.testing import bucket_resource, iam_policy, serve_emulator

pytestmark = pytest.mark.emulator

KEY_HK = "projects/kms-proj/locations/asia-east2/keyRings/ring/cryptoKeys/bucket-key"

ESTATE = [
    bucket_resource("tokyo", "ASIA-NORTHEAST1", pap="enforced", labels={"env": "prod"}),
    bucket_resource("hongkong", "ASIA-EAST2"),
    bucket_resource("jp-dual", "ASIA1", location_type="dual-region"),
    bucket_resource(
        "cfg-dual",
        "ASIA",
        location_type="dual-region",
        data_locations=["ASIA-NORTHEAST1", "ASIA-EAST1"],
    ),
    bucket_resource("asia-multi", "ASIA", location_type="multi-region"),
    bucket_resource("eu-multi", "EU", location_type="multi-region"),
    bucket_resource("us-multi", "US", location_type="multi-region"),
    bucket_resource("cmek", "ASIA-NORTHEAST1", kms_key=KEY_HK),
    bucket_resource("public-iam", "US-EAST1"),
    bucket_resource(
        "public-acl", "US-EAST1", ubla=False, acl=[{"entity": "allUsers", "role": "READER"}]
    ),
    bucket_resource("no-iam", "US-EAST1"),
    # a Rapid zonal bucket as buckets.list returns it (see test_normalize for the shape's source)
    bucket_resource("rapid-zonal", "US-CENTRAL1-A", location_type="zone"),
    # ... and as created: the region as location, the zone as the one data location
    bucket_resource(
        "rapid-placed", "US-WEST4", location_type="zone", data_locations=["US-WEST4-A"]
    ),
]
POLICIES = {
    "public-iam": iam_policy(("roles/storage.objectViewer", ["allUsers"]), version=3),
    "tokyo": iam_policy(("roles/storage.objectViewer", ["allAuthenticatedUsers"])),
}

Recorder = tuple[list[tuple[str, str]], Callable[[str, str], None]]


def recorder() -> Recorder:
    seen: list[tuple[str, str]] = []
    return seen, lambda method, url: seen.append((method, url))


@pytest.fixture(scope="module")
def estate(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, Bucket], list[tuple[str, str]]]]:
    """One full scan of ESTATE, shared by the read-only assertions below."""
    with serve_emulator(
        tmp_path_factory.mktemp("estate"), ESTATE, POLICIES, deny_iam=["no-iam"]
    ) as url:
        seen, observe = recorder()
        provider = GcpProvider.from_settings(
            {"projects": ["proj-jp"], "endpoint": url, "max_workers": 4}, observer=observe
        )
        buckets, notes = read_provider(provider)
    assert notes == []
    yield buckets, seen


def locs(bucket: Bucket) -> list[tuple[Role, str | None, Certainty]]:
    return [(loc.role, loc.region, loc.certainty) for loc in bucket.locations]


def test_every_seeded_bucket_is_reported_once(estate: Any) -> None:
    buckets, _ = estate
    assert sorted(buckets) == sorted(b["name"] for b in ESTATE)
    assert {b.scope for b in buckets.values()} == {"proj-jp"}


def test_locations_as_a_user_sees_them(estate: Any) -> None:
    b, _ = estate
    mrm, c, p = Role.MULTI_REGION_MEMBER, Certainty.CONFIRMED, Certainty.POSSIBLE
    assert locs(b["tokyo"]) == [(Role.PRIMARY, "asia-northeast1", c)]
    assert locs(b["hongkong"]) == [(Role.PRIMARY, "asia-east2", c)]
    assert locs(b["jp-dual"]) == [(mrm, "asia-northeast1", c), (mrm, "asia-northeast2", c)]
    assert locs(b["cfg-dual"]) == [(mrm, "asia-northeast1", c), (mrm, "asia-east1", c)]
    assert locs(b["asia-multi"]) == [(mrm, "ASIA", p)]
    assert locs(b["eu-multi"]) == [(mrm, "EU", p)]
    assert locs(b["us-multi"]) == [(mrm, "US", c)]
    assert locs(b["cmek"]) == [(Role.PRIMARY, "asia-northeast1", c), (Role.KEY, "asia-east2", c)]
    assert locs(b["rapid-zonal"]) == [(Role.PRIMARY, "us-central1-a", c)]
    assert locs(b["rapid-placed"]) == [(Role.PRIMARY, "us-west4-a", c)]  # not a dual-region
    assert load_catalog().resolve(b["rapid-zonal"].locations[0]).countries == ("US",)


def test_encryption_and_labels(estate: Any) -> None:
    b, _ = estate
    assert b["cmek"].encryption.tier is EncryptionTier.CUSTOMER_MANAGED
    assert b["cmek"].encryption.key_id == KEY_HK
    assert b["tokyo"].encryption.tier is EncryptionTier.PROVIDER_MANAGED
    assert b["tokyo"].tags == {"env": "prod"}


def test_public_access_verdicts(estate: Any) -> None:
    b, _ = estate
    verdict = {name: bucket.public_access.verdict for name, bucket in b.items()}
    # PAP enforced wins over the allAuthenticatedUsers binding seeded on "tokyo"
    assert verdict["tokyo"] is PublicVerdict.BLOCKED
    assert verdict["public-iam"] is PublicVerdict.PUBLIC
    assert verdict["public-acl"] is PublicVerdict.PUBLIC
    assert verdict["hongkong"] is PublicVerdict.NOT_BLOCKED
    assert "allUsers" in {e.subject for e in b["public-iam"].public_access.evidence}
    assert "gcs.acl-grant" in {e.key for e in b["public-acl"].public_access.evidence}


def test_denied_iam_read_is_unknown_with_the_403(estate: Any) -> None:
    b, _ = estate
    bucket = b["no-iam"]
    assert bucket.public_access.verdict is PublicVerdict.UNKNOWN
    (gap,) = bucket.gaps
    assert gap.field == "public_access.iam_policy"
    assert gap.error_code == "403"
    assert "getIamPolicy" in gap.reason
    # the other buckets are unaffected
    assert b["hongkong"].gaps == ()


def test_one_full_list_and_one_iam_read_per_bucket_no_refetch(estate: Any) -> None:
    _, seen = estate
    paths = [urlparse(url).path for _, url in seen]
    lists = [url for _, url in seen if urlparse(url).path == "/storage/v1/b"]
    assert len(lists) == 1
    assert parse_qs(urlparse(lists[0]).query)["projection"] == ["full"]
    iam_reads = [u for _, u in seen if urlparse(u).path.endswith("/iam")]
    assert sorted(urlparse(u).path for u in iam_reads) == sorted(
        f"/storage/v1/b/{b['name']}/iam" for b in ESTATE
    )
    assert all(
        parse_qs(urlparse(u).query)["optionsRequestedPolicyVersion"] == ["3"] for u in iam_reads
    )
    # and one list of each service that copies a bucket (Cloud CDN, transfer, inventory)
    copy_lists = ("/backendBuckets", "/transferJobs", "/reportConfigs")
    copies = [p for p in paths if p.endswith(copy_lists)]
    assert len(copies) == 4  # transfer jobs twice: replication jobs are listed apart
    assert len(paths) == 1 + len(ESTATE) + 4


def test_unlistable_project_raises_collection_error(emulator: Callable[..., str]) -> None:
    url = emulator(ESTATE[:1], deny_list=True)
    provider = GcpProvider.from_settings({"projects": ["proj-jp"], "endpoint": url})
    (scope,) = provider.scopes()
    with pytest.raises(CollectionError) as err:
        list(provider.buckets(scope))
    assert err.value.code == "403"
    assert "proj-jp" in str(err.value)


def test_storage_emulator_host_env_is_used(
    emulator: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = emulator(ESTATE[:2])
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", url)
    buckets, _ = read_provider(GcpProvider.from_settings({"projects": ["proj-jp"]}))
    assert sorted(buckets) == ["hongkong", "tokyo"]


def test_full_org_scan_is_read_only_and_uses_exactly_the_role_permissions(
    emulator: Callable[..., str], resource_manager: tuple[str, list[tuple[str, str]]]
) -> None:
    """Every HTTP request of a full scan is a GET, and maps to a permission of the custom role;
    every permission of the role is used. (A denied IAM read still counts: it was sent.)"""
    rm_url, _ = resource_manager
    # a bucket logging to another project's bucket: its location is read with buckets.get
    logged = dict(ESTATE[0], logging={"logBucket": "org-logs"})
    elsewhere = [bucket_resource("org-logs", "ASIA-EAST2")]
    endpoints = {
        "proj-alpha": emulator(
            [logged, *ESTATE[1:4]], POLICIES, deny_iam=["jp-dual"], others=elsewhere
        ),
        "proj-beta": emulator(ESTATE[4:8], POLICIES),
        "proj-gamma": emulator(ESTATE[8:], POLICIES),
        "proj-delta": emulator([]),
    }
    seen, observe = recorder()
    provider = GcpProvider.from_settings(
        {
            "organization": "organizations/100",
            "resource_manager_endpoint": rm_url,
            "project_endpoints": endpoints,
        },
        observer=observe,
    )
    scopes = list(provider.scopes())
    collected: dict[str, list[str]] = {}
    for scope in scopes:
        try:
            collected[scope.id] = [b.name for b in provider.buckets(scope) if isinstance(b, Bucket)]
        except CollectionError:
            collected[scope.id] = ["<failed>"]
    # one emulator per project: each project's buckets are its own
    assert collected == {
        "proj-alpha": [b["name"] for b in ESTATE[:4]],
        "proj-beta": [b["name"] for b in ESTATE[4:8]],
        "proj-gamma": [b["name"] for b in ESTATE[8:]],
        "folders/300": ["<failed>"],
        "proj-delta": [],
    }
    assert seen, "no request was recorded"
    assert {method for method, _ in seen} == {"GET"}
    used: set[str] = set()
    for method, url in seen:
        perms = permissions_for(method, urlparse(url).path)
        assert perms is not None, f"request outside the permission map: {method} {url}"
        used.update(perms)
    assert used == set(PERMISSIONS) == set(provider.permission_policy()["includedPermissions"])
    # the role file `permissions gcp --format gcloud` prints grants the same permissions
    role_file = provider.permission_document(PermissionRequest(format="gcloud"))
    assert set(yaml.safe_load(role_file)["includedPermissions"]) == used


def test_stopping_early_cancels_the_queued_iam_reads(emulator: Callable[..., str]) -> None:
    many = [bucket_resource(f"b-{i:03d}", "US-EAST1") for i in range(120)]
    seen, observe = recorder()
    provider = GcpProvider.from_settings(
        {"projects": ["proj-jp"], "endpoint": emulator(many), "max_workers": 2}, observer=observe
    )
    (scope,) = provider.scopes()
    stream = provider.buckets(scope)
    first = next(stream)
    assert isinstance(first, Bucket) and first.name == "b-000"
    stream.close()
    iam_reads = [u for _, u in seen if "/iam" in u]
    assert len(iam_reads) < len(many) // 2


def test_listing_pages_are_followed(emulator: Callable[..., str]) -> None:
    three = [bucket_resource(f"b-{i}", "US-EAST1") for i in range(3)]
    seen, observe = recorder()
    url = emulator(three, list_page_size=1)
    provider = GcpProvider.from_settings(
        {"projects": ["proj-jp"], "endpoint": url}, observer=observe
    )
    buckets, notes = read_provider(provider)
    assert sorted(buckets) == ["b-0", "b-1", "b-2"] and notes == []
    assert sum(urlparse(u).path == "/storage/v1/b" for _, u in seen) == 3


def test_a_listing_that_stops_part_way_keeps_its_buckets_and_says_some_are_missing(
    emulator: Callable[..., str], tmp_path: Path
) -> None:
    three = [bucket_resource(f"b-{i}", "US-EAST1") for i in range(3)]
    url = emulator(
        three,
        list_page_size=1,
        faults=lambda method, path: "denied" if "pageToken=2" in path else None,
    )
    settings = {"projects": ["proj-jp"], "endpoint": url}
    buckets, notes = read_provider(GcpProvider.from_settings(settings))
    assert sorted(buckets) == ["b-0", "b-1"]
    (note,) = notes
    assert note.kind == "listing-stopped"
    assert note.buckets_missing and note.affects_completeness
    assert "403" in note.detail
    # as the user sees it: the project is incomplete, and unverified for every bucket-level item
    result = scan_provider("gcp", settings, tmp_path)
    (scope,) = result.inventory.scopes
    assert scope.status is ScopeStatus.INCOMPLETE and scope.bucket_count == 2
    (unlisted,) = [f for f in result.findings if f.rule_id == "scope.unlisted"]
    assert unlisted.unverified and set(SCOPE_ITEMS) == set(unlisted.guideline_items)


def test_an_unreachable_bucket_is_unverified_everywhere_and_its_tags_unknown(
    emulator: Callable[..., str], tmp_path: Path
) -> None:
    """buckets.list names a bucket it cannot return: the report keeps it, says its labels could
    not be read (graded as if sensitive), and flags every item its copies or access could hit."""
    url = emulator(ESTATE[:1], unreachable=["down"])
    result = scan_provider("gcp", {"projects": ["proj-jp"], "endpoint": url}, tmp_path)
    (scope,) = result.inventory.scopes
    assert scope.status is ScopeStatus.INCOMPLETE
    (down,) = [b for b in result.inventory.buckets if b.name == "down"]
    assert down.classification is Classification.UNKNOWN
    # the class rests on the unread tags (a gap says so), not on a tag
    assert any(Hidden.CLASSIFICATION in g.hides for g in down.gaps)
    assert down.classification_source is None
    findings = [f for f in result.findings if f.resource and f.resource.name == "down"]
    assert findings and all(f.unverified for f in findings)
    items = {item for f in findings for item in f.guideline_items}
    assert {"(2)-1", "(2)-2", "(1)-3", "(1)-note", "(1)-2"} <= items
    assert {"gap.may-hide-copy", "public.unknown"} <= {f.rule_id for f in findings}


def test_a_global_kms_key_is_flagged_as_possibly_in_hong_kong(
    emulator: Callable[..., str], tmp_path: Path
) -> None:
    """Scan to findings: a Tokyo bucket whose key is in Cloud KMS 'global' may have the key in HK
    (possible, so high rather than critical); a key in Tokyo and a Rapid bucket in a Tokyo zone
    raise nothing under the Japanese default profile."""
    key = "projects/kms-proj/locations/{}/keyRings/ring/cryptoKeys/k"
    buckets = [
        bucket_resource(
            "global-key", "ASIA-NORTHEAST1", pap="enforced", kms_key=key.format("global")
        ),
        bucket_resource(
            "tokyo-key", "ASIA-NORTHEAST1", pap="enforced", kms_key=key.format("asia-northeast1")
        ),
        bucket_resource("rapid-tokyo", "ASIA-NORTHEAST1-A", location_type="zone", pap="enforced"),
    ]
    url = emulator(buckets, {b["name"]: iam_policy() for b in buckets})
    result = scan_provider("gcp", {"projects": ["proj-jp"], "endpoint": url}, tmp_path)
    mine = [f for f in result.findings if f.resource and f.resource.name == "global-key"]
    hk = [f.location for f in mine if f.location and f.location.country == "HK"]
    assert hk and {(loc.role, loc.certainty) for loc in hk} == {(Role.KEY, Certainty.POSSIBLE)}
    assert {f.severity for f in mine if f.location in hk} == {Severity.HIGH}
    # a key that may sit in a country of concern is no encryption mitigation
    assert "encryption.no-customer-key" in {f.rule_id for f in mine}
    assert finding_summary(result, "tokyo-key") == set()
    assert finding_summary(result, "rapid-tokyo") == set()
