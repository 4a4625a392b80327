"""Wording shared by the rules: role names, lists, the guideline's (2) instruction."""

from __future__ import annotations

from collections.abc import Iterable

from ..catalog.names import country_names
from ..markup import code
from ..model import Role, Text
from ..terms import all_terms, term

ROLE_JA: dict[Role, str] = {
    Role.PRIMARY: "主リージョン",
    Role.REPLICA: "レプリケーション先",
    Role.BACKUP: "バックアップコピー先",
    Role.GEO_SECONDARY: "地理冗長構成のセカンダリリージョン",
    Role.MULTI_REGION_MEMBER: "マルチリージョン構成リージョン",
    Role.KEY: "暗号鍵の保管場所",
    Role.CACHE: "CDN エッジキャッシュ",
    Role.TRANSFER: "転送ジョブの転送先",
    Role.METADATA: "オブジェクト名・メタデータの出力先（ログ・インベントリ）",
}
ROLE_EN: dict[Role, str] = {
    Role.PRIMARY: "primary location",
    Role.REPLICA: "replication destination",
    Role.BACKUP: "backup copy destination",
    Role.GEO_SECONDARY: "geo-redundant secondary",
    Role.MULTI_REGION_MEMBER: "multi-region member",
    Role.KEY: "encryption key location",
    Role.CACHE: "CDN edge cache",
    Role.TRANSFER: "transfer job destination",
    Role.METADATA: "object-name and metadata export (logs, inventory)",
}

# What guideline item (2) tells the user to do, in our own words.
GUIDELINE_2_ACTION = Text(
    ja=(
        "ガイドライン (2) に従い、ただちにサービス提供者へ情報の移転の停止と廃棄を求め、"
        "契約を停止してサービスの利用をやめるか、機微な技術情報を当該サーバーから削除し、"
        "以後保管しないでください。"
    ),
    en=(
        "As guideline item (2) requires, act at once: order the provider to stop transferring the "
        "information and to delete it, and stop the contract and the use of the service -- or "
        "delete the sensitive information from the provider's servers and stop storing it there."
    ),
)


def join_ja(values: Iterable[str]) -> str:
    return "、".join(values)


def join_en(values: Iterable[str]) -> str:
    return ", ".join(values)


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def both(ja: str, en: str) -> Text:
    return Text(ja=ja, en=en)


def concat(*parts: Text) -> Text:
    """Join sentences: no space between Japanese sentences, one between English ones."""
    return Text(
        ja="".join(p.ja for p in parts if p.ja),
        en=" ".join(p.en for p in parts if p.en),
    )


def then(lead: Text, action: Text) -> Text:
    """A lead-in ending in ':' (en) followed by an action sentence, lower-cased to continue it."""
    return Text(ja=lead.ja + action.ja, en=f"{lead.en} {action.en[:1].lower()}{action.en[1:]}")


# --- names instead of codes ----------------------------------------------------------------------
# A reader sees a country's name (its ISO code at most in parentheses), a mechanism's or a setting's
# name (its code beside it, marked as code), a severity or class in words. Codes are marked
# (residency_audit.markup) so the HTML report shows them in code elements.


def country(cc: str) -> Text:
    """'香港（HK）' / 'Hong Kong (HK)'."""
    names = country_names().get(cc)
    if names is None:
        return both(code(cc), code(cc))
    return both(f"{names[0]}（{cc}）", f"{names[1]} ({cc})")


def countries(codes: Iterable[str]) -> Text:
    named = [country(c) for c in codes]
    return both(join_ja(n.ja for n in named), join_en(n.en for n in named))


def region(value: str | None) -> Text:
    """'リージョン `ap-east-1`' / 'region `ap-east-1`', or that it is unknown."""
    if value is None:
        return both("リージョン不明", "region unknown")
    return both(f"リージョン {code(value)}", f"region {code(value)}")


def mechanism(value: str) -> Text:
    """What put the copy there, in words; the code itself only where there is no term."""
    key = f"mechanism.{value}"
    if key not in all_terms():
        return both(code(value), code(value))
    return both(term(key, "ja"), term(key, "en"))


def setting(field: str) -> Text:
    """'レプリケーション設定（`replication`）' / 'the replication settings (`replication`)'."""
    key = f"field.{field}"
    if key not in all_terms():
        return both(f"設定 {code(field)}", f"setting {code(field)}")
    return both(f"{term(key, 'ja')}（{code(field)}）", f"{term(key, 'en')} ({code(field)})")


def value_term(kind: str, value: str) -> Text:
    """A severity, class, role ... in words (``severity.high`` -> 高 / High)."""
    key = f"{kind}.{value}"
    return both(term(key, "ja", value), term(key, "en", value))


def scope_name(provider: str, scope: str) -> Text:
    """'AWS のアカウント `123456789012`' / 'AWS account `123456789012`'."""
    who = value_term("provider", provider)
    kind = value_term("scope_kind", provider)
    if f"scope_kind.{provider}" not in all_terms():
        kind = both("スコープ", "scope")
    return both(f"{who.ja} の{kind.ja} {code(scope)}", f"{who.en} {kind.en} {code(scope)}")
