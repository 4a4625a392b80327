"""Bucket-level rules: (1)-2 public access and (2)-3 external principals."""

from __future__ import annotations

from collections.abc import Iterator

from ..evidence import evidence_texts, gap_reason_text
from ..model import Bucket, PublicVerdict, Severity
from ._draft import Draft, bucket_draft
from ._text import GUIDELINE_2_ACTION, both, concat, join_en, join_ja, setting, then

__all__ = ["external_principal_drafts", "public_access_drafts"]

_BLOCK_EVERYWHERE = both(
    "事業者が提供するすべての段階で公開アクセスを遮断してください（S3 のパブリックアクセスブロック"
    "をアカウントとバケットの両方で有効化、GCS の公開アクセス防止と均一なバケットレベルアクセス、"
    "Azure の allowBlobPublicAccess 無効化とネットワーク規則など）。",
    "Block public access at every level the provider offers (S3 Block Public Access on both the "
    "account and the bucket; GCS public access prevention and uniform bucket-level access; Azure "
    "allowBlobPublicAccess off and network rules).",
)


def _evidence(bucket: Bucket) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The verdict's evidence in (Japanese, English) and, after it, each public-access setting
    that was not read: the setting in words, the API's error code and its own words."""
    ja = list(evidence_texts(bucket.public_access.evidence, "ja"))
    en = list(evidence_texts(bucket.public_access.evidence, "en"))
    for gap in bucket.gaps:
        if gap.field.startswith("public_access"):
            name = setting(gap.field)
            ja.append(f"{name.ja}を読み取れませんでした（{gap_reason_text(gap, 'ja')}）")
            en.append(f"{name.en} not read ({gap_reason_text(gap, 'en')})")
    return tuple(ja), tuple(en)


def public_access_drafts(bucket: Bucket) -> Iterator[Draft]:
    verdict = bucket.public_access.verdict
    if verdict is PublicVerdict.BLOCKED:
        return
    ja, en = _evidence(bucket)
    ev = both(
        f"（根拠: {join_ja(ja)}）" if ja else "（根拠の情報なし）",
        f" (evidence: {'; '.join(en)})" if en else " (no evidence recorded)",
    )
    if verdict is PublicVerdict.PUBLIC:
        yield bucket_draft(
            bucket,
            "public.public",
            ("(1)-2",),
            Severity.HIGH,
            both(
                f"バケット「{bucket.name}」は公開アクセスが可能な状態です{ev.ja}。第三者が情報を"
                "閲覧・取得できるおそれがあります。",
                f"Bucket '{bucket.name}' can be accessed publicly{ev.en}. Third parties may be "
                "able to view or take the information.",
            ),
            concat(
                both(
                    "ただちに公開をやめてください。公開が必要なデータは機微な情報とは別のバケットに"
                    "分けてください。",
                    "Stop the public access now; keep data that must be public in a separate "
                    "bucket from sensitive information.",
                ),
                _BLOCK_EVERYWHERE,
            ),
        )
    elif verdict is PublicVerdict.NOT_BLOCKED:
        yield bucket_draft(
            bucket,
            "public.not-blocked",
            ("(1)-2",),
            Severity.MEDIUM,
            both(
                f"バケット「{bucket.name}」は現在公開されていませんが、事業者が提供するすべての"
                f"段階で公開アクセスが遮断されてはいません{ev.ja}。設定の変更一つで公開される"
                "おそれがあります。",
                f"Bucket '{bucket.name}' is not public now, but public access is not blocked at "
                f"every level the provider offers{ev.en}. A single setting change could make it "
                "public.",
            ),
            _BLOCK_EVERYWHERE,
        )
    else:
        yield bucket_draft(
            bucket,
            "public.unknown",
            ("(1)-2",),
            Severity.HIGH,  # graded as if public: it cannot be shown not to be
            both(
                f"バケット「{bucket.name}」の公開アクセスの設定を確認できませんでした{ev.ja}。"
                "公開されていないことを確認できないため、公開されている場合と同じ重大度の"
                "未確認の指摘として扱います。",
                f"The public-access settings of bucket '{bucket.name}' could not be read{ev.en}. "
                "It cannot be shown not to be public, so this is an unverified finding, graded "
                "as if it were public.",
            ),
            concat(
                both(
                    "スキャンに使う ID に公開アクセス設定の読み取り権限を付与して再スキャンして"
                    "ください。",
                    "Grant the scanning identity read access to the public-access settings and "
                    "scan again.",
                ),
                _BLOCK_EVERYWHERE,
            ),
            unverified=True,
        )


def external_principal_drafts(bucket: Bucket) -> Iterator[Draft]:
    principals = tuple(sorted(set(bucket.external_principals)))
    if not principals:
        return
    yield bucket_draft(
        bucket,
        "access.external-principal",
        ("(2)-3",),
        Severity.HIGH,
        both(
            f"バケット「{bucket.name}」は組織外のプリンシパル {join_ja(principals)} にアクセスを"
            "許可しています。事業者や第三者が利用者の事前の了承なく情報を閲覧・取得できる"
            "おそれがあります。",
            f"Bucket '{bucket.name}' grants access to principals outside the organisation: "
            f"{join_en(principals)}. The provider or third parties may be able to view or take "
            "the information without prior consent.",
        ),
        then(
            both(
                "これらのプリンシパルが誰で、アクセスに事前の了承があるかを確認してください。"
                "了承していないアクセスであれば、ただちに権限を取り消してください。"
                "事業者による無断の閲覧・取得であれば、",
                "Establish who these principals are and whether their access was agreed in "
                "advance; revoke any access that was not. If the provider is taking the "
                "information without consent:",
            ),
            GUIDELINE_2_ACTION,
        ),
    )
