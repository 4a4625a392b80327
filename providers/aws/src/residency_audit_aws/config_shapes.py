"""AWS Config configuration items of ``AWS::S3::Bucket``, translated into the S3 API answers
:mod:`.normalize` and :mod:`.public` already read. Pure: no SDK, no I/O.

The shapes are AWS Config's own: the item's ``supplementaryConfiguration`` keys and their
camel-case fields as the AWS Config resource schema lists them
(awslabs/aws-config-resource-schema, ``AWS::S3::Bucket.properties.json``), values JSON-encoded as
strings (``AccessControlList`` twice over) in ``BatchGetAggregateResourceConfig`` and as objects
or strings in ``SelectAggregateResourceConfig`` results; replication rules are a map keyed by
rule id (a list is read too).

Each S3 read gets one of three answers (:class:`Served`): the API's response, the API's "not
configured" error (Config recorded the setting as none: ``{"policyText": null}``, an explicit
null entry), or nothing, with why -- Config never records it (ownership controls, policy status)
or the item has no entry for it, and a missing entry cannot be told from "not captured". Nothing
is never read as "none": the collector reads those settings live.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from residency_audit.inventory_source import FallbackReason

__all__ = [
    "ConfigItem",
    "Served",
    "SourceStatus",
    "covering",
    "item_from_config",
    "parse_time",
    "source_status",
    "vouched_as_of",
]

# what the S3 API answers when the setting is not configured (as the live read would fail)
NOT_CONFIGURED = {
    "GetBucketEncryption": "ServerSideEncryptionConfigurationNotFoundError",
    "GetBucketReplication": "ReplicationConfigurationNotFoundError",
    "GetPublicAccessBlock": "NoSuchPublicAccessBlockConfiguration",
    "GetBucketPolicy": "NoSuchBucketPolicy",
    "GetBucketTagging": "NoSuchTagSet",
}
# S3 reads AWS Config does not record for a bucket at all (the AWS::S3::Bucket resource schema
# has no inventory configuration)
NOT_RECORDED = (
    "GetBucketOwnershipControls",
    "GetBucketPolicyStatus",
    "ListBucketInventoryConfigurations",
)

_GROUPS = {
    "AllUsers": "http://acs.amazonaws.com/groups/global/AllUsers",
    "AuthenticatedUsers": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "LogDelivery": "http://acs.amazonaws.com/groups/s3/LogDelivery",
}
_PERMISSIONS = {
    "FullControl": "FULL_CONTROL",
    "Write": "WRITE",
    "WriteAcp": "WRITE_ACP",
    "Read": "READ",
    "ReadAcp": "READ_ACP",
}
_FLAGS = {
    "blockPublicAcls": "BlockPublicAcls",
    "ignorePublicAcls": "IgnorePublicAcls",
    "blockPublicPolicy": "BlockPublicPolicy",
    "restrictPublicBuckets": "RestrictPublicBuckets",
}


@dataclass(frozen=True)
class Served:
    """One S3 read answered from the item: a response, a "not configured" error code, or
    neither (``missing`` says why it must be read live)."""

    response: Mapping[str, Any] | None = None
    error: str | None = None
    missing: FallbackReason | None = None


@dataclass(frozen=True)
class ConfigItem:
    account: str
    region: str
    name: str
    captured: datetime | None
    answers: Mapping[str, Served] = field(default_factory=dict)
    # configurationItemStatus ResourceDeleted / ResourceDeletedNotRecorded: the bucket is gone
    deleted: bool = False

    def served(self, operation: str) -> Served:
        if operation in NOT_RECORDED:
            return Served(missing="not-recorded")
        return self.answers.get(operation, Served(missing="absent"))


def _decoded(value: Any) -> Any:
    """Config's JSON-in-a-string values, decoded however many times they were encoded."""
    while isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return value


