"""Every public-access fact and encryption detail the plugin records reaches the report in words:
a term for each key and value in both languages, roles and members only as codes."""

from __future__ import annotations

from typing import Any

import pytest

from residency_audit.evidence import detail_text, evidence_text
from residency_audit.markup import plain
from residency_audit.model import Evidence
from residency_audit.testing import unworded
from residency_audit_gcp import normalize
from residency_audit_gcp.testing import bucket_resource, iam_policy

_GRANTS = (
    "gcs.iam-grant",
    "gcs.iam-grant-conditional",
    "gcs.acl-grant",
    "gcs.default-object-acl-grant",
)
GRANTS = {*_GRANTS, *(f"{k}-blocked" for k in _GRANTS)}  # the second: public access prevention on
ACL = [{"entity": "allUsers", "role": "READER"}]


def _conditional_policy() -> dict[str, Any]:
    policy = iam_policy(("roles/storage.objectViewer", ["allUsers"]), version=3)
    policy["bindings"][0]["condition"] = {"title": "only-public-prefix", "expression": "x"}
    return policy


def _public_evidence() -> list[Evidence]:
    found: list[Evidence] = []
    for pap in ("enforced", "inherited", "unspecified", None):
        for ubla in (True, False):
            res = bucket_resource("b", "us-east1", pap=pap or "inherited", ubla=ubla, acl=ACL)
            if pap is None:
                del res["iamConfiguration"]["publicAccessPrevention"]
            res["defaultObjectAcl"] = ACL
            for policy in (
                iam_policy(("roles/storage.objectViewer", ["allUsers"])),
                _conditional_policy(),
            ):
                found += normalize.public_access(res, policy)[0].evidence
    found += normalize.unreachable_bucket("p", "projects/_/buckets/lost").public_access.evidence
    return found


def test_every_public_access_fact_is_worded_in_both_languages() -> None:
    evidence = _public_evidence()
    assert {e.key for e in evidence} == {
        "gcs.pap",
        "gcs.pap-org",
        "gcs.ubla",
        "gcs.unreachable",
    } | GRANTS
    # a grant's role is the cloud's own code
    assert unworded(evidence, coded_values=GRANTS) == []


def test_every_encryption_detail_is_worded_in_both_languages() -> None:
    key = "projects/p/locations/asia-east2/keyRings/r/cryptoKeys/k"
    resources = [
        bucket_resource("b", "us-east1"),
        bucket_resource("b", "us-east1", kms_key=key),
        {"encryption": "junk"},
    ]
    details = [d for r in resources for d in normalize.encryption(r).details]
    assert [d.key for d in details] == ["gcs.google-managed", "gcs.cmek", "gcs.malformed"]
    assert unworded(details, kind="encryption_detail") == []
    assert (
        plain(detail_text(details[1], "ja"), "ja")
        == "顧客管理の暗号鍵（CMEK、Cloud KMS のデフォルト鍵）"
    )


@pytest.mark.parametrize(
    ("item", "ja", "en"),
    [
        (
            Evidence(key="gcs.acl-grant", subject="allAuthenticatedUsers", value="READER"),
            "バケットの ACL で allAuthenticatedUsers に READER を付与",
            "bucket ACL grants READER to allAuthenticatedUsers",
        ),
        (
            Evidence(key="gcs.pap-org", value="inherited"),
            "公開アクセスの防止（publicAccessPrevention）: 継承（組織のポリシーに従います。"
            "組織のポリシーは読み取っていません）",
            "public access prevention (publicAccessPrevention): inherited (follows the "
            "organization policy, which is not read)",
        ),
        (
            Evidence(
                key="gcs.iam-grant-conditional-blocked",
                subject="allUsers",
                value="roles/storage.objectViewer",
                text="only-public-prefix",
            ),
            "IAM で allUsers にロール roles/storage.objectViewer を条件付きで付与"
            "（条件: 「only-public-prefix」）（公開アクセスの防止によりブロック）",
            "IAM grants role roles/storage.objectViewer to allUsers under a condition "
            "(\u201conly-public-prefix\u201d) (blocked by public access prevention)",
        ),
    ],
)
def test_public_access_facts_read_as_a_reader_says_them(item: Evidence, ja: str, en: str) -> None:
    assert plain(evidence_text(item, "ja"), "ja") == ja
    assert plain(evidence_text(item, "en"), "en") == en
