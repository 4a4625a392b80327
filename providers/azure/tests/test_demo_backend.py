"""The Azure demo estate end to end: serve() -> the core scan -> what a user reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from residency_audit.model import (
    Bucket,
    EncryptionTier,
    Evidence,
    PublicVerdict,
    Role,
    ScopeStatus,
    Severity,
)
from residency_audit.results import ScanResult
from residency_audit.testing import bucket_named, finding_summary, load_module, scan_provider

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[3]


def _backend() -> ModuleType:
    return load_module(ROOT / "demo" / "azure_backend.py")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory, azurite_main: Path) -> Iterator[ScanResult]:
    workdir = tmp_path_factory.mktemp("demo")
    with _backend().serve(workdir / "azure") as settings:
        assert settings["verify_anonymous"] is True  # Azurite is installed (azurite_main)
        yield scan_provider("azure", settings, workdir)


bucket = bucket_named
findings = finding_summary


def countries(b: Bucket, role: Role) -> set[str]:
    return {
        c
        for loc in b.locations
        if loc.role is role and loc.resolution
        for c in loc.resolution.countries
    }


def test_every_demo_container_is_scanned(result: ScanResult) -> None:
    seed = _backend().load_seed()
    expected = {
        f"{acc['name']}/{c['name']}"
        for sub in seed["subscriptions"]
        for acc in sub["accounts"]
        for c in acc["containers"]
    }
    assert {b.name for b in result.inventory.buckets} == expected
    assert [s.status for s in result.inventory.scopes] == [ScopeStatus.COMPLETE]


def test_hong_kong_copies_are_flagged_whether_primary_or_geo_secondary(result: ScanResult) -> None:
    assert ("location.concern", Severity.CRITICAL, "HK") in findings(
        result, "hksalesexchange/quotes"
    )
    dr = bucket(result, "sgdrcopies/dr-copies")
    assert countries(dr, Role.PRIMARY) == {"SG"} and countries(dr, Role.GEO_SECONDARY) == {"HK"}
    assert any(
        rule == "location.concern" and country == "HK"
        for rule, _, country in findings(result, "sgdrcopies/dr-copies")
    )


def test_object_replication_reaches_hong_kong_through_the_destinations_secondary(
    result: ScanResult,
) -> None:
    feed = bucket(result, "jppartnerexchange/partner-feed")
    assert countries(feed, Role.PRIMARY) == {"JP"}
    assert countries(feed, Role.REPLICA) == {"SG"}
    assert countries(feed, Role.GEO_SECONDARY) == {"HK"}


def test_unreadable_replication_destination_is_unknown_not_safe(result: ScanResult) -> None:
    contracts = bucket(result, "jppartnerexchange/contracts")
    (replica,) = [loc for loc in contracts.locations if loc.role is Role.REPLICA]
    assert replica.region is None and replica.unknown_reason
    assert any(
        f.unverified and f.resource and f.resource.name == contracts.name for f in result.findings
    )


def test_tokyo_only_containers_have_no_location_finding(result: ScanResult) -> None:
    for name in ("tokyodesignmasters/design-masters", "tokyodesignmasters/cad-archive"):
        assert [loc.region for loc in bucket(result, name).locations] == ["japaneast"]
        assert not any(rule.startswith("location.") for rule, _, _ in findings(result, name))


def test_brazil_grs_copies_to_the_united_states(result: ScanResult) -> None:
    assert countries(bucket(result, "brlogistics/shipments"), Role.GEO_SECONDARY) == {"US"}


def test_customer_managed_key_and_public_container(result: ScanResult) -> None:
    ledgers = bucket(result, "jpcmkvault/ledgers")
    assert ledgers.encryption.tier is EncryptionTier.CUSTOMER_MANAGED
    assert countries(ledgers, Role.KEY) == {"JP"}
    public = bucket(result, "jpcatalogpublic/product-images")
    assert public.public_access.verdict is PublicVerdict.PUBLIC
    listed = Evidence(key="azure.anonymous-listing", value="succeeded", text="HTTP 200")
    assert listed in public.public_access.evidence
    assert any(rule.startswith("public.") for rule, _, _ in findings(result, public.name))
    drafts = bucket(result, "jpcatalogpublic/drafts")
    [tried] = [e for e in drafts.public_access.evidence if e.key == "azure.anonymous-listing"]
    assert tried.value == "refused" and (tried.text or "").startswith("HTTP 403")
