"""Wording shared by the rules: role names, lists, the guideline's (2) instruction."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Role, Text

ROLE_JA: dict[Role, str] = {
    Role.PRIMARY: "主リージョン",
    Role.REPLICA: "レプリケーション先",
    Role.BACKUP: "バックアップコピー先",
    Role.GEO_SECONDARY: "地理冗長構成のセカンダリリージョン",
    Role.MULTI_REGION_MEMBER: "マルチリージョン構成リージョン",
    Role.KEY: "暗号鍵の保管場所",
}
ROLE_EN: dict[Role, str] = {
    Role.PRIMARY: "primary location",
    Role.REPLICA: "replication destination",
    Role.BACKUP: "backup copy destination",
    Role.GEO_SECONDARY: "geo-redundant secondary",
    Role.MULTI_REGION_MEMBER: "multi-region member",
    Role.KEY: "encryption key location",
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
