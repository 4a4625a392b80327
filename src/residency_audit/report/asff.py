"""findings.asff.json: every finding in the AWS Security Finding Format (ASFF), for Security Hub.

The file is ``{"Findings": [...]}``, the request body of Security Hub's ``BatchImportFindings``
for a custom integration (the "default" product of the importing account); the API takes 100
findings a call, so a reader imports it in slices (docs/standard-formats.md). One finding per
line. The fingerprint is each finding's ``Id``; the guideline items are
``Compliance.RelatedRequirements``. Findings the history resolved since the previous scan follow
the current ones as archived records, so an import closes them in Security Hub too.

Where the findings go (the ProductArn's region and account):

* the region: ``region`` (``[output.asff] region``), else ``AWS_REGION``, else
  ``AWS_DEFAULT_REGION`` -- where the AWS CLI of the same environment would import them --, else
  ``us-east-1``;
* the account: an AWS finding is its own account's (the default product ARN accepts only
  findings of the calling account); any other finding (Google Cloud, Azure, scope-level) goes
  to ``account`` (``[output.asff] account``), else to the scan's AWS account when it covered
  exactly one, else to the placeholder ``000000000000``, which Security Hub refuses: set the
  account.

Every text is plain English (the Japanese ones are in ProductFields) and cut with an ellipsis to
the API's limits; no finding is ever dropped. Written a few hundred findings at a time in one
pass over the findings, which may be on disk (:mod:`residency_audit.spill`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..localtime import as_utc
from ..model import Finding, FindingState, Role, Severity
from ..results import ScanResult
from .ocsf import PRODUCT, array_chunks, every_finding, text, title

__all__ = [
    "BATCH_LIMIT",
    "DEFAULT_REGION",
    "LIMITS",
    "PLACEHOLDER_ACCOUNT",
    "REQUIREMENT_PREFIX",
    "SCHEMA_VERSION",
    "TYPE",
    "AsffTarget",
    "asff_finding",
    "asff_target",
    "findings_asff",
    "findings_asff_chunks",
]

SCHEMA_VERSION = "2018-10-08"
BATCH_LIMIT = 100  # findings per BatchImportFindings call
DEFAULT_REGION = "us-east-1"
PLACEHOLDER_ACCOUNT = "000000000000"
TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/CISTEC 2013 guideline"
REQUIREMENT_PREFIX = "CISTEC 2013"  # "CISTEC 2013 (2)-1", as Security Hub names a standard's items

# the API's length limits (characters), from the securityhub service model's documentation
LIMITS = {
    "Id": 512,
    "GeneratorId": 512,
    "Title": 256,
    "Description": 1024,
    "Recommendation.Text": 512,
    "Severity.Original": 64,
    "Resource.Region": 16,
    "ProductFields.key": 128,
    "ProductFields.value": 2048,
    "Details.Other.key": 127,  # "fewer than 128"
    "Details.Other.value": 1023,  # "fewer than 1,024"
}
_ELLIPSIS = "\u2026"

_LABELS = {
    Severity.INFO: "INFORMATIONAL",
    Severity.LOW: "LOW",
    Severity.MEDIUM: "MEDIUM",
    Severity.HIGH: "HIGH",
    Severity.CRITICAL: "CRITICAL",
}
_PROVIDERS = {"aws": "AWS", "gcp": "GCP", "azure": "Azure"}  # Resource.Provider's values
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-us-iso", "aws-us-iso-b")
_ACCOUNT = re.compile(r"\d{12}")
_FIELD = f"{PRODUCT}/"  # ProductFields keys are namespaced by the product


@dataclass(frozen=True)
class AsffTarget:
    """Where the findings are imported: the Security Hub region and, for findings that are not
    an AWS account's own, the AWS account."""

    region: str
    account: str

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    def product_arn(self, account: str) -> str:
        return f"arn:{self.partition}:securityhub:{self.region}:{account}:product/{account}/default"


