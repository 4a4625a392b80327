"""Customer-managed keys: the (1)-note rule, and whether a key may lower a (1)-3 finding.

The guideline's closing note counts encryption as an effective measure in place of 1)-3). We give
that weight only to a customer-managed key whose every key location resolves to a known country
outside the concern set: a key we cannot place is not a mitigation (unknown is never safe), and a
customer-supplied key is not counted because nothing the cloud reports says where it is held.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..model import Bucket, EncryptionTier, Hidden, Role, Severity, Text
from ..profiles.model import Profile, Tier
from ._draft import Draft
from ._text import ROLE_EN, ROLE_JA, both, countries, join_en, join_ja, region, setting
from .gaps import hides
from .locations import group_locations

__all__ = ["KeyStatus", "customer_key_status", "encryption_drafts"]


@dataclass(frozen=True)
class KeyStatus:
    mitigates: bool
    key_countries: tuple[str, ...]
    why_not: Text  # empty when it mitigates
    unverified: bool  # the answer rests on something that could not be read


def customer_key_status(bucket: Bucket, profile: Profile) -> KeyStatus:
    tier = bucket.encryption.tier
    if tier is not EncryptionTier.CUSTOMER_MANAGED:
        why = {
            EncryptionTier.NONE: both("暗号化されていません", "it is not encrypted"),
            EncryptionTier.PROVIDER_MANAGED: both(
                "暗号鍵は事業者が管理しています（顧客管理鍵ではありません）",
                "its key is managed by the provider, not a customer-managed key",
            ),
            EncryptionTier.CUSTOMER_SUPPLIED: both(
                "顧客提供鍵を使っていますが、鍵の保管場所をクラウドの情報から確認できないため"
                "顧客管理鍵としては扱いません",
                "it uses a customer-supplied key, whose whereabouts the cloud does not report, so "
                "it is not counted as a customer-managed key",
            ),
            EncryptionTier.UNKNOWN: both(
                "暗号化の設定を読み取れなかったため、顧客管理鍵はないものとして扱います（未確認）",
                "its encryption setting could not be read, so it is treated as having no "
                "customer-managed key (unverified)",
            ),
        }[tier]
        return KeyStatus(False, (), why, unverified=tier is EncryptionTier.UNKNOWN)

    if hides(bucket, Hidden.KEY):
        return KeyStatus(
            False,
            (),
            both(
                "顧客管理鍵を使っていますが、鍵の保管場所を示す設定の一部を読み取れませんでした",
                "it uses a customer-managed key, but part of what says where the key is held "
                "could not be read",
            ),
            unverified=True,
        )
    keys = [loc for loc in bucket.locations if loc.role is Role.KEY]
    if not keys:
        return KeyStatus(
            False,
            (),
            both(
                "顧客管理鍵を使っていますが、鍵の保管場所の情報がありません",
                "it uses a customer-managed key, but where the key is held is not known",
            ),
            unverified=True,
        )
    held: dict[str, None] = {}
    for loc in keys:
        if loc.resolution is None or not loc.resolution.known:
            return KeyStatus(
                False,
                (),
                both(
                    "顧客管理鍵を使っていますが、鍵の保管場所の国・地域を特定できません",
                    "it uses a customer-managed key, but the key's country cannot be determined",
                ),
                unverified=True,
            )
        held.update(dict.fromkeys(loc.resolution.countries))
    concern = [c for c in held if profile.classify(c).tier is Tier.CONCERN]
    if concern:
        return KeyStatus(
            False,
            tuple(held),
            both(
                f"顧客管理鍵が懸念国・地域である{countries(concern).ja}に保管されています",
                f"its customer-managed key is held in {countries(concern).en}, a country of "
                "concern",
            ),
            unverified=False,
        )
    return KeyStatus(True, tuple(held), both("", ""), unverified=False)


def encryption_drafts(bucket: Bucket, profile: Profile, status: KeyStatus) -> Iterator[Draft]:
    """(1)-note: data outside the allowed countries without the encryption mitigation."""
    outside = [
        g
        for g in group_locations(bucket)
        if not g.countries or any(profile.classify(c).tier is not Tier.ALLOWED for c in g.countries)
    ]
    # an unread setting that could place a copy or the key counts as a place of unknown country
    unread = list(dict.fromkeys(g.field for g in hides(bucket, Hidden.COPY, Hidden.KEY)))
    if not (outside or unread) or status.mitigates:
        return
    listed_ja = join_ja(
        [
            *(
                f"{ROLE_JA[g.role]}（{region(g.region).ja}、"
                f"{countries(g.countries).ja if g.countries else '国・地域不明'}）"
                for g in outside
            ),
            *(f"{setting(field).ja}が示す場所（読み取れず国・地域不明）" for field in unread),
        ]
    )
    listed_en = join_en(
        [
            *(
                f"{ROLE_EN[g.role]} ({region(g.region).en}, "
                f"{countries(g.countries).en if g.countries else 'country unknown'})"
                for g in outside
            ),
            *(f"what the {setting(field).en} says (unread, country unknown)" for field in unread),
        ]
    )
    yield Draft(
        rule_id="encryption.no-customer-key",
        items=("(1)-note",),
        base_severity=Severity.LOW,
        provider=bucket.provider,
        scope=bucket.scope,
        bucket=bucket,
        location=None,
        message=both(
            f"バケット「{bucket.name}」には保管を認める国・地域の外にある（または国・地域不明の）"
            f"場所があります: {listed_ja}。また、{status.why_not.ja}。ガイドラインのなお書きが"
            "有効な措置とする暗号化による対策を確認できません。",
            f"Bucket '{bucket.name}' has locations outside the allowed countries (or of unknown "
            f"country): {listed_en}; and {status.why_not.en}. The encryption measure the "
            "guideline's closing note counts as effective cannot be confirmed.",
        ),
        remediation=both(
            "懸念国・地域の外（できれば保管を認める国・地域）に保管した顧客管理鍵"
            "（AWS KMS、Cloud KMS の CMEK、Azure Key Vault など）でバケットを暗号化してください。"
            "これにより項目 (1)-3 の指摘は一段階軽くなりますが、項目 (2) の指摘には効果が"
            "ありません。",
            "Encrypt the bucket with a customer-managed key (AWS KMS, Cloud KMS CMEK, Azure Key "
            "Vault) held outside countries of concern, preferably in an allowed country. That "
            "lowers (1)-3 findings by one step; it does nothing for (2) findings.",
        ),
        unverified=status.unverified or all(not g.countries for g in outside),
    )
