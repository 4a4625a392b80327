"""Copies made around a bucket, scanned end to end: gcp-storage-emulator for Cloud Storage and the
local stub of Compute Engine, Storage Transfer and Storage Insights (``copies_testing``: no
emulator serves them; its answers follow each API's published discovery document, as its
docstring says), reached through their own endpoint settings. What is asserted is what a user
reads: the findings, their countries and severities, and the reasons given where a read failed.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from residency_audit.model import Bucket, Certainty, Role, Severity
from residency_audit.testing import bucket_named, finding_summary, scan_provider
from residency_audit_gcp import GcpProvider
from residency_audit_gcp.asset_testing import AssetEstate, serve_asset_inventory
from residency_audit_gcp.copies_testing import (
    GARBLED,
    CopyEstate,
    backend_bucket,
    report_config,
    serve_copy_services,
    transfer_job,
)
from residency_audit_gcp.testing import bucket_resource, iam_policy, json_api_method

pytestmark = pytest.mark.emulator

P = "proj-copies"


def _logged(name: str, log_bucket: str) -> dict[str, Any]:
    return dict(bucket_resource(name, "ASIA-NORTHEAST1"), logging={"logBucket": log_bucket})


OWN = [
    bucket_resource("jp-origin", "ASIA-NORTHEAST1"),
    bucket_resource("jp-no-cdn", "ASIA-NORTHEAST1"),
    bucket_resource("jp-to-us", "ASIA-NORTHEAST1"),
    bucket_resource("jp-retired-job", "ASIA-NORTHEAST1"),
    bucket_resource("jp-deleted-job", "ASIA-NORTHEAST1"),
    bucket_resource("jp-to-agents", "ASIA-NORTHEAST1"),
    bucket_resource("jp-replicated", "ASIA-NORTHEAST1"),
    _logged("jp-logged", "hk-logs"),
    _logged("jp-logged-2", "hk-logs"),
    _logged("jp-logged-gone", "no-such-logs"),
    bucket_resource("jp-inventoried", "ASIA-NORTHEAST1"),
    bucket_resource("us-sink", "US-EAST1"),
    bucket_resource("plain", "ASIA-NORTHEAST1"),
]
ELSEWHERE = [
    bucket_resource("hk-logs", "ASIA-EAST2", project_number="999"),
    bucket_resource("hk-archive", "ASIA-EAST2", project_number="999"),
    bucket_resource("asia-reports", "ASIA", location_type="multi-region", project_number="999"),
]


def _estate() -> CopyEstate:
    return CopyEstate(
        backend_buckets={
            P: [
                backend_bucket(P, "static-site", "jp-origin"),
                backend_bucket(P, "direct", "jp-no-cdn", cdn=False),
            ]
        },
        transfer_jobs={
            P: [
                transfer_job(P, 1, "jp-to-us", sink="us-sink"),
                transfer_job(P, 2, "jp-retired-job", sink="hk-archive", status="DISABLED"),
                transfer_job(P, 3, "jp-deleted-job", sink="hk-archive", status="DELETED"),
                transfer_job(P, 4, "jp-to-agents", posix_root="/mnt/nas"),
                transfer_job(P, 5, "jp-replicated", sink="hk-archive", replication=True),
            ]
        },
        report_configs={
            P: [report_config(P, "asia-northeast1", "c-1", "jp-inventoried", "asia-reports")]
        },
    )


def _hk(result: Any, name: str, rule: str) -> Any:
    [found] = [
        f
        for f in result.findings
        if f.resource
        and f.resource.name == name
        and f.rule_id == rule
        and f.location
        and f.location.country == "HK"
    ]
    return found


def _hk_concern(result: Any, name: str) -> Any:
    return _hk(result, name, "location.concern")


def _hk_access(result: Any, name: str) -> Any:
    return _hk(result, name, "location.government-access")


def _settings(storage: str, services: str, **more: Any) -> dict[str, Any]:
    return {
        "projects": [P],
        "endpoint": storage,
        "compute_endpoint": services,
        "transfer_endpoint": services,
        "insights_endpoint": services,
        **more,
    }


def _cause(bucket: Bucket, mechanism: str) -> list[tuple[str, str | None, str | None, Certainty]]:
    return [
        (loc.role.value, loc.region, loc.target, loc.certainty)
        for loc in bucket.locations
        if loc.mechanism == mechanism
    ]


def test_each_service_puts_its_copy_where_the_destination_is(
    emulator: Callable[..., str], tmp_path: Path
) -> None:
    estate = _estate()
    storage = emulator(OWN, others=ELSEWHERE)
    with serve_copy_services(estate) as services:
        result = scan_provider("gcp", _settings(storage, services), tmp_path)

    # Cloud CDN: every country of Google's edges may cache it, Hong Kong among them; a backend
    # bucket with CDN off caches nothing
    origin = bucket_named(result, "jp-origin")
    [(role, region, target, certainty)] = _cause(origin, "cloud-cdn")
    assert (role, region, certainty) == ("cache", "cloud-cdn", Certainty.POSSIBLE)
    assert target is not None and target.endswith("/global/backendBuckets/static-site")
    assert ("location.concern", Severity.HIGH, "HK") in finding_summary(result, "jp-origin")
    no_cdn = bucket_named(result, "jp-no-cdn")
    assert [loc.role for loc in no_cdn.locations] == [Role.PRIMARY]

    # Storage Transfer: the sink's region, from the project's own listing (no buckets.get)
    assert _cause(bucket_named(result, "jp-to-us"), "storage-transfer") == [
        ("transfer", "us-east1", "us-sink", Certainty.CONFIRMED)
    ]
    # a disabled job's past copies may remain; a deleted job is not counted
    assert _cause(bucket_named(result, "jp-retired-job"), "storage-transfer (job disabled)") == [
        ("transfer", "asia-east2", "hk-archive", Certainty.POSSIBLE)
    ]
    assert not [
        loc for loc in bucket_named(result, "jp-deleted-job").locations if loc.role is Role.TRANSFER
    ]
    assert ("location.concern", Severity.HIGH, "HK") in finding_summary(result, "jp-retired-job")
    assert finding_summary(result, "jp-deleted-job") == finding_summary(result, "plain")
    # event-driven replication is a transfer job too
    assert _cause(bucket_named(result, "jp-replicated"), "storage-transfer") == [
        ("transfer", "asia-east2", "hk-archive", Certainty.CONFIRMED)
    ]
    # a POSIX sink: where the agents run is not in the API -- unknown, unverified
    [agents] = [
        loc for loc in bucket_named(result, "jp-to-agents").locations if loc.role is Role.TRANSFER
    ]
    assert agents.region is None and agents.unknown_reason and "/mnt/nas" in agents.unknown_reason
    assert ("location.unknown", Severity.HIGH, None) in finding_summary(result, "jp-to-agents")
    assert not [
        f
        for f in result.findings
        if f.resource
        and f.resource.name == "jp-to-agents"
        and f.rule_id == "location.unknown"
        and not f.unverified
    ]

    # usage logs: the log bucket's location, read once for the two buckets that log to it
    assert _cause(bucket_named(result, "jp-logged"), "gcs-usage-logs") == [
        ("metadata", "asia-east2", "hk-logs", Certainty.CONFIRMED)
    ]
    # names and metadata, not contents: graded one step below the same copy of the objects
    # (jp-replicated: a running job to a Hong Kong bucket), and the message says why
    logged, replicated = (_hk_concern(result, n) for n in ("jp-logged", "jp-replicated"))
    assert logged.location is not None and logged.location.mechanism == "gcs-usage-logs"
    assert "not the objects' contents" in logged.message.en
    assert "not the objects' contents" not in replicated.message.en
    assert (
        _hk_access(result, "jp-logged").severity.rank
        < _hk_access(result, "jp-replicated").severity.rank
    )
    # a log bucket that cannot be read is a place not known, never dropped
    [gone] = _cause(bucket_named(result, "jp-logged-gone"), "gcs-usage-logs")
    assert gone[1] is None
    assert any(r == "location.unknown" for r, _, _ in finding_summary(result, "jp-logged-gone"))

    # Storage Insights: every member of the multi-region destination, possible (ASIA's countries
    # are not published)
    [(role, region, target, certainty)] = _cause(
        bucket_named(result, "jp-inventoried"), "storage-insights-inventory"
    )
    assert (role, region, target, certainty) == (
        "metadata",
        "ASIA",
        "asia-reports",
        Certainty.POSSIBLE,
    )

    # nothing copies "plain": it keeps only its own location
    assert [loc.role for loc in bucket_named(result, "plain").locations] == [Role.PRIMARY]
    # the three lists once each, paged; the transfer list filtered to the project
    lists = collections.Counter(json_api_method(line) for line in estate.requests)
    assert lists["backendBuckets.list"] == 1
    assert lists["reportConfigs.list"] == 1
    # four transfer jobs, two a page; then the one replication job, listed apart
    assert lists["transferJobs.list"] == 3
    filters = {
        parse_qs(urlparse(line.split(" ", 1)[1]).query)["filter"][0]
        for line in estate.requests
        if "transferJobs" in line
    }
    assert filters == {
        '{"projectId":"proj-copies"}',
        '{"projectId":"proj-copies","dataBackend":"QUERY_REPLICATION_CONFIGS"}',
    }


def test_a_destination_outside_the_project_is_read_once_a_scan(
    emulator: Callable[..., str],
) -> None:
    # a second project whose bucket logs to the same Hong Kong bucket
    other = "proj-copies-two"
    seen: list[tuple[str, str]] = []
    endpoints = {
        P: emulator(OWN, others=ELSEWHERE),
        other: emulator([_logged("two-logged", "hk-logs")], others=ELSEWHERE),
    }
    with serve_copy_services(_estate()) as services:
        settings = dict(_settings("", services), projects=[P, other], project_endpoints=endpoints)
        del settings["endpoint"]
        provider = GcpProvider.from_settings(settings, observer=lambda m, u: seen.append((m, u)))
        buckets = {
            b.name: b
            for scope in provider.scopes()
            for b in provider.buckets(scope)
            if isinstance(b, Bucket)
        }
    gets = collections.Counter(
        urlparse(u).path.removeprefix("/storage/v1/b/")
        for _, u in seen
        if json_api_method(f"GET {urlparse(u).path}") == "buckets.get"
    )
    # hk-logs serves three buckets in two projects, hk-archive two jobs; us-sink is in the
    # project's own listing
    assert gets == {"hk-logs": 1, "hk-archive": 1, "no-such-logs": 1, "asia-reports": 1}
    assert _cause(buckets["two-logged"], "gcs-usage-logs") == [
        ("metadata", "asia-east2", "hk-logs", Certainty.CONFIRMED)
    ]
    assert {m for m, _ in seen} == {"GET"}


def test_the_inventory_source_reports_the_same_copies(
    emulator: Callable[..., str], tmp_path: Path
) -> None:
    estate = AssetEstate()
    estate.add_project(P, "4242")
    for b in OWN:
        estate.add_bucket(dict(b, projectNumber="4242"), P, iam_policy())
    storage = emulator(OWN, others=ELSEWHERE)
    with serve_copy_services(_estate()) as services, serve_asset_inventory(estate) as assets:
        live = scan_provider("gcp", _settings(storage, services), tmp_path / "live")
        inventory = scan_provider(
            "gcp",
            _settings(storage, services, source="inventory", asset_endpoint=assets),
            tmp_path / "inventory",
        )

    def copies(result: Any) -> set[tuple[str, str, str | None, str | None]]:
        return {
            (b.name, loc.mechanism, loc.region, loc.target)
            for b in result.inventory.buckets
            for loc in b.locations
            if loc.role in (Role.CACHE, Role.TRANSFER, Role.METADATA)
        }

    assert copies(inventory) == copies(live)
    assert len(copies(live)) == 9
    assert {f.fingerprint for f in inventory.findings} == {f.fingerprint for f in live.findings}


@pytest.mark.parametrize(
    ("service", "field", "name"),
    [
        ("compute", "cloud_cdn", "Compute Engine"),
        ("storagetransfer", "storage_transfer", "Storage Transfer Service"),
        ("storageinsights", "storage_insights", "Storage Insights"),
    ],
)
def test_an_api_not_enabled_copies_nothing_now_and_the_coverage_says_so(
    emulator: Callable[..., str], tmp_path: Path, service: str, field: str, name: str
) -> None:
    estate = _estate()
    estate.disabled = {(service, P)}
    storage = emulator(OWN, others=ELSEWHERE)
    with serve_copy_services(estate) as services:
        result = scan_provider("gcp", _settings(storage, services), tmp_path)
    plain = bucket_named(result, "plain")
    assert not [g for g in plain.gaps if g.field == field]
    assert not [
        f
        for f in result.findings
        if f.resource and f.resource.name == "plain" and f.rule_id == "gap.may-hide-copy"
    ]
    [scope] = [s for s in result.inventory.scopes if s.scope == P]
    [note] = [n for n in scope.notes if n.kind == "copy-services-disabled"]
    assert name in note.detail and P in note.detail


def test_a_failing_list_is_a_gap_on_every_bucket_with_the_error(
    emulator: Callable[..., str], tmp_path: Path
) -> None:
    def denied(method: str, path: str) -> str | None:
        return "denied" if "/transferJobs" in path else None

    storage = emulator(OWN, others=ELSEWHERE)
    with serve_copy_services(_estate(), faults=denied) as services:
        result = scan_provider("gcp", _settings(storage, services), tmp_path)
    for bucket in result.inventory.buckets:
        [gap] = [g for g in bucket.gaps if g.field == "storage_transfer"]
        assert gap.error_code == "403"
        assert "storagetransfer.transferJobs.list failed" in gap.reason
    # the other services were still read
    assert _cause(bucket_named(result, "jp-logged"), "gcs-usage-logs")


def test_storage_insights_locations_it_could_not_read_are_a_gap(
    emulator: Callable[..., str], tmp_path: Path
) -> None:
    estate = _estate()
    estate.unreachable = ["projects/proj-copies/locations/asia-east2"]
    storage = emulator(OWN, others=ELSEWHERE)
    with serve_copy_services(estate) as services:
        result = scan_provider("gcp", _settings(storage, services), tmp_path)
    [gap] = [g for g in bucket_named(result, "plain").gaps if g.field == "storage_insights"]
    assert gap.error_code == "unreachable"
    assert "locations/asia-east2" in gap.reason


@pytest.mark.parametrize("source", ["live", "inventory"])
def test_storage_insights_refusing_every_location_is_listed_per_bucket_location(
    emulator: Callable[..., str], tmp_path: Path, source: str
) -> None:
    estate = _estate()
    estate.wildcard = False
    assets = AssetEstate()
    assets.add_project(P, "4242")
    for b in OWN:
        assets.add_bucket(dict(b, projectNumber="4242"), P, iam_policy())
    storage = emulator(OWN, others=ELSEWHERE)
    with serve_copy_services(estate) as services, serve_asset_inventory(assets) as inventory:
        more = {"source": "inventory", "asset_endpoint": inventory} if source == "inventory" else {}
        result = scan_provider("gcp", _settings(storage, services, **more), tmp_path)
    listed = sorted(
        urlparse(line.split(" ", 1)[1]).path for line in estate.requests if "/reportConfigs" in line
    )
    # "-" refused, then each location the project's buckets are in (a config lives in its
    # source bucket's location)
    assert listed == [
        "/v1/projects/proj-copies/locations/-/reportConfigs",
        "/v1/projects/proj-copies/locations/asia-northeast1/reportConfigs",
        "/v1/projects/proj-copies/locations/us-east1/reportConfigs",
    ]
    assert _cause(bucket_named(result, "jp-inventoried"), "storage-insights-inventory")
    assert not [g for b in result.inventory.buckets for g in b.gaps]


def test_a_transient_error_is_retried_and_an_answer_that_is_not_json_is_a_gap(
    emulator: Callable[..., str], tmp_path: Path
) -> None:
    answered: collections.Counter[str] = collections.Counter()

    def plan(method: str, path: str) -> str | None:
        kind = json_api_method(f"{method} {path}")
        answered[kind] += 1
        if kind == "backendBuckets.list" and answered[kind] == 1:
            return "unavailable"  # once: the retry gets the answer
        return GARBLED if kind == "reportConfigs.list" else None

    storage = emulator(OWN, others=ELSEWHERE)
    with serve_copy_services(_estate(), faults=plan) as services:
        result = scan_provider("gcp", _settings(storage, services), tmp_path)
    assert answered["backendBuckets.list"] == 2
    assert _cause(bucket_named(result, "jp-origin"), "cloud-cdn")
    [gap] = bucket_named(result, "plain").gaps
    assert (gap.field, gap.error_code) == ("storage_insights", "malformed")
    assert "not JSON" in gap.reason
