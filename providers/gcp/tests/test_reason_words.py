"""Why a location's region is unknown, and why a setting was not read, reach the report in the
reader's language: every reason the plugin records has a term in both languages; codes stay
codes."""

from __future__ import annotations

import residency_audit_gcp
from residency_audit.evidence import gap_reason_text, reason_text
from residency_audit.markup import code, plain
from residency_audit.model import Evidence
from residency_audit.terms import all_terms
from residency_audit.testing import evidence_keys, unworded
from residency_audit_gcp import normalize
from residency_audit_gcp.testing import bucket_resource

REASONS = {
    "gcs.acl-not-returned",
    "gcs.copies-list-failed",
    "gcs.copy-destination-unnamed",
    "gcs.copy-destination-unread",
    "gcs.transfer-sink-posix",
    "gcs.field-malformed",
    "gcs.iam-policy-read-failed",
    "gcs.inventory-setting-unread",
    "gcs.dual-region-not-in-catalog",
    "gcs.dual-region-without-data-locations",
    "gcs.kms-key-name-form",
    "gcs.no-location",
    "gcs.unreachable",
    "gcs.unrecognised-location-type",
    "gcs.unrecognised-multi-region",
}


def test_every_reason_the_plugin_records_is_worded_in_both_languages() -> None:
    keys = evidence_keys(residency_audit_gcp)
    assert keys >= REASONS
    terms = all_terms()
    others = [k for k in keys - REASONS if f"evidence.{k}" not in terms]
    others = [k for k in others if f"encryption_detail.{k}" not in terms]
    assert others == []  # every other key is a public-access fact or an encryption detail
    items = [Evidence(key=k, subject="x", value="y") for k in sorted(REASONS)]
    assert unworded(items, kind="reason", coded_values=REASONS) == []


def _ja(resource: dict[str, object]) -> list[str]:
    locs = normalize.bucket_locations(resource, lambda code: ())
    return [plain(reason_text(loc, "ja") or "", "ja") for loc in locs]


def test_each_unreadable_location_says_why_in_japanese() -> None:
    assert _ja({}) == ["バケットのリソースにロケーションがありません"]
    assert _ja({"location": "ASIA1", "locationType": "dual-region"}) == [
        "定義済みのデュアルリージョン ASIA1 がカタログにないため、構成するリージョンが分かりません"
    ]
    assert _ja({"location": "EU", "locationType": "dual-region"}) == [
        "構成可能なデュアルリージョン EU に customPlacementConfig.dataLocations がないため、"
        "構成するリージョンを読み取れません"
    ]
    assert _ja({"location": "NAM9", "locationType": "multi-region"}) == [
        "マルチリージョン NAM9 を認識できません"
    ]
    [odd] = _ja({"location": "X1", "locationType": "quad-region"})
    assert odd.startswith("ロケーションの種類（locationType）quad-region を認識できない")
    key = normalize.key_location("keys/k")
    assert key.why == Evidence(key="gcs.kms-key-name-form")
    lost = normalize.unreachable_bucket("p", "projects/_/buckets/lost").locations[0]
    assert (reason_text(lost, "ja") or "").startswith(code("buckets.list") + " がこのバケットを")


def test_an_unread_iam_policy_keeps_the_api_answer_as_a_quotation() -> None:
    res = bucket_resource("b", "us-east1")
    _, gaps = normalize.public_access(res, None, ("403", "caller does not have permission"))
    [gap] = [g for g in gaps if g.why and g.why.key == "gcs.iam-policy-read-failed"]
    assert plain(gap_reason_text(gap, "ja"), "ja") == (
        "バケットの IAM ポリシーを読み取れませんでした: 403（「caller does not have permission」）"
    )
