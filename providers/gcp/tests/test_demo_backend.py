"""The GCS demo estate end to end: serve() -> the core scan -> the findings a user reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from residency_audit.model import Certainty, PublicVerdict, ScopeStatus, Severity
from residency_audit.results import ScanResult
from residency_audit.testing import bucket_named, finding_summary, load_module, scan_provider

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[3]


def _backend() -> ModuleType:
    return load_module(ROOT / "demo" / "gcp_backend.py")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScanResult]:
    workdir = tmp_path_factory.mktemp("demo")
    with _backend().serve(workdir / "gcp") as settings:
        yield scan_provider("gcp", settings, workdir)


def test_every_demo_bucket_is_scanned_in_its_own_project(result: ScanResult) -> None:
    seed = _backend().load_seed()["projects"]
    inv = result.inventory
    assert {(b.scope, b.name) for b in inv.buckets} == {
        (p, b["name"]) for p, s in seed.items() for b in s["buckets"]
    }
    assert {s.scope: s.status for s in inv.scopes} == {
        "design-prod-jp": ScopeStatus.COMPLETE,
        "analytics-global": ScopeStatus.COMPLETE,
    }


def test_asia_multi_region_is_a_high_possible_finding_naming_hk(result: ScanResult) -> None:
    (finding,) = [
        f
        for f in result.findings
        if f.resource and f.resource.name == "asia-multi-cache" and "(2)-1" in f.guideline_items
    ]
    assert finding.severity is Severity.HIGH
    assert finding.location is not None
    assert finding.location.certainty is Certainty.POSSIBLE
    assert "HK" in finding.location.countries
    assert "HK" in finding.message.en


def test_hong_kong_bucket_and_hong_kong_key_are_flagged(result: ScanResult) -> None:
    hk = finding_summary(result, "hk-sales-exchange")
    assert ("location.concern", Severity.CRITICAL, "HK") in hk
    key = [
        f
        for f in result.findings
        if f.resource and f.resource.name == "cmek-analytics" and f.location
    ]
    assert any(f.location and f.location.country == "HK" for f in key)


def test_japan_only_buckets_have_no_location_finding(result: ScanResult) -> None:
    for name in ("design-masters-tokyo", "tokyo-osaka-dual"):
        rules = {rule for rule, _, _ in finding_summary(result, name)}
        assert not any(r.startswith("location.") for r in rules), (name, rules)


def test_configurable_dual_region_reports_taiwan_member(result: ScanResult) -> None:
    bucket = bucket_named(result, "tokyo-taipei-config-dual")
    countries = {c for loc in bucket.locations if loc.resolution for c in loc.resolution.countries}
    assert countries == {"JP", "TW"}


def test_unknown_region_and_denied_iam_are_unverified_not_safe(result: ScanResult) -> None:
    bucket = bucket_named(result, "new-region-scratch")
    assert bucket.public_access.verdict is PublicVerdict.UNKNOWN
    assert bucket.gaps[0].error_code == "403"
    unknown = [f for f in result.findings if f.resource and f.resource.name == bucket.name]
    assert any(f.unverified and "(2)-1" in f.guideline_items for f in unknown)


def test_public_and_pap_enforced_buckets(result: ScanResult) -> None:
    verdict = {b.name: b.public_access.verdict for b in result.inventory.buckets}
    assert verdict["catalog-public-assets"] is PublicVerdict.PUBLIC
    assert verdict["partner-uploads-legacy"] is PublicVerdict.PUBLIC  # legacy ACL
    assert verdict["design-masters-tokyo"] is PublicVerdict.BLOCKED  # allUsers, but PAP enforced
