"""findings.ocsf.json: every finding as an OCSF Compliance Finding event (class 2003).

OCSF (the Open Cybersecurity Schema Framework) is what data lakes such as Amazon Security Lake
store; docs/standard-formats.md has the field mapping. The file is a JSON array with one event
per line, so ``jq -c '.[]'`` or a line splitter turns it into NDJSON. The fingerprint is each
event's ``finding_info.uid``; the guideline items are ``compliance.requirements``. Findings the
history resolved since the previous scan follow the current ones as closing events.

Texts are English (OCSF has one language per event); the Japanese ones are in ``unmapped``.
Like findings.json, the file is written a few hundred events at a time in one pass over the
findings, which may be on disk (:mod:`residency_audit.spill`).

The few helpers both standard formats share (plain text, titles, the chunked array) live here;
:mod:`.asff` imports them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from .. import __version__
from ..guideline import GUIDELINE_DATE, GUIDELINE_TITLE_EN, guideline_items
from ..localtime import as_utc
from ..markup import CODE_CLOSE, CODE_OPEN, QUOTE_CLOSE, QUOTE_OPEN, plain
from ..model import Certainty, Finding, FindingState, Role, Severity
from ..plaintext import encodable, json_bytes
from ..results import ScanResult
from ..rules.specs import RULES

__all__ = [
    "CLASS_UID",
    "OCSF_VERSION",
    "PRODUCT",
    "STANDARD",
    "array_chunks",
    "every_finding",
    "findings_ocsf",
    "findings_ocsf_chunks",
    "ocsf_event",
    "text",
    "title",
]

# the schema the events follow: the version py-ocsf-models (the tests' validator) implements
OCSF_VERSION = "1.5.0"
CLASS_UID = 2003  # Compliance Finding
CATEGORY_UID = 2  # Findings
PRODUCT = "residency-audit"
# how both formats name the guideline: publisher, date and our English rendering of the title
STANDARD = f"CISTEC {GUIDELINE_DATE}: {GUIDELINE_TITLE_EN}"

_BATCH = 256  # events per chunk written

_SEVERITY = {  # ours -> OCSF severity_id and its caption
    Severity.INFO: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
_ACTIVITY = {  # history state -> activity_id and its caption; no history: Create
    None: (1, "Create"),
    FindingState.NEW: (1, "Create"),
    FindingState.PERSISTING: (2, "Update"),
    FindingState.REOPENED: (2, "Update"),
    FindingState.RESOLVED: (3, "Close"),
}
_RESOURCE_TYPES = {"aws": "AwsS3Bucket", "gcp": "GcpStorageBucket", "azure": "AzureBlobContainer"}
_SCOPE_TYPES = {"aws": "AwsAccount", "gcp": "GcpProject", "azure": "AzureSubscription"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- shared with .asff ---------------------------------------------------------------------


# what text() changes: the marks of codes and quotations, and lone surrogates; one search tells
# the text that needs nothing (nearly all of it) apart
_NEEDS_WORK = re.compile(f"[{CODE_OPEN}{CODE_CLOSE}{QUOTE_OPEN}{QUOTE_CLOSE}\ud800-\udfff]")


def text(value: str, lang: str = "en") -> str:
    """``value`` as the machine formats write text: marked codes plain, quotations in the
    language's quotation marks (never a private-use mark), a lone surrogate as U+FFFD."""
    if not _NEEDS_WORK.search(value):
        return value
    return plain(encodable(value), lang)


_OPENERS = ("(", CODE_OPEN, QUOTE_OPEN)
_CLOSERS = (")", CODE_CLOSE, QUOTE_CLOSE)


def title(message: str) -> str:
    """The first sentence of a (marked) English message, as plain text: it ends at the first
    ". " outside parentheses, codes and quotations (an API's quoted error or an evidence list
    may hold full stops of its own)."""
    end = message.find(". ")
    while end != -1:
        head = message[:end]
        if sum(map(head.count, _OPENERS)) <= sum(map(head.count, _CLOSERS)):
            return text(message[: end + 1])
        end = message.find(". ", end + 2)
    return text(message)


def every_finding(result: ScanResult) -> Iterator[Finding]:
    """The scan's findings in their stored order, then those resolved since the previous scan:
    one pass (the findings may be on disk)."""
    yield from result.findings
    yield from result.resolved