def asff_target(
    result: ScanResult, *, account: str | None = None, region: str | None = None
) -> AsffTarget:
    """The target as the module docstring says: settings, then the environment, then defaults."""
    home_region = (
        region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    ) or DEFAULT_REGION
    if account is None:
        aws = {
            s.scope
            for s in result.inventory.scopes
            if s.provider == "aws" and _ACCOUNT.fullmatch(s.scope)
        }
        account = aws.pop() if len(aws) == 1 else PLACEHOLDER_ACCOUNT
    return AsffTarget(region=home_region, account=account)


def cap(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    if len(value) <= limit:
        return value
    return value[: limit - 1].rstrip() + _ELLIPSIS


def _filled(value: str, fallback: str) -> str:
    # a required text must hold a non-space character (the model's pattern .*\S.*)
    return value if value.strip() else text(fallback)


def _time(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fields(values: dict[str, str | None], key_limit: int, value_limit: int) -> dict[str, str]:
    """A string map as the API takes it: no empty value (each must hold a non-space), keys and
    values within their limits."""
    return {
        cap(key, key_limit): cap(value, value_limit)
        for key, value in values.items()
        if value is not None and value.strip()
    }


def _product_fields(finding: Finding, result: ScanResult) -> dict[str, str]:
    loc = finding.location
    s = finding.suppression
    values: dict[str, str | None] = {
        "rule_id": finding.rule_id,
        "guideline_items": ", ".join(finding.guideline_items),
        "provider": finding.provider,
        "scope": finding.scope,
        "severity": finding.severity.value,
        "base_severity": finding.base_severity.value,
        "unverified": "true" if finding.unverified else "false",
        "classification": finding.classification.value if finding.classification else None,
        "country": loc.country if loc else None,
        "countries": ", ".join(loc.countries) if loc else None,
        "location_role": loc.role.value if loc else None,
        "location_region": loc.region if loc else None,
        "location_certainty": loc.certainty.value if loc else None,
        "location_mechanism": loc.mechanism if loc else None,
        "location_target": loc.target if loc else None,
        "state": finding.state.value if finding.state else None,
        "suppression_id": s.id if s else None,
        "suppression_reason": s.reason if s else None,
        "suppression_approved_by": s.approved_by if s else None,
        "suppression_expires": s.expires.isoformat() if s else None,
        "scan_id": result.scan.id,
        "profile": result.scan.profile.name,
        "profile_sha256": result.scan.profile.sha256,
    }
    plain = {_FIELD + key: text(value) if value else None for key, value in values.items()}
    plain[_FIELD + "message_ja"] = text(finding.message.ja, "ja")
    plain[_FIELD + "remediation_ja"] = text(finding.remediation.ja, "ja")
    return _fields(plain, LIMITS["ProductFields.key"], LIMITS["ProductFields.value"])


def _scope_resource(finding: Finding) -> dict[str, Any]:
    scope = text(finding.scope)
    if finding.provider == "aws":
        return {"Type": "AwsAccount", "Id": f"AWS::::Account:{scope}"}
    ids = {
        "gcp": f"//cloudresourcemanager.googleapis.com/projects/{scope}",
        "azure": f"/subscriptions/{scope}",
    }
    return _other(finding, ids.get(finding.provider, f"{text(finding.provider)}:{scope}"), {})


def _other(finding: Finding, resource_id: str, details: dict[str, str | None]) -> dict[str, Any]:
    """A resource of a type Security Hub has no details object for (Google Cloud, Azure)."""
    other = _fields(
        {"provider": text(finding.provider), "scope": text(finding.scope), **details},
        LIMITS["Details.Other.key"],
        LIMITS["Details.Other.value"],
    )
    resource: dict[str, Any] = {"Type": "Other", "Id": resource_id}
    provider = _PROVIDERS.get(finding.provider)
    if provider is not None and provider != "AWS":
        resource["Provider"] = provider
    resource["Details"] = {"Other": other}
    return resource


def _resource(finding: Finding) -> dict[str, Any]:
    res = finding.resource
    if res is None:
        return _scope_resource(finding)
    loc = finding.location
    # the bucket's own region is known only when the finding is about its primary location; a
    # copy's region (replica, backup, key ...) is in ProductFields location_region
    region = (
        text(loc.region) if loc is not None and loc.role is Role.PRIMARY and loc.region else None
    )
    uid, name = text(res.uid), text(res.name)
    if finding.provider != "aws":
        return _other(finding, uid, {"name": name, "region": region})
    resource: dict[str, Any] = {"Type": "AwsS3Bucket", "Id": uid}
    partition = uid.split(":")[1] if uid.startswith("arn:") else None
    if partition in _PARTITIONS:
        resource["Partition"] = partition
    if region and len(region) <= LIMITS["Resource.Region"]:
        resource["Region"] = region
    bucket = {"Name": name}
    if _ACCOUNT.fullmatch(finding.scope):
        bucket["OwnerAccountId"] = finding.scope
    resource["Details"] = {"AwsS3Bucket": bucket}
    return resource


def _statuses(finding: Finding) -> tuple[str, str, str]:
    """Compliance.Status, Workflow.Status and RecordState."""
    if finding.state is FindingState.RESOLVED:
        return "PASSED", "RESOLVED", "ARCHIVED"
    compliance = "WARNING" if finding.unverified else "FAILED"  # WARNING: information missing
    return compliance, "SUPPRESSED" if finding.suppression else "NEW", "ACTIVE"


def asff_finding(finding: Finding, result: ScanResult, target: AsffTarget) -> dict[str, Any]:
    """One finding as an ASFF finding (a plain dict, ready for json.dumps)."""
    own = finding.provider == "aws" and _ACCOUNT.fullmatch(finding.scope) is not None
    account = finding.scope if own else target.account
    compliance, workflow, record = _statuses(finding)
    severity = {"Label": _LABELS[finding.severity], "Original": finding.severity.value}
    created = _time(finding.first_seen or result.scan.started)
    updated = _time(result.scan.finished)
    remediation = text(finding.remediation.en)
    asff: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": cap(finding.fingerprint, LIMITS["Id"]),
        "ProductArn": target.product_arn(account),
        "ProductName": PRODUCT,
        "CompanyName": PRODUCT,
        "GeneratorId": cap(text(finding.rule_id), LIMITS["GeneratorId"]),
        "AwsAccountId": account,
        "Types": [TYPE],
        "CreatedAt": created,
        "UpdatedAt": updated,
        "FirstObservedAt": created,
        "LastObservedAt": _time(finding.last_seen or result.scan.finished),
        "Severity": severity,
        # Security Hub keeps the first import's Severity and Types; these carry later changes
        "FindingProviderFields": {"Severity": dict(severity), "Types": [TYPE]},
        "Title": cap(_filled(title(finding.message.en), finding.rule_id), LIMITS["Title"]),
        "Description": cap(
            _filled(text(finding.message.en), finding.rule_id), LIMITS["Description"]
        ),
        "Resources": [_resource(finding)],
        "Compliance": {
            "Status": compliance,
            "RelatedRequirements": [
                f"{REQUIREMENT_PREFIX} {item}" for item in finding.guideline_items
            ][:32],
        },
        "Workflow": {"Status": workflow},
        "RecordState": record,
        "ProductFields": _product_fields(finding, result),
    }
    if remediation.strip():
        asff["Remediation"] = {
            "Recommendation": {"Text": cap(remediation, LIMITS["Recommendation.Text"])}
        }
    return asff


def findings_asff_chunks(
    result: ScanResult, *, account: str | None = None, region: str | None = None
) -> Iterator[bytes]:
    """findings.asff.json in pieces: one pass over the findings, then the resolved ones."""
    target = asff_target(result, account=account, region=region)
    items = (asff_finding(f, result, target) for f in every_finding(result))
    return array_chunks('{"Findings":[', items, "]}")


def findings_asff(
    result: ScanResult, *, account: str | None = None, region: str | None = None
) -> str:
    return b"".join(findings_asff_chunks(result, account=account, region=region)).decode("utf-8")
