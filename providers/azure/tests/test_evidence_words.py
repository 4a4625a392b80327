"""Every public-access fact and encryption detail the plugin records reaches the report in words:
a term for each key and value in both languages, property names only as codes, the anonymous
try's answer as the service's own words."""

from __future__ import annotations

from typing import Any

import pytest

from residency_audit.evidence import detail_text, evidence_text
from residency_audit.markup import plain
from residency_audit.model import Evidence
from residency_audit.testing import unworded
from residency_audit_azure import normalize as nz
from residency_audit_azure.client import AnonymousProbe
from residency_audit_azure.provider import _probe_result

PROBES = [
    _probe_result(AnonymousProbe(True, 200)),
    _probe_result(AnonymousProbe(False, 403, "AuthorizationFailure")),
    _probe_result(AnonymousProbe(False, 503, "ServerBusy")),
    _probe_result(AnonymousProbe(False, None, "ServiceRequestError")),
    nz.ProbeResult(False, "anonymous listing not tried: no blob endpoint", tried=False),
]


def _account(allow: Any, network: Any, action: Any, shared_key: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"publicNetworkAccess": network, "allowSharedKeyAccess": shared_key}
    if allow is not None:
        props["allowBlobPublicAccess"] = allow
    if action is not None:
        props["networkAcls"] = {"defaultAction": action}
    return {"properties": props}


def _public_evidence() -> list[Evidence]:
    found: list[Evidence] = []
    settings = [
        (True, "Enabled", "Allow", True),
        (False, "Disabled", "Deny", False),
        (None, "SecuredByPerimeter", None, None),
        (None, None, None, None),
    ]
    for (allow, network, action, shared_key), probe in zip(settings, PROBES, strict=False):
        for level in ("None", "Blob", "Container", None):
            container = {"properties": {"publicAccess": level} if level else {}}
            account = _account(allow, network, action, shared_key)
            found += nz.public_access(account, container, probe).evidence
    for probe in PROBES:
        found += nz.public_access(_account(False, "Enabled", "Allow", True), None, probe).evidence
    return found


def test_every_public_access_fact_is_worded_in_both_languages() -> None:
    evidence = _public_evidence()
    assert {e.key for e in evidence} == {
        "azure.allow-blob-public-access",
        "azure.allow-blob-public-access-default",
        "azure.container-public-access",
        "azure.public-network-access",
        "azure.network-default-action",
        "azure.allow-shared-key-access",
        "azure.anonymous-listing",
    }
    assert {e.value for e in evidence if e.key == "azure.anonymous-listing"} == {
        "succeeded",
        "refused",
        "unanswered",
        "not-tried",
    }
    assert unworded(evidence) == []


def test_every_encryption_detail_is_worded_in_both_languages() -> None:
    vault = {
        "keySource": "Microsoft.Keyvault",
        "keyvaultproperties": {"keyvaulturi": "https://v.vault.azure.net", "keyname": "k"},
        "requireInfrastructureEncryption": True,
    }
    reads = [
        ({"properties": {}}, None),
        ({"properties": {"encryption": {"keySource": "Microsoft.Storage"}}}, None),
        ({"properties": {"encryption": vault}}, {"properties": {"defaultEncryptionScope": "s1"}}),
    ]
    details = [d for account, c in reads for d in nz.encryption(account, c)[0].details]
    assert [d.key for d in details] == [
        "azure.not-returned",
        "azure.microsoft-managed",
        "azure.key-vault",
        "azure.infrastructure-encryption",
        "azure.encryption-scope",
    ]
    assert unworded(details, kind="encryption_detail") == []
    assert plain(detail_text(details[-1], "ja"), "ja") == "既定の暗号化スコープ s1"


@pytest.mark.parametrize(
    ("item", "ja", "en"),
    [
        (
            Evidence(key="azure.allow-blob-public-access", value="false"),
            "匿名アクセスの許可（allowBlobPublicAccess）: 無効",
            "anonymous blob access (allowBlobPublicAccess): off",
        ),
        (
            PROBES[1].evidence,
            "匿名でのコンテナー一覧の取得: 拒否（「HTTP 403 AuthorizationFailure」）",
            "anonymous container listing: refused (\u201cHTTP 403 AuthorizationFailure\u201d)",
        ),
        (
            Evidence(key="azure.network-default-action", value="Deny"),
            "ファイアウォールの既定の動作（networkAcls.defaultAction）: "
            "許可した仮想ネットワークと IP アドレス以外を拒否（Deny）",
            "firewall default action (networkAcls.defaultAction): deny all but the allowed "
            "networks and IP addresses (Deny)",
        ),
    ],
)
def test_public_access_facts_read_as_a_reader_says_them(item: Evidence, ja: str, en: str) -> None:
    assert plain(evidence_text(item, "ja"), "ja") == ja
    assert plain(evidence_text(item, "en"), "en") == en