def parse_time(value: Any) -> datetime | None:
    """A capture time: a datetime (botocore), epoch seconds, or ISO 8601 text (Select results,
    moto's ``str(datetime)``)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _entry(supplementary: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """(whether the item has the entry, its decoded value)."""
    if key not in supplementary:
        return False, None
    return True, _decoded(supplementary[key])


def _encryption(value: Any) -> Served:
    rules = []
    for rule in (value or {}).get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        if not default.get("sseAlgorithm"):
            continue
        api: dict[str, Any] = {"SSEAlgorithm": default["sseAlgorithm"]}
        if default.get("kmsMasterKeyID"):
            api["KMSMasterKeyID"] = default["kmsMasterKeyID"]
        out: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": api}
        if rule.get("bucketKeyEnabled") is not None:
            out["BucketKeyEnabled"] = bool(rule["bucketKeyEnabled"])
        rules.append(out)
    if not rules:
        return Served(error=NOT_CONFIGURED["GetBucketEncryption"])
    return Served({"ServerSideEncryptionConfiguration": {"Rules": rules}})


def _replication_rule(rule_id: str, rule: Mapping[str, Any]) -> dict[str, Any]:
    config = rule.get("destinationConfig") or {}
    destination: dict[str, Any] = {"Bucket": str(config.get("bucketARN") or "")}
    account = config.get("account") or config.get("Account")
    if account:
        destination["Account"] = str(account)
    if config.get("storageClass"):
        destination["StorageClass"] = config["storageClass"]
    encryption = config.get("encryptionConfiguration") or {}
    if encryption.get("replicaKmsKeyID"):
        destination["EncryptionConfiguration"] = {"ReplicaKmsKeyID": encryption["replicaKmsKeyID"]}
    out: dict[str, Any] = {
        "ID": str(rule.get("id") or rule_id),
        "Status": str(rule.get("status") or ""),
        "Destination": destination,
    }
    if rule.get("priority") is not None:
        out["Priority"] = rule["priority"]
    if rule.get("prefix") is not None:
        out["Prefix"] = rule["prefix"]
    return out


def _replication(value: Any) -> Served:
    raw = (value or {}).get("rules") or {}
    pairs = raw.items() if isinstance(raw, Mapping) else ((str(i), r) for i, r in enumerate(raw))
    rules = [_replication_rule(str(rid), r) for rid, r in pairs if isinstance(r, Mapping)]
    if not rules:
        return Served(error=NOT_CONFIGURED["GetBucketReplication"])
    config: dict[str, Any] = {"Rules": rules}
    if value.get("roleARN"):
        config["Role"] = value["roleARN"]
    return Served({"ReplicationConfiguration": config})


def _public_access_block(value: Any) -> Served:
    if not isinstance(value, Mapping):
        return Served(error=NOT_CONFIGURED["GetPublicAccessBlock"])
    flags = {api: bool(value.get(ours)) for ours, api in _FLAGS.items()}
    return Served({"PublicAccessBlockConfiguration": flags})


def _policy(value: Any) -> Served:
    text = (value or {}).get("policyText") if isinstance(value, Mapping) else None
    if not text:
        return Served(error=NOT_CONFIGURED["GetBucketPolicy"])
    return Served({"Policy": text if isinstance(text, str) else json.dumps(text)})


def _grantee(grantee: Any) -> dict[str, Any] | None:
    if isinstance(grantee, str):
        uri = _GROUPS.get(grantee)
        return {"Type": "Group", "URI": uri} if uri else None
    if isinstance(grantee, Mapping) and grantee.get("id"):
        return {"Type": "CanonicalUser", "ID": str(grantee["id"])}
    return None


def _acl(value: Any) -> Served:
    if not isinstance(value, Mapping):
        return Served(missing="absent")
    grants = []
    for grant in value.get("grantList") or []:
        grantee = _grantee(grant.get("grantee"))
        permission = _PERMISSIONS.get(str(grant.get("permission")))
        if grantee is None or permission is None:
            # a grantee or permission we do not know: the ACL is read live, not guessed
            return Served(missing="absent")
        grants.append({"Grantee": grantee, "Permission": permission})
    owner = {"ID": str((value.get("owner") or {}).get("id") or "")}
    return Served({"Owner": owner, "Grants": grants})


def _tags(value: Any) -> Served:
    sets = (value or {}).get("tagSets") if isinstance(value, Mapping) else None
    tags: dict[str, Any] = {}
    for tag_set in sets or []:
        tags.update((tag_set or {}).get("tags") or {})
    if not tags:
        return Served(error=NOT_CONFIGURED["GetBucketTagging"])
    return Served({"TagSet": [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]})


def _logging(value: Any) -> Served:
    """``BucketLoggingConfiguration`` (``destinationBucketName``, ``logFilePrefix``) as
    GetBucketLogging answers it; a null target (or entry) is logging off, S3's empty answer."""
    target = value.get("destinationBucketName") if isinstance(value, Mapping) else None
    if not target:
        return Served({})
    prefix = str(value.get("logFilePrefix") or "")
    return Served({"LoggingEnabled": {"TargetBucket": str(target), "TargetPrefix": prefix}})


