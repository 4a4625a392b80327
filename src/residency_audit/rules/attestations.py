"""(1)-1 and (2)-3 attestations: per provider scope, a current signed-off record for each item.

Neither item is observable through cloud APIs, so the config carries dated records. Every scope the
inventory knows -- from ``inventory.scopes`` and from the buckets themselves, so a bucket never
escapes the check because its scope was not recorded -- needs a current record for each item.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta

from ..markup import code
from ..model import ScopeResult, Severity, Text
from ._draft import Draft
from ._text import both, concat, scope_name
from .settings import Attestation, EvaluationSettings

__all__ = ["ATTESTED_ITEMS", "attestation_drafts"]

ATTESTED_ITEMS = ("(1)-1", "(2)-3")

_TOPIC: dict[str, Text] = {
    "(1)-1": Text(
        ja="契約上、事業者が正当な理由なく利用者の情報を閲覧・取得しないこと",
        en="the contract says the provider will not view or take the information without "
        "legitimate, special reasons",
    ),
    "(2)-3": Text(
        ja="事業者が事前の了承なく情報を閲覧・取得せず、第三者にもさせていないこと",
        en="the provider does not view or take the information, or let third parties do so, "
        "without prior consent",
    ),
}

_REVIEW: dict[str, Text] = {
    "(1)-1": Text(
        ja="事業者との契約書・利用規約を確認し、",
        en="Review the contract and terms of service with the provider, then",
    ),
    "(2)-3": Text(
        ja="事業者の運用（データへのアクセスに関する開示、透明性レポート、監査報告など）を確認し、",
        en="Review how the provider operates (data-access disclosures, transparency reports, "
        "audit reports), then",
    ),
}


_KEYS = " ".join(
    code(k) for k in ("provider", "scope", "item", "reviewed_on", "reviewer", "expires")
)


def _record(item: str) -> Text:
    return Text(
        ja=f"設定ファイルの {code('[[attestations]]')} に項目 {item} の確認記録（キー "
        f"{_KEYS}）を追加または更新してください。",
        en=f"add or renew the item {item} attestation in the config's "
        f"{code('[[attestations]]')} (keys {_KEYS}).",
    )


def _scopes(
    scopes: Iterable[ScopeResult], bucket_scopes: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    pairs = {(s.provider, s.scope) for s in scopes}
    pairs.update(bucket_scopes)
    return sorted(pairs)


def _best(matching: list[Attestation]) -> Attestation | None:
    """The record that lasts longest (an exact-scope record wins a tie with a wildcard)."""
    if not matching:
        return None
    return max(matching, key=lambda a: (a.expires, a.scope != "*", a.reviewed_on, a.reviewer))


def attestation_drafts(
    scopes: Iterable[ScopeResult],
    bucket_scopes: Iterable[tuple[str, str]],
    settings: EvaluationSettings,
) -> Iterator[Draft]:
    """Per scope (listed, or named by a bucket), each attested item's missing, expired or
    expiring record."""
    today = settings.today
    for provider, scope in _scopes(scopes, bucket_scopes):
        for item in ATTESTED_ITEMS:
            matching = [
                a for a in settings.attestations if a.item == item and a.covers(provider, scope)
            ]
            best = _best(matching)
            topic = _TOPIC[item]
            named = scope_name(provider, scope)
            where = Text(ja=f"{named.ja}について", en=f"for {named.en}")
            if best is None:
                rule_id, severity = "attestation.missing", Severity.MEDIUM
                message = both(
                    f"{where.ja}、項目 {item}（{topic.ja}）の確認記録がありません。",
                    f"No attestation for item {item} ({topic.en}) exists {where.en}.",
                )
            elif best.expires < today:
                rule_id, severity = "attestation.expired", Severity.MEDIUM
                message = both(
                    f"{where.ja}、項目 {item}（{topic.ja}）の確認記録は {best.expires} に期限切れ"
                    f"です（確認者 {best.reviewer}、確認日 {best.reviewed_on}）。",
                    f"The attestation for item {item} ({topic.en}) {where.en} expired on "
                    f"{best.expires} (reviewed by {best.reviewer} on {best.reviewed_on}).",
                )
            elif best.expires - today <= timedelta(days=settings.expiry_warning_days):
                days = (best.expires - today).days
                rule_id, severity = "attestation.expiring", Severity.INFO
                message = both(
                    f"{where.ja}、項目 {item}（{topic.ja}）の確認記録は {best.expires} に期限が"
                    f"切れます（残り {days} 日、確認者 {best.reviewer}）。",
                    f"The attestation for item {item} ({topic.en}) {where.en} expires on "
                    f"{best.expires}, in {days} days (reviewed by {best.reviewer}).",
                )
            else:
                continue
            yield Draft(
                rule_id=rule_id,
                items=(item,),
                base_severity=severity,
                provider=provider,
                scope=scope,
                bucket=None,
                location=None,
                message=message,
                remediation=concat(_REVIEW[item], _record(item)),
                subject=item,
            )
