"""findings.asff.json: every finding passes botocore's validation of a Security Hub
BatchImportFindings request (through the Stubber, 100 findings a call), within the API's
documented lengths and values; keyed by the fingerprint, naming the guideline items, mapping
suppressed, unverified and resolved findings as docs/standard-formats.md says, and written in
one pass from findings on disk exactly as from findings in memory."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ParamValidationError
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.stub import Stubber

from residency_audit import report
from residency_audit.markup import plain
from residency_audit.model import Finding, FindingState, Role, Text
from residency_audit.results import ScanResult
from residency_audit.spill import Spill
from tests.report_builders import build_result, demo_result, many_findings

PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
FIELD = "residency-audit/"
# the ASFF user guide, "Other object in ASFF": keys fewer than 128, values fewer than 1,024
OTHER_KEY, OTHER_VALUE = 127, 1023


@pytest.fixture(autouse=True)
def _no_aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    # the file's region comes from the environment when not given: keep the machine's out
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)


def _client() -> Any:
    return botocore.session.get_session().create_client(
        "securityhub",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _document(result: ScanResult, tmp_path: Path, **target: str) -> dict[str, Any]:
    (path,) = report.write_reports(result, tmp_path, formats=("asff",), **target)
    assert path.name == "findings.asff.json"
    data = path.read_text(encoding="utf-8")
    assert not PRIVATE_USE.search(data)  # codes and quotations are plain text
    document: dict[str, Any] = json.loads(data)
    assert list(document) == ["Findings"]
    return document


# --- what the service model says beyond botocore's own checks (types, required, min length) ---


def _documented_max(shape: Shape) -> int | None:
    doc = re.sub("<[^>]+>", " ", shape.documentation or "")
    found = re.search(r"Maximum (?:length )?of (\d+)|Maximum number of (\d+) items", doc)
    return int(found.group(1) or found.group(2)) if found else None


def _check(value: Any, shape: Shape, where: str) -> None:
    """Enumerations, non-blank strings and the documented maximum lengths and counts."""
    limit = _documented_max(shape)
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            if name in value:
                member_limit = _documented_max(member)
                if member_limit is not None and isinstance(value[name], str | list):
                    assert len(value[name]) <= member_limit, f"{where}.{name} too long"
                _check(value[name], member, f"{where}.{name}")
    elif isinstance(shape, ListShape):
        for i, item in enumerate(value):
            _check(item, shape.member, f"{where}[{i}]")
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            _check(key, shape.key, f"{where} key")
            _check(item, shape.value, f"{where}[{key}]")
    elif shape.type_name == "string":
        assert value.strip(), f"{where} is blank"  # NonEmptyString: .*\S.*
        if shape.enum:
            assert value in shape.enum, f"{where}: {value!r} not in {shape.enum}"
        if limit is not None:
            assert len(value) <= limit, f"{where} too long"


def _limits(finding: dict[str, Any]) -> None:
    """The limits the model states in prose: ProductFields and Details.Other."""
    assert len(finding["ProductFields"]) <= 50
    for key, value in finding["ProductFields"].items():
        assert len(key) <= 128 and len(value) <= 2048
    assert len(finding["AwsAccountId"]) == 12 and finding["AwsAccountId"].isdigit()
    for resource in finding["Resources"]:
        for key, value in resource.get("Details", {}).get("Other", {}).items():
            assert len(key) <= OTHER_KEY and len(value) <= OTHER_VALUE
    assert len(json.dumps(finding).encode()) < 240 * 1024  # the API's size limit per finding


def _import(findings: list[dict[str, Any]]) -> int:
    """Import as a user would, 100 a call, against the Stubber: each request is validated by
    botocore against the securityhub service model before the stub answers it."""
    client = _client()
    model = client.meta.service_model.shape_for("AwsSecurityFinding")
    calls = 0
    with Stubber(client) as stub:
        for start in range(0, len(findings), 100):
            batch = findings[start : start + 100]
            for i, finding in enumerate(batch):
                _check(finding, model, f"Findings[{start + i}]")
                _limits(finding)
            stub.add_response(
                "batch_import_findings",
                {"FailedCount": 0, "SuccessCount": len(batch)},
                expected_params={"Findings": batch},
            )
            assert client.batch_import_findings(Findings=batch)["SuccessCount"] == len(batch)
            calls += 1
        stub.assert_no_pending_responses()
    return calls


def _every(result: ScanResult) -> list[Finding]:
    return [*result.findings, *result.resolved]


# --- the tests ----------------------------------------------------------------------------------


def test_the_harness_rejects_a_finding_the_service_model_does_not_accept() -> None:
    good = json.loads(report.findings_asff(build_result()))["Findings"][0]
    with pytest.raises(ParamValidationError, match="Unknown parameter"):
        _import([{**good, "Colour": "red"}])
    without_title = {k: v for k, v in good.items() if k != "Title"}
    with pytest.raises(ParamValidationError, match="Missing required parameter"):
        _import([without_title])
    with pytest.raises(AssertionError, match="not in"):
        _import([{**good, "RecordState": "OPEN"}])


@pytest.mark.parametrize(
    "result",
    [demo_result(), demo_result(history=True), build_result()],
    ids=["demo", "demo-with-history", "hostile"],
)
def test_every_finding_imports_through_the_service_models_validation(
    result: ScanResult, tmp_path: Path
) -> None:
    findings = _document(result, tmp_path, asff_account="999988887777")["Findings"]
    assert len(findings) == len(_every(result))  # resolved findings follow, archived
    assert _import(findings) == 1
    for asff, finding in zip(findings, _every(result), strict=True):
        assert asff["SchemaVersion"] == "2018-10-08"
        assert asff["Id"] == finding.fingerprint  # the stable id
        assert asff["GeneratorId"] == finding.rule_id
        assert asff["Types"] == [
            "Software and Configuration Checks/Industry and Regulatory Standards/"
            "CISTEC 2013 guideline"
        ]
        assert asff["Compliance"]["RelatedRequirements"] == [
            f"CISTEC 2013 {item}" for item in finding.guideline_items
        ]
        assert asff["ProductFields"][FIELD + "guideline_items"] == ", ".join(
            finding.guideline_items
        )
        label = {"info": "INFORMATIONAL"}.get(finding.severity.value, finding.severity.upper())
        assert asff["Severity"] == {"Label": label, "Original": finding.severity.value}
        assert asff["FindingProviderFields"]["Severity"] == asff["Severity"]


def test_a_large_result_imports_in_calls_of_a_hundred(tmp_path: Path) -> None:
    in_memory, _ = many_findings(250)
    findings = _document(in_memory, tmp_path)["Findings"]
    assert _import(findings) == 3  # 100, 100, 50 (+ the 2 resolved)


def test_suppressed_unverified_and_resolved_findings_map_as_documented(tmp_path: Path) -> None:
    result = build_result()
    by_rule = {f["GeneratorId"]: f for f in _document(result, tmp_path)["Findings"]}
    plain_one = by_rule["residency.concern"]
    assert plain_one["Compliance"]["Status"] == "FAILED"
    assert (plain_one["Workflow"], plain_one["RecordState"]) == ({"Status": "NEW"}, "ACTIVE")

    suppressed = by_rule["public.access"]
    assert suppressed["Workflow"] == {"Status": "SUPPRESSED"}
    assert (suppressed["RecordState"], suppressed["Compliance"]["Status"]) == ("ACTIVE", "FAILED")
    fields = suppressed["ProductFields"]
    assert fields[FIELD + "suppression_id"] == "S-1"
    assert fields[FIELD + "suppression_expires"] == "2030-01-01"
    assert fields[FIELD + "suppression_approved_by"] == "a"

    unverified = by_rule["residency.unknown"]
    assert unverified["Compliance"]["Status"] == "WARNING"  # information missing
    assert unverified["ProductFields"][FIELD + "unverified"] == "true"
    assert plain_one["ProductFields"][FIELD + "unverified"] == "false"

    history = demo_result(history=True)
    findings = _document(history, tmp_path)["Findings"]
    for asff, finding in zip(findings, _every(history), strict=True):
        assert asff["ProductFields"][FIELD + "state"] == finding.state
        assert finding.first_seen and finding.last_seen
        assert asff["FirstObservedAt"] == asff["CreatedAt"]
        assert asff["CreatedAt"].startswith(finding.first_seen.strftime("%Y-%m-%dT%H:%M:%S"))
        assert asff["LastObservedAt"].startswith(finding.last_seen.strftime("%Y-%m-%dT%H:%M:%S"))
        assert asff["UpdatedAt"] == "2026-11-27T01:04:30.000Z"  # the scan's end
        if finding.state is FindingState.RESOLVED:
            assert asff["RecordState"] == "ARCHIVED"
            assert asff["Compliance"]["Status"] == "PASSED"
            assert asff["Workflow"] == {"Status": "RESOLVED"}


def test_aws_findings_go_to_their_own_account_and_others_to_the_one_configured(
    tmp_path: Path,
) -> None:
    result = demo_result()
    findings = _document(
        result, tmp_path, asff_account="999988887777", asff_region="ap-northeast-1"
    )["Findings"]
    for asff, finding in zip(findings, result.findings, strict=True):
        account = finding.scope if finding.provider == "aws" else "999988887777"
        assert asff["AwsAccountId"] == account
        assert asff["ProductArn"] == (
            f"arn:aws:securityhub:ap-northeast-1:{account}:product/{account}/default"
        )
    assert {f["AwsAccountId"] for f in findings} > {"999988887777"}


def test_the_region_comes_from_the_environment_then_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = build_result()  # one AWS account: the other findings go there too
    first = _document(result, tmp_path)["Findings"]
    arn = "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"
    assert {f["ProductArn"] for f in first} == {arn}
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert {f["ProductArn"].split(":")[3] for f in _document(result, tmp_path)["Findings"]} == {
        "eu-west-1"
    }
    monkeypatch.setenv("AWS_REGION", "cn-north-1")  # AWS_REGION first, as the AWS CLI reads it
    china = {
        tuple(f["ProductArn"].split(":")[1:4]) for f in _document(result, tmp_path)["Findings"]
    }
    assert china == {("aws-cn", "securityhub", "cn-north-1")}


def test_without_a_sole_aws_account_other_findings_get_the_placeholder(tmp_path: Path) -> None:
    result = demo_result()  # three AWS accounts: none of them is the obvious home
    findings = _document(result, tmp_path)["Findings"]
    pairs = zip(findings, result.findings, strict=True)
    assert {asff["AwsAccountId"] for asff, f in pairs if f.provider != "aws"} == {"000000000000"}


def test_a_bad_account_or_region_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="12-digit"):
        report.write_reports(build_result(), tmp_path, formats=("asff",), asff_account="12345")
    with pytest.raises(ValueError, match="region"):
        report.write_reports(build_result(), tmp_path, formats=("asff",), asff_region="Tokyo")
    assert not (tmp_path / "findings.asff.json").exists()


def test_resources_are_s3_buckets_or_other_with_the_bucket_region_only_where_known(
    tmp_path: Path,
) -> None:
    result = demo_result()
    findings = _document(result, tmp_path, asff_account="999988887777")["Findings"]
    for asff, finding in zip(findings, result.findings, strict=True):
        (resource,) = asff["Resources"]
        loc = finding.location
        fields = asff["ProductFields"]
        if loc is not None:  # where the copy is, whatever the resource
            assert fields[FIELD + "location_role"] == loc.role.value
            assert fields.get(FIELD + "country") == loc.country
            assert fields.get(FIELD + "location_region") == loc.region
        if finding.resource is None:
            assert resource["Type"] == ("AwsAccount" if finding.provider == "aws" else "Other")
            assert resource["Id"].endswith(finding.scope)
            continue
        assert resource["Id"] == finding.resource.uid
        primary = loc.region if loc is not None and loc.role is Role.PRIMARY else None
        if finding.provider == "aws":
            assert resource["Type"] == "AwsS3Bucket"
            assert resource["Partition"] == finding.resource.uid.split(":")[1]
            assert resource["Details"]["AwsS3Bucket"]["Name"] == finding.resource.name
            assert resource.get("Region") == primary
        else:
            assert resource["Type"] == "Other"
            assert resource["Provider"] == {"gcp": "GCP", "azure": "Azure"}[finding.provider]
            assert resource["Details"]["Other"]["name"] == finding.resource.name
            assert resource["Details"]["Other"].get("region") == primary
    partitions = {f["Resources"][0].get("Partition") for f in findings}
    assert {"aws", "aws-cn"} <= partitions


def test_long_texts_are_cut_with_an_ellipsis_and_no_finding_is_dropped(tmp_path: Path) -> None:
    result = build_result()
    long = result.findings[0].model_copy(
        update={
            "message": Text(ja="長" * 5000, en="word " * 2000),
            "remediation": Text(ja="直" * 5000, en="fix " * 2000),
        }
    )
    findings = _document(result.model_copy(update={"findings": (long, *result.findings)}), tmp_path)
    first = findings["Findings"][0]
    assert len(findings["Findings"]) == len(result.findings) + 1
    assert len(first["Title"]) <= 256 and first["Title"].endswith("\u2026")
    assert len(first["Description"]) <= 1024 and first["Description"].endswith("\u2026")
    text = first["Remediation"]["Recommendation"]["Text"]
    assert len(text) <= 512 and text.endswith("\u2026")
    ja = first["ProductFields"][FIELD + "message_ja"]
    assert len(ja) == 2048 and ja.endswith("\u2026") and ja.startswith("長長")
    _import(findings["Findings"])


def test_english_texts_are_the_finding_and_japanese_ones_survive(tmp_path: Path) -> None:
    result = demo_result()
    findings = _document(result, tmp_path)["Findings"]
    for asff, finding in zip(findings, result.findings, strict=True):
        english = plain(finding.message.en)
        assert english.startswith(asff["Title"]) or asff["Title"].endswith("\u2026")
        assert len(english) <= 1024 and asff["Description"] == english
        assert asff["ProductFields"][FIELD + "message_ja"] == plain(finding.message.ja, "ja")
        assert asff["ProductFields"][FIELD + "remediation_ja"] == plain(
            finding.remediation.ja, "ja"
        )
    assert "香港" in findings[0]["ProductFields"][FIELD + "message_ja"]


def test_findings_on_disk_give_the_same_file_in_one_pass(spill_passes: Callable[[], int]) -> None:
    from residency_audit.report.asff import findings_asff_chunks

    in_memory, on_disk = many_findings(1000)
    assert isinstance(on_disk.findings, Spill)
    chunks = list(findings_asff_chunks(on_disk, account="999988887777"))
    assert spill_passes() == 1  # each pass over a Spill parses every finding again
    assert len(chunks) > 3  # a few hundred findings at a time, never one string
    assert b"".join(chunks) == b"".join(findings_asff_chunks(in_memory, account="999988887777"))
    findings = json.loads(b"".join(chunks))["Findings"]
    assert len(findings) == 1000 + len(on_disk.resolved)
    assert _import(findings) == 11


def test_an_empty_result_is_an_empty_request(tmp_path: Path) -> None:
    result = build_result().model_copy(update={"findings": ()})
    (path,) = report.write_reports(result, tmp_path, formats=("asff",))
    assert path.read_text(encoding="utf-8") == '{"Findings":[]}\n'


@pytest.mark.skipif(shutil.which("jq") is None, reason="needs jq")
def test_the_documented_jq_command_splits_the_file_into_importable_calls(tmp_path: Path) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "standard-formats.md").read_text("utf-8")
    (line,) = [x for x in doc.splitlines() if x.startswith("jq -c --arg account")]
    program = line.split("'")[1]
    in_memory, _ = many_findings(250)
    (path,) = report.write_reports(
        in_memory, tmp_path, formats=("asff",), asff_account="999988887777"
    )
    findings = json.loads(path.read_text("utf-8"))["Findings"]
    imported = []
    for account in sorted({f["AwsAccountId"] for f in findings}):
        done = subprocess.run(
            ["jq", "-c", "--arg", "account", account, program, str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        batches = [json.loads(b) for b in done.stdout.splitlines()]
        assert all(
            0 < len(b) <= 100 and {f["AwsAccountId"] for f in b} == {account} for b in batches
        )
        for batch in batches:
            _import(batch)
            imported += batch
    assert sorted(f["Id"] for f in imported) == sorted(f["Id"] for f in findings)


def _documented_row(field: str) -> set[str]:
    doc = (Path(__file__).parent.parent / "docs" / "standard-formats.md").read_text("utf-8")
    (row,) = [x for x in doc.splitlines() if x.startswith(f"| `{field}` |")]
    return set(re.findall(r"`([a-z0-9_]+)`", row.split("|")[2]))


def test_every_product_field_is_documented(tmp_path: Path) -> None:
    seen: set[str] = set()
    for result in (demo_result(history=True), build_result()):
        for finding in json.loads(report.findings_asff(result))["Findings"]:
            seen |= {key.removeprefix(FIELD) for key in finding["ProductFields"]}
    assert seen == _documented_row("ProductFields") - {"true", "false"}


def test_a_lone_surrogate_is_written_as_a_replacement_character(tmp_path: Path) -> None:
    result = build_result()
    broken = result.findings[0].model_copy(update={"message": Text(ja="壊\udc80", en="x\udc80y")})
    (finding,) = _document(result.model_copy(update={"findings": (broken,)}), tmp_path)["Findings"]
    assert (finding["Title"], finding["Description"]) == ("x\ufffdy", "x\ufffdy")
    assert finding["ProductFields"][FIELD + "message_ja"] == "壊\ufffd"
    _import([finding])


def test_a_blank_message_gives_the_rule_id_as_title(tmp_path: Path) -> None:
    result = build_result()
    blank = result.findings[0].model_copy(update={"message": Text(ja=" ", en=" ")})
    (finding,) = _document(result.model_copy(update={"findings": (blank,)}), tmp_path)["Findings"]
    assert finding["Title"] == finding["Description"] == "residency.concern"
    _import([finding])
