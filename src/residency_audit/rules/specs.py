"""The rule table: every rule id, the guideline items it serves and when it fires.

This is the single place that maps rules to guideline items; findings take their items from here
(attestation rules serve either item and name the one they are about). docs/rules.md mirrors this
table and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..guideline import ITEM_IDS

__all__ = ["RULES", "RuleSpec", "rule_spec"]


@dataclass(frozen=True)
class RuleSpec:
    id: str
    items: tuple[str, ...]
    severity: str  # base severity, as documented (before classification and mitigation)
    condition_en: str
    condition_ja: str


RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "location.concern",
        ("(2)-1",),
        "critical (confirmed) / high (possible)",
        "A location of any role (primary, replica, backup, geo-secondary, multi-region member, "
        "key) is or may be in a concern country.",
        "いずれかの役割の場所が懸念国・地域にある（可能性がある）。",
    ),
    RuleSpec(
        "location.unknown",
        ("(2)-1", "(2)-2", "(1)-3"),
        "high, unverified",
        "A location's country cannot be determined (region unreadable or not in the catalog, "
        "destination unresolvable); it could be in any country.",
        "場所の国・地域を特定できない（リージョン不明、カタログにない、宛先を解決できない）。"
        "どの国・地域にあってもおかしくない。",
    ),
    RuleSpec(
        "gap.may-hide-copy",
        ("(2)-1", "(2)-2", "(1)-3"),
        "high, unverified",
        "A setting that could put a copy or the key elsewhere (replication, backup, encryption, "
        "region, ...) could not be read.",
        "別の場所にコピーや暗号鍵を置きうる設定（レプリケーション、バックアップ、暗号化、"
        "リージョン等）を読み取れない。",
    ),
    RuleSpec(
        "scope.unlisted",
        ("(2)-1", "(2)-2", "(1)-3", "(1)-note", "(1)-2", "(2)-3"),
        "high, unverified",
        "A scope (account, project, subscription) could not be listed, or its listing stopped "
        "part-way: its buckets are not in the scan.",
        "スコープ（アカウント、プロジェクト、サブスクリプション）のバケットを一覧できない、"
        "または一覧が途中で止まった。",
    ),
    RuleSpec(
        "location.government-access",
        ("(2)-2",),
        "high",
        "A location is or may be in a jurisdiction the profile flags government_access.",
        "場所がプロファイルで government_access とされた法域にある（可能性がある）。",
    ),
    RuleSpec(
        "location.caution",
        ("(1)-3",),
        "medium",
        "A location is or may be in a caution country (neither allowed nor concern).",
        "場所が保管を認める国・地域でも懸念国・地域でもない国・地域にある（可能性がある）。",
    ),
    RuleSpec(
        "location.multi-country",
        ("(1)-3",),
        "medium",
        "One location spans several countries (and none of them is a caution country).",
        "一つの場所が複数の国・地域にまたがる（注意国を含まない場合）。",
    ),
    RuleSpec(
        "public.public",
        ("(1)-2",),
        "high",
        "Public access is possible now.",
        "現在、公開アクセスが可能。",
    ),
    RuleSpec(
        "public.not-blocked",
        ("(1)-2",),
        "medium",
        "Not public now, but public access is not blocked at every level the provider offers.",
        "現在は非公開だが、事業者が提供するすべての段階で公開アクセスが遮断されていない。",
    ),
    RuleSpec(
        "public.unknown",
        ("(1)-2",),
        "high, unverified",
        "The public-access settings could not be read (graded as if public).",
        "公開アクセスの設定を読み取れない（公開されている場合と同じ重大度）。",
    ),
    RuleSpec(
        "encryption.no-customer-key",
        ("(1)-note",),
        "low",
        "A location is outside the allowed countries (or unknown) and the bucket has no "
        "customer-managed key held outside concern countries.",
        "保管を認める国・地域の外（または不明）の場所があり、懸念国・地域の外にある顧客管理鍵がない。",
    ),
    RuleSpec(
        "access.external-principal",
        ("(2)-3",),
        "high",
        "The bucket grants access to principals outside the owner's accounts/organisation.",
        "バケットが組織外のプリンシパルにアクセスを許可している。",
    ),
    RuleSpec(
        "access.unknown",
        ("(2)-3",),
        "high, unverified",
        "The settings that say who else has access (bucket policy, IAM policy) could not be read.",
        "アクセスを許可している相手を示す設定（バケットポリシー、IAM ポリシー）を読み取れない。",
    ),
    RuleSpec(
        "attestation.missing",
        ("(1)-1", "(2)-3"),
        "medium",
        "No attestation for the item covers the provider and scope.",
        "当該項目について、そのスコープを対象とする確認記録がない。",
    ),
    RuleSpec(
        "attestation.expired",
        ("(1)-1", "(2)-3"),
        "medium",
        "Every attestation for the item that covers the scope has expired.",
        "当該項目の確認記録の有効期限が切れている。",
    ),
    RuleSpec(
        "attestation.expiring",
        ("(1)-1", "(2)-3"),
        "info",
        "The attestation for the item expires within 30 days.",
        "当該項目の確認記録が 30 日以内に期限切れになる。",
    ),
)

_BY_ID = {spec.id: spec for spec in RULES}
assert len(_BY_ID) == len(RULES), "duplicate rule id"
assert all(item in ITEM_IDS for spec in RULES for item in spec.items), "unknown guideline item"


def rule_spec(rule_id: str) -> RuleSpec:
    return _BY_ID[rule_id]