_TRANSLATIONS = {
    "ServerSideEncryptionConfiguration": ("GetBucketEncryption", _encryption),
    "BucketReplicationConfiguration": ("GetBucketReplication", _replication),
    "PublicAccessBlockConfiguration": ("GetPublicAccessBlock", _public_access_block),
    "BucketPolicy": ("GetBucketPolicy", _policy),
    "AccessControlList": ("GetBucketAcl", _acl),
    "BucketTaggingConfiguration": ("GetBucketTagging", _tags),
    "BucketLoggingConfiguration": ("GetBucketLogging", _logging),
}


def item_from_config(item: Mapping[str, Any]) -> ConfigItem:
    """One configuration item (BatchGet's ``BaseConfigurationItems`` entry or one decoded Select
    result) as the S3 answers it holds."""
    supplementary = _decoded(item.get("supplementaryConfiguration")) or {}
    answers: dict[str, Served] = {}
    for key, (operation, translate) in _TRANSLATIONS.items():
        present, value = _entry(supplementary, key)
        if present:
            answers[operation] = translate(value)
    configuration = _decoded(item.get("configuration")) or {}
    name = str(item.get("resourceName") or configuration.get("name") or item.get("resourceId"))
    return ConfigItem(
        account=str(item.get("accountId") or ""),
        region=str(item.get("awsRegion") or ""),
        name=name,
        captured=parse_time(item.get("configurationItemCaptureTime")),
        answers=answers,
        deleted=str(item.get("configurationItemStatus", "")).startswith("ResourceDeleted"),
    )


@dataclass(frozen=True)
class SourceStatus:
    """One entry of DescribeConfigurationAggregatorSourcesStatus: an account (or the
    organisation) in one region, and how its last aggregation went."""

    source_id: str
    source_type: str  # ACCOUNT | ORGANIZATION
    region: str
    status: str  # SUCCEEDED | FAILED | OUTDATED
    updated: datetime | None
    error_code: str = ""
    error_message: str = ""

    def describe(self) -> str:
        """``source 111122223333 (ACCOUNT, ap-northeast-1) FAILED at ...: Code: message``."""
        when = f" at {self.updated.isoformat()}" if self.updated else ""
        error = ": ".join(e for e in (self.error_code, self.error_message) if e)
        return (
            f"source {self.source_id} ({self.source_type}, {self.region}) "
            f"{self.status or 'without a status'}{when}{f': {error}' if error else ''}"
        )


def source_status(entry: Mapping[str, Any]) -> SourceStatus:
    """One ``AggregatedSourceStatusList`` entry."""
    return SourceStatus(
        source_id=str(entry.get("SourceId") or ""),
        source_type=str(entry.get("SourceType") or ""),
        region=str(entry.get("AwsRegion") or ""),
        status=str(entry.get("LastUpdateStatus") or ""),
        updated=parse_time(entry.get("LastUpdateTime")),
        error_code=str(entry.get("LastErrorCode") or ""),
        error_message=str(entry.get("LastErrorMessage") or ""),
    )


def covering(statuses: Sequence[SourceStatus], account: str, region: str) -> SourceStatus | None:
    """The source that brings the account's items of the region into the aggregator: the
    account's own entry for the region, else the organisation's entry for the region."""
    for kind, wanted in (("ACCOUNT", account), ("ORGANIZATION", None)):
        for status in statuses:
            if (
                status.source_type == kind
                and status.region == region
                and (wanted is None or status.source_id == wanted)
            ):
                return status
    return None


def vouched_as_of(captured: datetime | None, source: SourceStatus | None) -> datetime | None:
    """When Config last vouched for the item's state: its capture time, or the covering source's
    last successful aggregation when later (an unchanged bucket gets no new item). A source that
    did not succeed, or none, leaves the capture time (strict); no capture time stays none."""
    if captured is None or source is None or source.status != "SUCCEEDED":
        return captured
    if source.updated is None:
        return captured
    return max(captured, source.updated)
