"""Why a location's region is unknown, and why a setting was not read, reach the report in the
reader's language: every reason the plugin records has a term in both languages; codes stay codes,
the API's words a quotation."""

from __future__ import annotations

from typing import Any

import residency_audit_azure
from residency_audit.evidence import gap_reason_text, reason_text
from residency_audit.markup import code, plain, quote
from residency_audit.model import Evidence
from residency_audit.terms import all_terms
from residency_audit.testing import evidence_keys, unworded
from residency_audit_azure import keys
from residency_audit_azure import normalize as nz
from residency_audit_azure.client import AzureApiError
from residency_audit_azure.provider import _failed_read, vault_pair_status

REASONS = {
    "azure.anonymous-listing-unanswered",
    "azure.backup-policy-not-found",
    "azure.backup-vault-no-location",
    "azure.backup-vault-no-pair",
    "azure.backup-vault-pair",
    "azure.conversion-no-pair",
    "azure.conversion-pair",
    "azure.destination-bad-id",
    "azure.destination-not-visible",
    "azure.destination-unread",
    "azure.diagnostic-destination-bad-id",
    "azure.diagnostic-destination-no-location",
    "azure.diagnostic-partner",
    "azure.encryption-scope-not-read",
    "azure.edge-zone-parent-region",
    "azure.edge-zone-without-name",
    "azure.hsm-no-location",
    "azure.hsm-not-found",
    "azure.hsm-not-read",
    "azure.hsm-region-state",
    "azure.hsm-regions-unread",
    "azure.hsms-not-listed",
    "azure.key-uri-unrecognised",
    "azure.no-arm-location",
    "azure.no-arm-secondary",
    "azure.no-arm-setting",
    "azure.no-key-source",
    "azure.no-primary-location",
    "azure.policy-no-destination",
    "azure.read-failed",
    "azure.secondary-from-pairs",
    "azure.secondary-no-pair",
    "azure.sku-not-returned",
    "azure.unrecognised-key-source",
    "azure.vault-not-found",
    "azure.vault-not-read",
    "azure.vault-pair-unknown",
    "azure.vault-paired-copy",
    "azure.vaults-not-listed",
}
# the one reason whose value is a state of our own, not the cloud's code
PAIR_STATES = ("not-in-catalog", "no-pair-row", "pair-row-unverified")


def test_every_reason_the_plugin_records_is_worded_in_both_languages() -> None:
    found = evidence_keys(residency_audit_azure)
    assert found >= REASONS
    terms = all_terms()
    others = [k for k in found - REASONS if f"evidence.{k}" not in terms]
    others = [k for k in others if f"encryption_detail.{k}" not in terms]
    assert others == []  # every other key is a public-access fact or an encryption detail
    coded = REASONS - {"azure.vault-pair-unknown"}
    items = [Evidence(key=k, subject="x", value="y", text="Forbidden") for k in sorted(coded)]
    items += [Evidence(key="azure.vault-pair-unknown", subject="r", value=v) for v in PAIR_STATES]
    assert unworded(items, kind="reason", coded_values=coded) == []


def _ja(why: Evidence | None) -> str:
    loc = nz.primary_location({"name": "a"}).model_copy(update={"why": why})
    return plain(reason_text(loc, "ja") or "", "ja")


def test_an_account_without_a_location_says_why_in_japanese() -> None:
    loc = nz.primary_location({"name": "a"})
    assert loc.region is None
    assert plain(reason_text(loc, "ja") or "", "ja") == (
        "ストレージアカウントが primaryLocation も location も返しませんでした"
    )


def test_a_geo_secondary_from_the_pair_table_names_its_source() -> None:
    account: dict[str, Any] = {
        "name": "a",
        "location": "japaneast",
        "sku": {"name": "Standard_GRS"},
        "properties": {"primaryLocation": "japaneast"},
    }
    [loc], _ = nz.geo_secondary(account, lambda region: ("japanwest", "pair-table.md"))
    assert loc.region == "japanwest"
    assert reason_text(loc, "ja") == (
        f"{code('secondaryLocation')} が返されなかったため、リージョンペア表から求めました"
        f"（出典: {code('pair-table.md')}）"
    )
    [none], _ = nz.geo_secondary(account, lambda region: None)
    assert _ja(none.why) == (
        "Standard_GRS は地理冗長ですが、secondaryLocation が返されず、"
        "プライマリーリージョン japaneast には公開されたペアもありません"
    )


def test_a_vault_of_unknown_pair_says_which_table_lacks_it() -> None:
    status = vault_pair_status("nowhere-region")
    [_, copy] = keys.vault_key_locations("v", "nowhere-region", None, lambda r: status)
    assert copy.region is None
    assert _ja(copy.why) == (
        "Key Vault は保管庫の内容をペアリージョンに複製しますが、nowhere-region にペアがあるかは"
        "分かりません: リージョンがカタログにありません"
    )


def test_an_unread_vault_list_keeps_the_api_answer_as_a_quotation() -> None:
    why = Evidence(key="azure.vaults-not-listed", text="AuthorizationFailed (HTTP 403)")
    [loc] = keys.vault_key_locations("v", None, "key vaults not listed", vault_pair_status, why)
    assert reason_text(loc, "ja") == (
        "サブスクリプションの Key Vault を一覧できませんでした"
        f"（{quote('AuthorizationFailed (HTTP 403)')}）"
    )
    # nothing was said: the default reason
    [bare] = keys.managed_hsm_key_locations("h", None, None, None)
    assert bare.why == Evidence(key="azure.hsm-not-read")


def test_a_failed_read_is_said_in_words_with_the_error_code_and_the_api_message() -> None:
    assert unworded([Evidence(key="azure.read-failed", subject="x")], kind="reason") == []
    exc = AzureApiError("objectReplicationPolicies.list", 403, "AuthorizationFailed", "No access")
    gap = _failed_read(exc, "the account's replication policies not read")
    assert plain(gap_reason_text(gap, "ja"), "ja") == (
        "objectReplicationPolicies.list の呼び出しに失敗しました: AuthorizationFailed"
        "（「No access」）"
    )
    assert gap.reason == "the account's replication policies not read: No access"  # v1 JSON
