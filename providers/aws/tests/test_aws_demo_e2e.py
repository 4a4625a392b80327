"""The AWS demo estate end to end: moto_server seeded by demo/aws_backend.py -> the core scan over
HTTP (S3 Control included, through the endpoint hook) -> what a user reads in the findings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from residency_audit.model import EncryptionTier, PublicVerdict, Role, ScopeStatus, Severity
from residency_audit.results import ScanResult
from residency_audit.testing import bucket_named, finding_summary, load_module, scan_provider

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[3]


def _backend() -> ModuleType:
    return load_module(ROOT / "demo" / "aws_backend.py")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScanResult]:
    workdir = tmp_path_factory.mktemp("aws-demo")
    with _backend().serve(workdir / "aws") as settings:
        yield scan_provider("aws", settings, workdir)


bucket = bucket_named
findings = finding_summary


def test_every_organisation_account_and_bucket_is_scanned(result: ScanResult) -> None:
    seed = _backend().load_seed()
    expected = {
        b["name"]
        for account in seed["accounts"]
        if not account.get("outside_organization")
        for b in account["buckets"]
    }
    assert {b.name for b in result.inventory.buckets} == expected
    scopes = result.inventory.scopes
    assert sorted(s.name or "" for s in scopes) == ["master", "prod", "research"]
    # research's backup plan cannot be fully read (moto), which is a gap, not a failed scope
    assert all(s.status is ScopeStatus.COMPLETE for s in scopes)


def test_hong_kong_replicas_are_critical_findings(result: ScanResult) -> None:
    cad = bucket(result, "cad-archive")
    assert [(loc.region, loc.target) for loc in cad.locations if loc.role is Role.REPLICA] == [
        ("ap-east-1", "arn:aws:s3:::cad-archive-hk")
    ]
    assert ("location.concern", Severity.CRITICAL, "HK") in findings(result, "cad-archive")
    # the cross-account destination outside the organisation is resolved too
    assert ("location.concern", Severity.CRITICAL, "HK") in findings(result, "partner-exchange")


def test_tokyo_only_bucket_has_no_location_findings(result: ScanResult) -> None:
    docs = bucket(result, "jp-design-docs-tokyo")
    assert [loc.region for loc in docs.locations] == ["ap-northeast-1"]
    assert docs.public_access.verdict is PublicVerdict.BLOCKED  # account + bucket BPA via s3control
    assert not {f for f in findings(result, "jp-design-docs-tokyo") if f[0].startswith("location")}


def test_unknown_destination_and_unread_backup_are_unverified_not_safe(result: ScanResult) -> None:
    partner = bucket(result, "partner-exchange")
    missing = [loc for loc in partner.locations if loc.region is None]
    assert [loc.unknown_reason for loc in missing] == [
        "destination bucket does not exist (NoSuchBucket)"
    ]
    assert partner.external_principals == ("arn:aws:iam::999988887777:root",)
    unverified = {
        f.rule_id
        for f in result.findings
        if f.unverified and f.resource and f.resource.name == "partner-exchange"
    }
    assert "location.unknown" in unverified
    oregon = {
        f.rule_id
        for f in result.findings
        if f.unverified and f.resource and f.resource.name == "test-results-oregon"
    }
    assert "gap.may-hide-copy" in oregon


def test_keys_public_access_and_classification_as_seeded(result: ScanResult) -> None:
    assert bucket(result, "public-website-assets").public_access.verdict is PublicVerdict.PUBLIC
    ml = bucket(result, "ml-training-eu")
    assert ml.encryption.tier is EncryptionTier.CUSTOMER_MANAGED
    assert [loc.region for loc in ml.locations if loc.role is Role.KEY] == ["us-east-1"]
    contracts = bucket(result, "jp-contracts")
    assert sorted(loc.region or "" for loc in contracts.locations if loc.role is Role.KEY) == [
        "ap-northeast-1",
        "ap-southeast-1",
    ]
    assert bucket(result, "cad-archive").tags["data-classification"] == "sensitive"


def test_a_trail_recording_tokyo_contracts_puts_their_object_names_in_hong_kong(
    result: ScanResult,
) -> None:
    contracts = bucket(result, "jp-contracts")
    exports = [
        (loc.region, loc.mechanism, loc.target)
        for loc in contracts.locations
        if loc.role is Role.METADATA
    ]
    assert exports == [
        (
            "ap-east-1",
            "cloudtrail-data-events",
            "prod-trail-archive-hk (trail contracts-data-events of account 210987654321)",
        )
    ]
    located = {
        (f.rule_id, f.location.role, f.location.country)
        for f in result.findings
        if f.resource and f.resource.name == "jp-contracts" and f.location
    }
    assert ("location.concern", Role.METADATA, "HK") in located
    # the trail records only jp-contracts: the other Tokyo buckets export nothing to it
    docs = bucket(result, "jp-design-docs-tokyo")
    assert not [loc for loc in docs.locations if loc.role is Role.METADATA]


def test_manuals_served_from_every_edge_location_may_be_cached_in_hong_kong(
    result: ScanResult,
) -> None:
    manuals = bucket(result, "jp-product-manuals")
    [cache] = [loc for loc in manuals.locations if loc.role is Role.CACHE]
    assert (cache.region, cache.mechanism, cache.certainty.value) == (
        "cloudfront:PriceClass_All",
        "cloudfront",
        "possible",
    )
    located = {
        (f.rule_id, f.location.role, f.location.country, f.location.certainty.value)
        for f in result.findings
        if f.resource and f.resource.name == "jp-product-manuals" and f.location
    }
    assert ("location.concern", Role.CACHE, "HK", "possible") in located


def test_a_datasync_task_copying_oregon_results_to_ireland_is_a_transfer(
    result: ScanResult,
) -> None:
    oregon = bucket(result, "test-results-oregon")
    transfers = [
        (loc.region, loc.mechanism, (loc.target or "").split(" (task ")[0])
        for loc in oregon.locations
        if loc.role is Role.TRANSFER
    ]
    assert transfers == [("eu-west-1", "datasync", "ml-training-eu")]
    assert not [
        loc for loc in bucket(result, "ml-training-eu").locations if loc.role is Role.TRANSFER
    ]
