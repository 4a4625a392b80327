"""Unverified findings for what could not be read: a bucket's gaps, and scopes that could not be
listed at all.

Each plugin declares, read by read, what a failure hides (:class:`~residency_audit.model.Hidden`);
``HIDDEN_ITEMS`` says which guideline items each hidden fact could trigger. A hidden copy or key
location could be in any country, so it stands for every location rule: (2)-1 (concern country),
(2)-2 (government access) and (1)-3 (undesignated country); the (1)-note rule counts it as a
location of unknown country (``encryption.py``). Hidden public-access settings make the verdict
unknown, judged by ``public.unknown``; hidden principals give ``access.unknown``; hidden tags make
the classification unknown (``classify.py``). Severities are the worst case of what the hidden fact
could be, so an unread setting never makes a bucket look better than reading it would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from ..evidence import gap_reason_text
from ..markup import quote
from ..model import Bucket, Gap, Hidden, ScopeResult, ScopeStatus, Severity, Text
from ._draft import Draft, bucket_draft
from ._text import GUIDELINE_2_ACTION, both, join_en, join_ja, scope_name, setting, then

__all__ = [
    "HIDDEN_ITEMS",
    "LOCATION_ITEMS",
    "SCOPE_ITEMS",
    "external_access_gap_drafts",
    "gap_text",
    "hides",
    "location_gap_drafts",
    "scope_drafts",
]

# Every item a location of unknown country could trigger (the location rules' items).
LOCATION_ITEMS = ("(2)-1", "(2)-2", "(1)-3")

HIDDEN_ITEMS: Mapping[Hidden, tuple[str, ...]] = {
    Hidden.COPY: (*LOCATION_ITEMS, "(1)-note"),
    Hidden.KEY: (*LOCATION_ITEMS, "(1)-note"),
    Hidden.PUBLIC_ACCESS: ("(1)-2",),
    Hidden.EXTERNAL_ACCESS: ("(2)-3",),
    Hidden.CLASSIFICATION: (),  # not an item: it grades every finding of the bucket
}

# A scope that could not be listed hides every bucket in it: everything a bucket's reads can hide.
SCOPE_ITEMS = tuple(dict.fromkeys(item for items in HIDDEN_ITEMS.values() for item in items))


def hides(bucket: Bucket, *what: Hidden) -> list[Gap]:
    """The bucket's gaps that hide any of ``what``."""
    return [g for g in bucket.gaps if any(h in g.hides for h in what)]


def gap_text(gap: Gap, lang: str = "en") -> str:
    """'レプリケーション設定（`replication`）: `AccessDenied` “…”': the setting, the API's code and
    its own words (quoted: they are the cloud's text, in English)."""
    return f"{setting(gap.field).get(lang)}: {gap_reason_text(gap, lang)}"


def _errors(gaps: list[Gap]) -> Text:
    """What the reads of one setting answered (the setting is named by the sentence)."""
    ja = dict.fromkeys(gap_reason_text(g, "ja") for g in gaps)
    en = dict.fromkeys(gap_reason_text(g, "en") for g in gaps)
    return both("、".join(ja), "; ".join(en))


def _by_field(gaps: list[Gap]) -> dict[str, list[Gap]]:
    by_field: dict[str, list[Gap]] = {}
    for gap in gaps:
        by_field.setdefault(gap.field, []).append(gap)
    return dict(sorted(by_field.items()))