def array_chunks(head: str, items: Iterable[dict[str, Any]], tail: str) -> Iterator[bytes]:
    """``head``, the items as a JSON array with one compact item per line, then ``tail``, a
    batch of items at a time: the file is never one string."""
    yield head.encode("utf-8")
    batch: list[bytes] = []
    written = False
    for item in items:
        batch.append(json_bytes(item))
        if len(batch) == _BATCH:
            yield (b",\n" if written else b"\n") + b",\n".join(batch)
            batch, written = [], True
    if batch:
        yield (b",\n" if written else b"\n") + b",\n".join(batch)
        written = True
    yield ("\n" if written else "").encode("utf-8") + tail.encode("utf-8") + b"\n"


# --- OCSF ------------------------------------------------------------------------------------


def _ms(moment: datetime) -> int:
    """OCSF timestamps: milliseconds since the epoch."""
    return (as_utc(moment) - _EPOCH) // timedelta(milliseconds=1)


def _drop_empty(values: dict[str, Any]) -> dict[str, Any]:
    # OCSF omits an attribute that has no value rather than writing null; 0 and False are values
    return {k: v for k, v in values.items() if v or isinstance(v, int)}


@cache
def _gists() -> dict[str, str]:
    return {item.id: item.gist_en for item in guideline_items()}


def _compliance(finding: Finding) -> dict[str, Any]:
    items = list(finding.guideline_items)
    gists = _gists()
    if finding.state is FindingState.RESOLVED:
        status_id = 1  # Pass
    elif finding.unverified:
        status_id = 2  # Warning: no result, something could not be read
    else:
        status_id = 3  # Fail
    # no compliance.status caption: the schema recommends it, but the models package the tests
    # validate with has no such attribute (status_id says it all)
    return _drop_empty(
        {
            "control": ", ".join(items),
            "desc": " ".join(f"{item}: {gists[item]}" for item in items if item in gists),
            "requirements": items,
            "standards": [STANDARD],
            "status_id": status_id,
        }
    )


def _confidence(finding: Finding) -> tuple[int, str]:
    if finding.unverified:
        return 1, "Low"  # the finding stands for something that could not be read
    if finding.location is not None and finding.location.certainty is Certainty.POSSIBLE:
        return 2, "Medium"  # a location that may be in the country (undisclosed members)
    return 3, "High"


def _status(finding: Finding) -> tuple[int, str, str | None]:
    """status_id, its caption and the detail: an accepted exception suppresses a finding."""
    if finding.state is FindingState.RESOLVED:
        return 4, "Resolved", None
    s = finding.suppression
    if s is not None:
        detail = (
            f"Accepted exception {s.id} (approved by {s.approved_by}, expires "
            f"{s.expires.isoformat()}): {s.reason}"
        )
        return 3, "Suppressed", text(detail)
    return 1, "New", None


