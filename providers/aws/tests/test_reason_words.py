"""Why a location's region is unknown, and why a setting was not read, reach the report in the
reader's language: every reason the plugin records has a term in both languages, and the API's
words stay a quotation."""

from __future__ import annotations

from typing import Any

import residency_audit_aws
from residency_audit.catalog import load_catalog
from residency_audit.evidence import gap_reason_text, reason_text
from residency_audit.markup import code, plain, quote
from residency_audit.model import Certainty, Evidence, Location, Role
from residency_audit.terms import all_terms
from residency_audit.testing import evidence_keys, unworded
from residency_audit_aws import backup
from residency_audit_aws import normalize as nz
from residency_audit_aws.reads import read_gap

REASONS = {
    "aws.backup-copy-not-vault-arn",
    "aws.backup-plan-by-tag",
    "aws.backup-plan-condition",
    "aws.backup-plans-not-read",
    "aws.backup-plans-region-unknown",
    "aws.policy-not-json",
    "aws.sse-algorithm-unknown",
    "aws.bucket-region-unread",
    "aws.destination-missing",
    "aws.destination-not-looked-up",
    "aws.destination-region-unread",
    "aws.key-region-follows-bucket",
    "aws.kms-key-unlocated",
    "aws.mrap-member-region-missing",
    "aws.replica-key-region-unknown",
    "aws.trail-selector-unevaluated",
    "aws.export-same-region",
    "aws.transfer-destination-outside-aws",
    "aws.transfer-destination-unlisted",
    "aws.transfer-source-unlisted",
}


def test_every_reason_the_plugin_records_is_worded_in_both_languages() -> None:
    keys = evidence_keys(residency_audit_aws)
    assert keys >= REASONS
    terms = all_terms()
    # every other key is a public-access fact or an encryption detail (test_evidence_words)
    others = [
        k for k in keys - REASONS if not {f"evidence.{k}", f"encryption_detail.{k}"} & {*terms}
    ]
    assert others == []
    items = [Evidence(key=k, subject="x", value="y", text="AccessDenied") for k in sorted(REASONS)]
    # their values are the cloud's codes (an error code), shown as codes
    assert unworded(items, kind="reason", coded_values=REASONS) == []


def _replica(rule: dict[str, Any], regions: dict[str, nz.DestinationRegion]) -> list[Location]:
    config = {"ReplicationConfiguration": {"Rules": [rule]}}
    return nz.replication_locations(config, regions)


def test_a_destination_that_does_not_exist_is_said_in_japanese_with_the_code() -> None:
    rule = {"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::gone"}}
    [loc] = _replica(rule, {"gone": nz.DESTINATION_MISSING})
    assert loc.region is None
    assert (
        plain(reason_text(loc, "ja") or "", "ja")
        == "複製先のバケットが存在しません（NoSuchBucket）"
    )
    en = reason_text(loc, "en") or ""
    assert en == f"the destination bucket does not exist ({code('NoSuchBucket')})"
    # readers of the v1 JSON keep the sentence
    assert loc.unknown_reason == "destination bucket does not exist (NoSuchBucket)"
    note = load_catalog().resolve(loc).note_ja
    assert "複製先のバケットが存在しません" in note and "destination" not in note


def test_an_unlooked_destination_and_its_replica_key_both_say_why() -> None:
    rule = {
        "Status": "Enabled",
        "Destination": {
            "Bucket": "arn:aws:s3:::elsewhere",
            "EncryptionConfiguration": {"ReplicaKmsKeyID": "alias/replica"},
        },
    }
    locs = _replica(rule, {})
    assert [(loc.role, loc.why.key if loc.why else None) for loc in locs] == [
        (Role.REPLICA, "aws.destination-not-looked-up"),
        (Role.KEY, "aws.replica-key-region-unknown"),
    ]


def test_a_key_of_a_bucket_of_unknown_region_says_why() -> None:
    [loc] = nz.key_locations(None, "alias/app", None, "sse-kms")
    assert plain(reason_text(loc, "ja") or "", "ja") == (
        "バケットのリージョンが分からないため、鍵のリージョンも分かりません"
    )


def test_a_multi_region_access_point_member_without_a_region_says_why() -> None:
    members = [
        nz.MrapMember("mrap", "a", "us-east-1", None),
        nz.MrapMember("mrap", "b", None, None),
    ]
    [loc] = nz.mrap_locations("a", members)
    assert loc.why == Evidence(key="aws.mrap-member-region-missing")


def test_a_backup_copy_to_a_non_vault_destination_says_why() -> None:
    rules = [{"CopyActions": [{"DestinationBackupVaultArn": "not-an-arn"}]}]
    plan = backup.BackupPlan("id", "daily", "ap-northeast-1", "111122223333", {"Rules": rules})
    [loc] = backup.plan_locations(plan, "aws", Certainty.CONFIRMED)
    assert loc.region is None
    assert plain(reason_text(loc, "ja") or "", "ja") == (
        "コピー先がバックアップボールトの ARN ではないため、リージョンが分かりません"
    )


# a failed read's reason: built by read_gap with one of these keys
GAP_REASONS = (
    "aws.read-failed",
    "aws.key-read-failed",
    "aws.backup-plans-read-failed",
    "aws.backup-selections-read-failed",
)


def test_a_failed_read_is_said_in_words_with_the_error_code_and_the_api_message() -> None:
    items = [Evidence(key=k, subject="GetBucketAcl", value="AccessDenied") for k in GAP_REASONS]
    assert unworded(items, kind="reason", coded_values=GAP_REASONS) == []
    gap = read_gap("s3", "GetBucketTagging", nz.Failure("AccessDenied", "Access Denied"))
    assert plain(gap_reason_text(gap, "ja"), "ja") == (
        "GetBucketTagging の呼び出しに失敗しました: AccessDenied（「Access Denied」）"
    )
    assert gap_reason_text(gap, "en") == (
        f"{code('GetBucketTagging')} failed: {code('AccessDenied')} ({quote('Access Denied')})"
    )
    assert gap.reason == "GetBucketTagging failed: AccessDenied (Access Denied)"  # v1 JSON
    rule = {
        "ServerSideEncryptionConfiguration": {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": "alias/app",
                    }
                }
            ]
        }
    }
    _, _, gaps = nz.encryption(rule, nz.Failure("AccessDeniedException"), "ap-northeast-1")
    assert [g.why.key for g in gaps if g.why] == ["aws.key-read-failed"]


def test_unread_backup_plans_and_selections_say_which_in_words() -> None:
    denied = nz.Failure("AccessDeniedException", "not authorized")
    unlisted = backup.RegionBackup("us-west-2", error=denied)
    _, [gap] = backup.backup_for_bucket("arn:aws:s3:::b", {}, unlisted, "aws", "us-west-2")
    assert plain(gap_reason_text(gap, "ja"), "ja") == (
        "リージョン us-west-2 のバックアッププランを一覧できませんでした: "
        "AccessDeniedException（「not authorized」）"
    )
    plan = backup.BackupPlan("id", "nightly", "us-west-2", "1", {}, selections_error=denied)
    listed = backup.RegionBackup("us-west-2", plans=(plan,))
    _, [gap] = backup.backup_for_bucket("arn:aws:s3:::b", {}, listed, "aws", "us-west-2")
    assert plain(gap_reason_text(gap, "en")) == (
        "the resource assignments of backup plan nightly could not be read: "
        "AccessDeniedException (“not authorized”)"
    )
    assert gap.reason.startswith("reading the selections of backup plan nightly")  # v1 JSON
