"""copies.py on API-shaped answers: which bucket each backend bucket, transfer job, log setting
and inventory config copies, to where, and how sure. The shapes are those of the published
discovery documents (Compute Engine v1 BackendBucket, Storage Transfer v1 TransferJob, Storage
Insights v1 ReportConfig, Cloud Storage v1 Bucket.logging), built by ``copies_testing``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from residency_audit.model import Certainty, Hidden, Location, Namespace, Role
from residency_audit_gcp.copies import (
    CopySources,
    Destination,
    around,
    destinations_needed,
    disabled_note,
)
from residency_audit_gcp.copies_testing import backend_bucket, report_config, transfer_job
from residency_audit_gcp.testing import bucket_resource

P = "proj-n"
DUALS = {"ASIA1": ("ASIA-NORTHEAST1", "ASIA-NORTHEAST2")}
DESTINATIONS: dict[str, Destination] = {
    "hk": bucket_resource("hk", "ASIA-EAST2"),
    "eu": bucket_resource("eu", "EU", location_type="multi-region"),
    "jp-dual": bucket_resource("jp-dual", "ASIA1", location_type="dual-region"),
    "locked": ("403", "caller does not have storage.buckets.get access"),
}


def members(code: str) -> Sequence[str]:
    return DUALS.get(code, ())


def copies_of(
    name: str,
    sources: CopySources,
    resource: Mapping[str, Any] | None = None,
) -> tuple[tuple[Location, ...], tuple[Any, ...]]:
    resource = resource or bucket_resource(name, "ASIA-NORTHEAST1")
    needed = destinations_needed(name, resource, sources)
    return around(name, resource, sources, {d: DESTINATIONS[d] for d in needed}, members)


def test_cloud_cdn_caches_only_where_cdn_is_enabled() -> None:
    sources = CopySources(
        backend_buckets=[
            backend_bucket(P, "on", "src"),
            backend_bucket(P, "off", "quiet", cdn=False),
            dict(backend_bucket(P, "unset", "unset"), enableCdn=None),
        ]
    )
    [cache], gaps = copies_of("src", sources)
    assert (cache.role, cache.region, cache.namespace) == (Role.CACHE, "cloud-cdn", Namespace.CDN)
    assert (cache.mechanism, cache.certainty) == ("cloud-cdn", Certainty.POSSIBLE)
    assert cache.target == backend_bucket(P, "on", "src")["selfLink"]
    assert gaps == ()
    assert copies_of("quiet", sources) == ((), ())
    assert copies_of("unset", sources) == ((), ())


@pytest.mark.parametrize(
    ("status", "mechanism", "certainty"),
    [
        ("ENABLED", "storage-transfer", Certainty.CONFIRMED),
        ("DISABLED", "storage-transfer (job disabled)", Certainty.POSSIBLE),
        # a status the plugin does not know is counted as running: never assumed away
        ("STATUS_UNSPECIFIED", "storage-transfer", Certainty.CONFIRMED),
    ],
)
def test_a_transfer_job_copies_to_its_sink_bucket(
    status: str, mechanism: str, certainty: Certainty
) -> None:
    sources = CopySources(transfer_jobs=[transfer_job(P, 1, "src", sink="hk", status=status)])
    [copy], _ = copies_of("src", sources)
    assert (copy.role, copy.region, copy.target) == (Role.TRANSFER, "asia-east2", "hk")
    assert (copy.mechanism, copy.certainty) == (mechanism, certainty)
    assert copies_of("hk", sources) == ((), ())  # the sink itself is not copied


def test_a_deleted_job_copies_nothing() -> None:
    sources = CopySources(transfer_jobs=[transfer_job(P, 1, "src", sink="hk", status="DELETED")])
    assert copies_of("src", sources) == ((), ())


def test_a_sink_in_several_regions_is_each_member() -> None:
    sources = CopySources(
        transfer_jobs=[
            transfer_job(P, 1, "src", sink="jp-dual"),
            transfer_job(P, 2, "src", sink="eu", status="DISABLED"),
        ]
    )
    found, _ = copies_of("src", sources)
    assert [(c.region, c.target, c.certainty, c.derived) for c in found] == [
        ("asia-northeast1", "jp-dual", Certainty.CONFIRMED, True),
        ("asia-northeast2", "jp-dual", Certainty.CONFIRMED, True),
        ("EU", "eu", Certainty.POSSIBLE, False),
    ]


def test_event_driven_replication_is_a_transfer() -> None:
    sources = CopySources(transfer_jobs=[transfer_job(P, 9, "src", sink="hk", replication=True)])
    [copy], _ = copies_of("src", sources)
    assert (copy.role, copy.region, copy.mechanism) == (
        Role.TRANSFER,
        "asia-east2",
        "storage-transfer",
    )


def test_a_sink_whose_place_the_api_does_not_give_is_unknown_with_the_reason() -> None:
    posix = transfer_job(P, 1, "src", posix_root="/mnt/nas")
    no_sink = transfer_job(P, 2, "src")
    locked = transfer_job(P, 3, "src", sink="locked")
    found, _ = copies_of("src", CopySources(transfer_jobs=[posix, no_sink, locked]))
    assert [c.region for c in found] == [None, None, None]
    agents, unnamed, unread = found
    assert agents.why is not None and agents.why.key == "gcs.transfer-sink-posix"
    assert agents.target == "/mnt/nas" and "transfer agents" in (agents.unknown_reason or "")
    assert unnamed.why is not None and unnamed.why.key == "gcs.copy-destination-unnamed"
    assert unread.why is not None and unread.why.key == "gcs.copy-destination-unread"
    assert (unread.why.subject, unread.why.value) == ("locked", "403")
    assert "403" in (unread.unknown_reason or "")


def test_usage_logs_are_metadata_where_the_log_bucket_is() -> None:
    resource = dict(bucket_resource("src", "ASIA-NORTHEAST1"), logging={"logBucket": "hk"})
    [log], gaps = copies_of("src", CopySources(), resource)
    assert (log.role, log.region, log.mechanism, log.target) == (
        Role.METADATA,
        "asia-east2",
        "gcs-usage-logs",
        "hk",
    )
    assert gaps == ()
    # logging without a log bucket delivers nothing
    assert copies_of("src", CopySources(), dict(resource, logging={})) == ((), ())


def test_a_garbled_logging_field_is_a_gap_hiding_a_copy() -> None:
    resource = dict(bucket_resource("src", "ASIA-NORTHEAST1"), logging="hk")
    found, [gap] = copies_of("src", CopySources(), resource)
    assert found == ()
    assert (gap.field, gap.error_code, gap.hides) == ("logging", "malformed", (Hidden.COPY,))


def test_an_inventory_report_is_metadata_where_its_destination_is() -> None:
    sources = CopySources(
        report_configs=[
            report_config(P, "asia-northeast1", "c1", "src", "hk"),
            report_config(P, "asia-northeast1", "c2", "src", None),
        ]
    )
    to_hk, unnamed = copies_of("src", sources)[0]
    assert (to_hk.role, to_hk.region, to_hk.mechanism) == (
        Role.METADATA,
        "asia-east2",
        "storage-insights-inventory",
    )
    assert unnamed.region is None and unnamed.role is Role.METADATA


def test_the_destinations_a_bucket_needs_are_named_once_and_never_a_file_system() -> None:
    sources = CopySources(
        transfer_jobs=[
            transfer_job(P, 1, "src", sink="hk"),
            transfer_job(P, 2, "src", sink="hk", status="DISABLED"),
            transfer_job(P, 3, "src", posix_root="/mnt/nas"),
        ],
        report_configs=[report_config(P, "asia-east2", "c", "src", "eu")],
    )
    resource = dict(bucket_resource("src", "ASIA-NORTHEAST1"), logging={"logBucket": "hk"})
    assert destinations_needed("src", resource, sources) == ("hk", "eu")


def test_a_list_that_failed_is_a_gap_on_the_bucket_saying_why() -> None:
    sources = CopySources(
        backend_buckets=("SERVICE_DISABLED", "Compute Engine API has not been used"),
        transfer_jobs=("403", "The caller does not have permission"),
        report_configs=[report_config(P, "us", "c", "src", "hk")],
    )
    found, gaps = copies_of("src", sources)
    assert [c.mechanism for c in found] == ["storage-insights-inventory"]  # still read
    # a disabled API copies nothing while it is disabled: no gap on the bucket (the project's
    # coverage names it); a refused list may hide a copy
    [denied] = gaps
    assert denied.field == "storage_transfer" and denied.hides == (Hidden.COPY,)
    assert denied.error_code == "403" and "caller does not have permission" in denied.reason
    assert denied.why is not None and denied.why.subject == "storagetransfer.transferJobs.list"


def test_a_disabled_api_is_named_in_the_projects_coverage() -> None:
    sources = CopySources(
        backend_buckets=("SERVICE_DISABLED", "Compute Engine API has not been used"),
        transfer_jobs=("SERVICE_DISABLED", "Storage Transfer API has not been used"),
        report_configs=("403", "denied"),
    )
    note = disabled_note(P, sources)
    assert note is not None and note.kind == "copy-services-disabled"
    assert "Compute Engine" in note.detail and "Storage Transfer Service" in note.detail
    assert "Storage Insights" not in note.detail  # refused, not disabled: a gap instead
    assert "while it was enabled" in note.detail and note.counts == {"services": 2}
    assert disabled_note(P, CopySources()) is None


def test_storage_insights_locations_not_read_are_a_gap() -> None:
    sources = CopySources(unreachable=("projects/proj-n/locations/asia-east2",))
    _, [gap] = copies_of("src", sources)
    assert (gap.field, gap.error_code) == ("storage_insights", "unreachable")
    assert "asia-east2" in gap.reason
