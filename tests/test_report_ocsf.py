"""findings.ocsf.json: every event is an OCSF Compliance Finding the OCSF models package accepts
as it is (nothing dropped or coerced), keyed by the fingerprint, naming the guideline items, and
written in one pass from findings on disk exactly as from findings in memory."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import py_ocsf_models
import pytest
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from residency_audit import __version__, report
from residency_audit.markup import plain
from residency_audit.model import Certainty, Finding, FindingState, Role, Text
from residency_audit.results import ScanResult
from residency_audit.spill import Spill
from tests.report_builders import build_result, demo_result, many_findings

PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _events(result: ScanResult, tmp_path: Path) -> list[dict[str, Any]]:
    (path,) = report.write_reports(result, tmp_path, formats=("ocsf",))
    assert path.name == "findings.ocsf.json"
    data = path.read_text(encoding="utf-8")
    assert not PRIVATE_USE.search(data)  # codes and quotations are plain text
    events: list[dict[str, Any]] = json.loads(data)
    return events


def _validated(event: dict[str, Any]) -> ComplianceFinding:
    """The event through the package's model; its dump must be the event itself, so no
    attribute the model does not know was silently dropped and no value was coerced."""
    model = ComplianceFinding.model_validate(event)
    assert model.model_dump(mode="json", exclude_none=True) == event
    return model


def _every(result: ScanResult) -> list[Finding]:
    return [*result.findings, *result.resolved]


@pytest.mark.parametrize(
    "result",
    [demo_result(), demo_result(history=True), build_result()],
    ids=["demo", "demo-with-history", "hostile"],
)
def test_every_event_is_a_compliance_finding_the_ocsf_models_accept(
    result: ScanResult, tmp_path: Path
) -> None:
    events = _events(result, tmp_path)
    findings = _every(result)
    assert len(events) == len(findings)  # resolved findings follow as closing events
    finished_ms = int(result.scan.finished.timestamp() * 1000)
    for event, finding in zip(events, findings, strict=True):
        model = _validated(event)
        assert (model.class_uid, model.category_uid) == (2003, 2)
        assert model.type_uid == 2003 * 100 + model.activity_id
        assert model.metadata.version == py_ocsf_models.OCSF_VERSION
        product = model.metadata.product
        assert (product.name, product.vendor_name, product.version) == (
            "residency-audit",
            "residency-audit",
            __version__,
        )
        assert model.time == finished_ms
        assert model.finding_info.uid == finding.fingerprint  # the stable id
        assert model.metadata.correlation_uid == result.scan.id


def test_guideline_items_are_the_requirements_and_the_control(tmp_path: Path) -> None:
    result = demo_result()
    for event, finding in zip(_events(result, tmp_path), result.findings, strict=True):
        compliance = event["compliance"]
        assert compliance["requirements"] == list(finding.guideline_items)
        assert compliance["control"] == ", ".join(finding.guideline_items)
        assert compliance["standards"] == [
            "CISTEC 2013-06-26: Self-management guideline for keeping "
            "export-control-sensitive technical information on servers abroad"
        ]
        for item in finding.guideline_items:
            assert f"{item}: " in compliance["desc"]  # the item's gist, by its id
    multi = [e for e in _events(result, tmp_path) if len(e["compliance"]["requirements"]) > 1]
    assert multi and multi[0]["compliance"]["control"] == "(2)-1, (2)-2, (1)-3"


def test_severity_status_and_confidence_map_as_documented(tmp_path: Path) -> None:
    result = build_result()
    by_rule = {e["finding_info"]["analytic"]["uid"]: e for e in _events(result, tmp_path)}
    concern = by_rule["residency.concern"]
    assert (concern["severity_id"], concern["severity"]) == (5, "Critical")
    assert (concern["status_id"], concern["status"]) == (1, "New")
    assert concern["compliance"]["status_id"] == 3  # Fail
    assert (concern["confidence_id"], concern["confidence"]) == (3, "High")
    assert (concern["activity_id"], concern["type_uid"]) == (1, 200301)  # no history: Create

    suppressed = by_rule["public.access"]
    assert (suppressed["status_id"], suppressed["status"]) == (3, "Suppressed")
    assert suppressed["status_detail"].startswith(
        "Accepted exception S-1 (approved by a, expires 2030-01-01): "
    )
    assert suppressed["unmapped"]["suppression"]["id"] == "S-1"
    assert suppressed["compliance"]["status_id"] == 3  # still failing: kept, not dropped

    unverified = by_rule["residency.unknown"]
    assert unverified["compliance"]["status_id"] == 2  # Warning: information missing
    assert (unverified["confidence_id"], unverified["confidence"]) == (1, "Low")
    assert unverified["unmapped"]["unverified"] is True

    assert by_rule["encryption.note"]["severity_id"] == 2  # Low

    # a location that may be in the country (an undisclosed multi-region's candidate)
    caution = next(f for f in result.findings if f.rule_id == "residency.caution")
    assert caution.location is not None
    maybe = caution.model_copy(
        update={"location": caution.location.model_copy(update={"certainty": Certainty.POSSIBLE})}
    )
    (possible,) = _events(result.model_copy(update={"findings": (maybe,)}), tmp_path)
    assert (possible["confidence_id"], possible["confidence"]) == (2, "Medium")


def test_history_states_become_activities_and_resolved_findings_close(tmp_path: Path) -> None:
    result = demo_result(history=True)
    events = _events(result, tmp_path)
    for event, finding in zip(events, _every(result), strict=True):
        expected = {
            FindingState.NEW: (1, "Create"),
            FindingState.PERSISTING: (2, "Update"),
            FindingState.REOPENED: (2, "Update"),
            FindingState.RESOLVED: (3, "Close"),
        }[finding.state or FindingState.NEW]
        assert (event["activity_id"], event["activity_name"]) == expected
        assert event["type_name"] == f"Compliance Finding: {expected[1]}"
        assert event["unmapped"]["state"] == (finding.state.value if finding.state else None)
        assert finding.first_seen and finding.last_seen
        assert event["finding_info"]["first_seen_time"] == int(
            finding.first_seen.timestamp() * 1000
        )
        assert event["finding_info"]["last_seen_time"] == int(finding.last_seen.timestamp() * 1000)
    closed = events[len(result.findings) :]
    assert len(closed) == len(result.resolved) == 2
    for event in closed:
        assert (event["status_id"], event["status"]) == (4, "Resolved")
        assert event["compliance"]["status_id"] == 1  # Pass: the problem is gone


def test_english_texts_are_mapped_and_japanese_ones_survive_in_unmapped(tmp_path: Path) -> None:
    result = demo_result()
    for event, finding in zip(_events(result, tmp_path), result.findings, strict=True):
        english = plain(finding.message.en)
        assert event["finding_info"]["desc"] == english
        title = event["finding_info"]["title"]
        assert english.startswith(title) and title.endswith(".")
        assert event["message"] == title
        assert event["remediation"]["desc"] == plain(finding.remediation.en)
        assert event["unmapped"]["message_ja"] == plain(finding.message.ja, "ja")
        assert event["unmapped"]["remediation_ja"] == plain(finding.remediation.ja, "ja")
    first = _events(result, tmp_path)[0]
    assert first["finding_info"]["title"] == (
        "The replication destination of bucket 'cad-archive' (region ap-east-1, S3 replication, "
        "target arn:aws:s3:::cad-archive-hk) is in Hong Kong (HK), a country or region of concern."
    )
    assert "香港" in first["unmapped"]["message_ja"]


def test_a_title_ends_at_a_full_stop_outside_quotations_and_parentheses(tmp_path: Path) -> None:
    from residency_audit.markup import quote

    result = build_result(extra_finding_msgs=(f"Read failed ({quote('Denied. Retry.')}). More.",))
    events = _events(result, tmp_path)
    assert events[-1]["finding_info"]["title"] == "Read failed (\u201cDenied. Retry.\u201d)."


def test_resources_name_the_bucket_its_provider_and_the_locations_country(
    tmp_path: Path,
) -> None:
    result = demo_result()
    for event, finding in zip(_events(result, tmp_path), result.findings, strict=True):
        (resource,) = event["resources"]
        data = resource["data"]
        assert (data["provider"], data["scope"]) == (finding.provider, finding.scope)
        if finding.resource is None:  # scope-level: the account, project or subscription
            assert resource["uid"] == finding.scope
            assert resource["type"] in ("AwsAccount", "GcpProject", "AzureSubscription")
            continue
        assert (resource["uid"], resource["name"]) == (finding.resource.uid, finding.resource.name)
        loc = finding.location
        if loc is None:
            assert "location" not in data and "region" not in resource
            continue
        assert data["location"]["role"] == loc.role.value
        assert data["location"].get("country") == loc.country
        assert data["location"].get("region") == loc.region
        # the bucket's own region only where the finding is about its primary location
        expected = loc.region if loc.role is Role.PRIMARY else None
        assert resource.get("region") == expected
    types = {e["resources"][0]["type"] for e in _events(result, tmp_path)}
    assert {"AwsS3Bucket", "GcpStorageBucket", "AzureBlobContainer"} <= types
    china = next(
        e for e in _events(result, tmp_path) if e["resources"][0]["uid"].startswith("arn:aws-cn:")
    )
    assert china["resources"][0]["cloud_partition"] == "aws-cn"


def test_a_lone_surrogate_is_written_as_a_replacement_character(tmp_path: Path) -> None:
    result = build_result()
    broken = result.findings[0].model_copy(update={"message": Text(ja="壊\udc80", en="x\udc80y")})
    events = _events(result.model_copy(update={"findings": (broken,)}), tmp_path)
    assert events[0]["finding_info"]["desc"] == "x\ufffdy"
    assert events[0]["unmapped"]["message_ja"] == "壊\ufffd"


def test_findings_on_disk_give_the_same_file_in_one_pass(
    tmp_path: Path, spill_passes: Callable[[], int]
) -> None:
    from residency_audit.report.ocsf import findings_ocsf_chunks

    in_memory, on_disk = many_findings(1000)
    assert isinstance(on_disk.findings, Spill)
    chunks = list(findings_ocsf_chunks(on_disk))
    assert spill_passes() == 1  # each pass over a Spill parses every finding again
    assert len(chunks) > 3  # written a few hundred events at a time, never as one string
    assert b"".join(chunks) == b"".join(findings_ocsf_chunks(in_memory))
    events = json.loads(b"".join(chunks))
    assert len(events) == 1000 + len(on_disk.resolved)
    for event in events:
        _validated(event)


def test_an_empty_result_is_an_empty_array(tmp_path: Path) -> None:
    result = build_result().model_copy(update={"findings": ()})
    (path,) = report.write_reports(result, tmp_path, formats=("ocsf",))
    assert path.read_text(encoding="utf-8") == "[]\n"


def test_times_are_milliseconds_since_the_epoch() -> None:
    from residency_audit.report.ocsf import ocsf_event

    result = build_result()
    event = ocsf_event(result.findings[0], result)
    assert event["time"] == int(datetime(2026, 11, 27, 1, 5, tzinfo=UTC).timestamp()) * 1000
    started = int(result.scan.started.timestamp()) * 1000
    assert event["finding_info"]["created_time"] == started  # no history: the scan's start


def test_every_unmapped_attribute_is_documented() -> None:
    from residency_audit.report.ocsf import findings_ocsf

    doc = (Path(__file__).parent.parent / "docs" / "standard-formats.md").read_text("utf-8")
    (row,) = [x for x in doc.splitlines() if x.startswith("| `unmapped` |")]
    documented = set(re.findall(r"`([a-z0-9_]+)`", row.split("|")[2])) - {"en", "ja"}
    documented -= {"id", "reason", "approved_by", "expires"}  # the suppression's own keys
    seen: set[str] = set()
    for result in (demo_result(history=True), build_result()):
        for event in json.loads(findings_ocsf(result)):
            seen |= set(event["unmapped"])
    assert seen == documented