def _location(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    if loc is None:
        return {}
    return _drop_empty(
        {
            "role": loc.role.value,
            "region": text(loc.region) if loc.region else None,
            "country": loc.country,
            "countries": list(loc.countries),
            "certainty": loc.certainty.value,
            "mechanism": text(loc.mechanism) if loc.mechanism else None,
            "target": text(loc.target) if loc.target else None,
        }
    )


def _resource(finding: Finding, scope_names: dict[tuple[str, str], str]) -> dict[str, Any]:
    """The bucket (or, for a scope-level finding, the account/project/subscription)."""
    data = _drop_empty(
        {
            "provider": text(finding.provider),
            "scope": text(finding.scope),
            "location": _location(finding),
            "classification": finding.classification.value if finding.classification else None,
        }
    )
    res = finding.resource
    if res is None:
        name = scope_names.get((finding.provider, finding.scope))
        return _drop_empty(
            {
                "uid": text(finding.scope),
                "name": text(name) if name else None,
                "type": _SCOPE_TYPES.get(finding.provider, "Scope"),
                "data": data,
            }
        )
    loc = finding.location
    # the bucket's own region is known only when the finding is about its primary location; a
    # copy's region (replica, backup, key ...) is the location's, in data.location
    region = loc.region if loc is not None and loc.role is Role.PRIMARY else None
    partition = res.uid.split(":")[1] if res.uid.startswith("arn:") else None
    return _drop_empty(
        {
            "uid": text(res.uid),
            "name": text(res.name),
            "type": _RESOURCE_TYPES.get(finding.provider, "Bucket"),
            "region": text(region) if region else None,
            "cloud_partition": text(partition) if partition else None,
            "data": data,
        }
    )


def _unmapped(finding: Finding, result: ScanResult) -> dict[str, Any]:
    """What OCSF has no attribute for: the Japanese texts and our own fields."""
    s = finding.suppression
    suppression = (
        {
            "id": text(s.id),
            "reason": text(s.reason, "ja"),
            "approved_by": text(s.approved_by),
            "expires": s.expires.isoformat(),
        }
        if s is not None
        else None
    )
    return _drop_empty(
        {
            "message_ja": text(finding.message.ja, "ja"),
            "remediation_ja": text(finding.remediation.ja, "ja"),
            "severity": finding.severity.value,
            "base_severity": finding.base_severity.value,
            "adjustments": [
                {"en": text(a.en), "ja": text(a.ja, "ja")} for a in finding.adjustments
            ],
            "unverified": finding.unverified,
            "state": finding.state.value if finding.state else None,
            "suppression": suppression,
            "profile": text(result.scan.profile.name),
            "profile_sha256": result.scan.profile.sha256,
        }
    )


def _finding_info(
    finding: Finding, result: ScanResult, heading: str, rule_names: dict[str, str]
) -> Any:
    first = finding.first_seen or result.scan.started
    return _drop_empty(
        {
            "uid": finding.fingerprint,
            "title": heading,
            "desc": text(finding.message.en),
            "analytic": _drop_empty(
                {
                    "uid": text(finding.rule_id),
                    "name": text(finding.rule_id),
                    "desc": rule_names.get(finding.rule_id),
                    "type": "Rule",
                    "type_id": 1,
                }
            ),
            "created_time": _ms(first),
            "first_seen_time": _ms(first),
            "last_seen_time": _ms(finding.last_seen or result.scan.finished),
            "modified_time": _ms(result.scan.finished),
        }
    )


def ocsf_event(
    finding: Finding,
    result: ScanResult,
    *,
    scope_names: dict[tuple[str, str], str] | None = None,
    rule_names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One finding as a Compliance Finding event (a plain dict, ready for json.dumps).

    ``scope_names`` ((provider, scope) -> name) and ``rule_names`` (rule id -> condition) are
    looked up once per file by :func:`findings_ocsf_chunks`; without them they are made here.
    """
    if scope_names is None:
        scope_names = _scope_names(result)
    if rule_names is None:
        rule_names = _rule_names()
    activity_id, activity = _ACTIVITY[finding.state]
    severity_id, severity = _SEVERITY[finding.severity]
    status_id, status, status_detail = _status(finding)
    confidence_id, confidence = _confidence(finding)
    heading = title(finding.message.en)
    return _drop_empty(
        {
            "category_uid": CATEGORY_UID,
            "category_name": "Findings",
            "class_uid": CLASS_UID,
            "class_name": "Compliance Finding",
            "activity_id": activity_id,
            "activity_name": activity,
            "type_uid": CLASS_UID * 100 + activity_id,
            "type_name": f"Compliance Finding: {activity}",
            "time": _ms(result.scan.finished),
            "timezone_offset": 0,
            "severity_id": severity_id,
            "severity": severity,
            "status_id": status_id,
            "status": status,
            "status_detail": status_detail,
            "confidence_id": confidence_id,
            "confidence": confidence,
            "message": heading,
            "metadata": {
                "version": OCSF_VERSION,
                "product": {"name": PRODUCT, "vendor_name": PRODUCT, "version": __version__},
                "uid": f"{text(result.scan.id)}:{finding.fingerprint}",
                "correlation_uid": text(result.scan.id),  # every event of one scan
            },
            "finding_info": _finding_info(finding, result, heading, rule_names),
            "compliance": _compliance(finding),
            "resources": [_resource(finding, scope_names)],
            "remediation": {"desc": text(finding.remediation.en)},
            "unmapped": _unmapped(finding, result),
        }
    )


def _scope_names(result: ScanResult) -> dict[tuple[str, str], str]:
    return {(s.provider, s.scope): s.name for s in result.inventory.scopes if s.name}


def _rule_names() -> dict[str, str]:
    return {spec.id: spec.condition_en for spec in RULES}


def findings_ocsf_chunks(result: ScanResult) -> Iterator[bytes]:
    """findings.ocsf.json in pieces: one pass over the findings, then the resolved ones."""
    scope_names, rule_names = _scope_names(result), _rule_names()
    events = (
        ocsf_event(f, result, scope_names=scope_names, rule_names=rule_names)
        for f in every_finding(result)
    )
    return array_chunks("[", events, "]")


def findings_ocsf(result: ScanResult) -> str:
    return b"".join(findings_ocsf_chunks(result)).decode("utf-8")