def location_gap_drafts(bucket: Bucket) -> Iterator[Draft]:
    """One unverified finding per unread field that could hide a copy or a key location."""
    for field, gaps in _by_field(hides(bucket, Hidden.COPY, Hidden.KEY)).items():
        details = _errors(gaps)
        named = setting(field)
        key_only = all(Hidden.COPY not in g.hides for g in gaps)
        what = (
            both("暗号鍵が保管されている場所", "where the encryption key is held")
            if key_only
            else both("データのコピーが置かれている場所", "where copies of the data are kept")
        )
        yield bucket_draft(
            bucket,
            "gap.may-hide-copy",
            LOCATION_ITEMS,
            Severity.HIGH,
            both(
                f"バケット「{bucket.name}」の{named.ja}を読み取れませんでした（{details.ja}）。"
                f"この設定が示す{what.ja}を確認できないため、その国・地域が懸念国・地域 (2)-1、"
                "政府機関等が自由に閲覧・取得できる法域 (2)-2、保管先として指定していない国・地域 "
                "(1)-3 のいずれでもないことを確認できません。未確認の指摘として扱います。",
                f"The {named.en} of bucket '{bucket.name}' could not be read ({details.en}). "
                f"It says {what.en}, so that place cannot be shown to be outside countries of "
                "concern (2)-1, jurisdictions with government access (2)-2 or countries not "
                "designated for storage (1)-3. This is an unverified finding.",
            ),
            then(
                both(
                    f"スキャンに使う ID に{named.ja}の読み取り権限を付与して再スキャンし、"
                    "場所の国・地域を確認してください。懸念国・地域にあった場合は、",
                    f"Grant the scanning identity read access to the {named.en}, scan again and "
                    "find out which country that place is in. If it is in a country of concern:",
                ),
                GUIDELINE_2_ACTION,
            ),
            unverified=True,
            subject=field,
        )


def external_access_gap_drafts(bucket: Bucket) -> Iterator[Draft]:
    """(2)-3 unverified: the settings that name who else has access could not be read."""
    for field, gaps in _by_field(hides(bucket, Hidden.EXTERNAL_ACCESS)).items():
        details = _errors(gaps)
        named = setting(field)
        yield bucket_draft(
            bucket,
            "access.unknown",
            ("(2)-3",),
            Severity.HIGH,
            both(
                f"バケット「{bucket.name}」のアクセス許可の設定（{named.ja}）を読み取れませんでした"
                f"（{details.ja}）。組織外のプリンシパルにアクセスが許可されていないことを確認できない"
                "ため、項目 (2)-3 の未確認の指摘として扱います。",
                f"The access settings ({named.en}) of bucket '{bucket.name}' could not be read "
                f"({details.en}). Access by principals outside the organisation cannot be ruled "
                "out, so this is an unverified (2)-3 finding.",
            ),
            both(
                f"スキャンに使う ID に{named.ja}の読み取り権限を付与して再スキャンし、組織外の"
                "プリンシパルにアクセスを許可していないかを確認してください。",
                f"Grant the scanning identity read access to the {named.en}, scan again and "
                "check that no principal outside the organisation has access.",
            ),
            unverified=True,
            subject=field,
        )


def scope_drafts(scopes: Iterable[ScopeResult]) -> Iterator[Draft]:
    """A scope that could not be listed, or whose listing stopped part-way: its buckets are not
    in the inventory, so every bucket-level item is unverified for the scope as a whole."""
    for scope in scopes:
        missing = [n.detail for n in scope.notes if n.buckets_missing]
        if scope.status is ScopeStatus.FAILED:
            why = quote(scope.error) if scope.error else None
        elif missing:
            why = "; ".join(quote(m) for m in missing)
        else:
            continue
        where = scope_name(scope.provider, scope.scope)
        if scope.name:
            where = both(f"{where.ja}（{scope.name}）", f"{where.en} ({scope.name})")
        why_ja = f"（{why}）" if why else ""
        why_en = f" ({why})" if why else ""
        yield Draft(
            rule_id="scope.unlisted",
            items=SCOPE_ITEMS,
            base_severity=Severity.HIGH,
            provider=scope.provider,
            scope=scope.scope,
            bucket=None,
            location=None,
            message=both(
                f"{where.ja}のバケットを一覧できませんでした{why_ja}。"
                "一覧できなかったバケットの保管場所・公開設定・アクセス許可はどれも確認できないため、"
                f"{join_ja(SCOPE_ITEMS)} のいずれについても未確認の指摘として扱います。",
                f"The buckets of {where.en} could not be listed{why_en}. "
                "Where the unlisted buckets keep copies, whether they are public and who can "
                f"access them are all unknown, so this is unverified for {join_en(SCOPE_ITEMS)}.",
            ),
            remediation=both(
                "スキャンに使う ID にバケット一覧の権限を付与して（またはスコープへのアクセスを"
                "回復して）再スキャンしてください。",
                "Grant the scanning identity permission to list the buckets (or restore access "
                "to the scope) and scan again.",
            ),
            unverified=True,
        )
