"""Location rules: (2)-1 concern and unknown, (2)-2 government access, (1)-3 caution/multi-country.

Locations of a bucket are grouped by (role, region): two backup copies in the same region make one
finding (naming both targets), matching the fingerprint, which identifies a location finding by role
and region.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..evidence import reason_text
from ..markup import code
from ..model import Bucket, Certainty, FindingLocation, Location, Role, Severity, Text
from ..profiles.model import Profile, Tier
from ._draft import Draft
from ._text import (
    GUIDELINE_2_ACTION,
    ROLE_EN,
    ROLE_JA,
    both,
    cap,
    concat,
    countries,
    country,
    mechanism,
    region,
    then,
)
from .gaps import LOCATION_ITEMS

__all__ = ["LocationGroup", "group_locations", "location_drafts", "where"]

_ROLE_ORDER = tuple(Role)
_TIER_ORDER = (Tier.CONCERN, Tier.CAUTION, Tier.ALLOWED)


@dataclass(frozen=True)
class LocationGroup:
    role: Role
    region: str | None
    members: tuple[Location, ...]

    @property
    def countries(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for loc in self.members:
            assert loc.resolution is not None  # checked by the engine
            seen.update(dict.fromkeys(loc.resolution.countries))
        return tuple(seen)

    def certainty(self, country: str) -> Certainty:
        """Confirmed if any member confirms the country, both in the model and the catalog."""
        for loc in self.members:
            res = loc.resolution
            assert res is not None
            if (
                country in res.countries
                and loc.certainty is Certainty.CONFIRMED
                and res.certainty is Certainty.CONFIRMED
            ):
                return Certainty.CONFIRMED
        return Certainty.POSSIBLE

    @property
    def verified(self) -> bool:
        return all(loc.resolution is not None and loc.resolution.verified for loc in self.members)

    @property
    def mechanisms(self) -> tuple[str, ...]:
        return tuple(sorted({loc.mechanism for loc in self.members if loc.mechanism}))

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(sorted({loc.target for loc in self.members if loc.target}))

    def reasons(self, lang: str = "en") -> tuple[str, ...]:
        """Why the region is missing or may be wrong, and the catalog's notes.

        The plugin's reason is worded in ``lang`` from its ``why`` (an older inventory's English
        sentence: quoted for a Japanese reader). The catalog's note is written in both languages
        and quotes what it must itself.
        """
        found: dict[str, None] = {}
        for loc in self.members:
            reason = reason_text(loc, lang)
            if reason:
                found[reason] = None
            if loc.resolution is not None:
                note = loc.resolution.note_ja if lang == "ja" else loc.resolution.note
                if note or loc.resolution.note:
                    found[note or loc.resolution.note] = None
        # the catalog's note often repeats the plugin's reason; say each thing once
        return tuple(r for r in found if not any(r != o and r in o for o in found))


def group_locations(bucket: Bucket) -> list[LocationGroup]:
    groups: dict[tuple[Role, str | None], list[Location]] = {}
    for loc in bucket.locations:
        groups.setdefault((loc.role, loc.region), []).append(loc)
    ordered = sorted(
        groups.items(),
        key=lambda kv: (_ROLE_ORDER.index(kv[0][0]), kv[0][1] is None, kv[0][1] or ""),
    )
    return [LocationGroup(role, region, tuple(members)) for (role, region), members in ordered]


def _worst_first(countries: list[str], group: LocationGroup, profile: Profile) -> list[str]:
    def key(country: str) -> tuple[bool, int, bool, str]:
        policy = profile.classify(country)
        return (
            group.certainty(country) is not Certainty.CONFIRMED,
            _TIER_ORDER.index(policy.tier),
            not policy.government_access,
            country,
        )

    return sorted(countries, key=key)


def where(bucket: Bucket, group: LocationGroup) -> Text:
    """'the replication destination of bucket 'x' (region `...`, S3 replication, target `...`)'."""
    at = region(group.region)
    ja, en = [at.ja], [at.en]
    for m in group.mechanisms:
        how = mechanism(m)
        ja.append(how.ja)
        en.append(how.en)
    if group.targets:
        ja.append(f"宛先 {' / '.join(code(t) for t in group.targets)}")
        en.append(f"target {' / '.join(code(t) for t in group.targets)}")
    return both(
        f"バケット「{bucket.name}」の{ROLE_JA[group.role]}（{'、'.join(ja)}）",
        f"the {ROLE_EN[group.role]} of bucket '{bucket.name}' ({', '.join(en)})",
    )


def _notes(group: LocationGroup) -> Text:
    ja: list[str] = []
    en: list[str] = []
    if not group.verified:
        ja.append("このリージョンの国・地域の対応はカタログ上で未検証です。")
        en.append("The catalog's country for this region is marked unverified.")
    for reason in group.reasons("ja"):
        ja.append(f"補足: {reason}。" if not reason.endswith("。") else f"補足: {reason}")
    for reason in group.reasons("en"):
        en.append(f"Note: {reason}.")
    return both("".join(ja), " ".join(en))


def _finding_location(group: LocationGroup, country: str | None) -> FindingLocation:
    return FindingLocation(
        role=group.role,
        region=group.region,
        country=country,
        countries=group.countries,
        certainty=group.certainty(country) if country else Certainty.POSSIBLE,
        mechanism=" / ".join(group.mechanisms) or None,
        target=" / ".join(group.targets) or None,
    )


def _move_step(group: LocationGroup) -> Text:
    """The concrete step, for this role, that takes the copy out of the country."""
    target = " / ".join(code(t) for t in group.targets)
    steps: dict[Role, Text] = {
        Role.PRIMARY: both(
            "データを保管を認める国・地域のリージョンにあるバケットへ移し、このバケットを削除してください。",
            "Move the data to a bucket in a region of an allowed country and delete this bucket.",
        ),
        Role.REPLICA: both(
            f"レプリケーション規則を削除し、宛先{f' {target} ' if target else ''}にあるコピーを"
            "削除してください。",
            f"Remove the replication rule and delete the copies at {target or 'the destination'}.",
        ),
        Role.BACKUP: both(
            "バックアップのコピー規則を止め、"
            f"{f'{target} ' if target else 'コピー先 '}にある復旧ポイントを削除してください。",
            "Stop the backup copy rule and delete the recovery points in "
            f"{target or 'the destination'}.",
        ),
        Role.GEO_SECONDARY: both(
            "地理冗長を無効にする（ローカル冗長・ゾーン冗長へ切り替える）か、ペアリージョンも"
            "保管を認める国・地域にあるリージョンへ移してください。",
            "Turn geo-redundancy off (switch to locally or zone-redundant storage) or move to a "
            "region whose pair is also in an allowed country.",
        ),
        Role.MULTI_REGION_MEMBER: both(
            "国・地域が確定する単一リージョン、または保管を認める国・地域だけで構成されるデュアルリージョンへ"
            "データを移してください。",
            "Move the data to a single region, or a dual-region made only of allowed countries.",
        ),
        Role.KEY: both(
            "保管を認める国・地域にある鍵に切り替え、この鍵を使わないようにしてください。",
            "Switch to a key held in an allowed country and stop using this key.",
        ),
        Role.CACHE: both(
            f"配信{f' {target} ' if target else ''}の価格クラスを保管を認める国・地域のエッジだけに"
            "絞るか、地理的制限で懸念国・地域を除外してください。機微技術を含むオブジェクトは CDN "
            "から配信しないでください。",
            f"Narrow the price class of {target or 'the distribution'} to edges in allowed "
            "countries, or exclude the concern countries with a geo restriction; do not serve "
            "objects holding sensitive technology through a CDN.",
        ),
        Role.TRANSFER: both(
            f"転送ジョブ{f' {target} ' if target else ''}を削除し、転送先にあるコピーを削除して"
            "ください。",
            f"Delete the transfer job{f' {target}' if target else ''} and the copies at its "
            "destination.",
        ),
        Role.METADATA: both(
            "ログ・インベントリの出力先を保管を認める国・地域のバケットに変え、出力先"
            f"{f' {target} ' if target else ''}にある既存の出力を削除してください。",
            "Send the logs or inventory reports to a bucket in an allowed country and delete "
            f"those already at {target or 'the destination'}.",
        ),
    }
    return steps[group.role]


def _bases(profile: Profile, code_of: str, government: bool) -> Text:
    table = profile.government_access if government else profile.concern
    bases = table.get(code_of, ())
    if not bases:
        return both("", "")
    return both(
        f"{country(code_of).ja}についての根拠（プロファイル {code(profile.name)}）: "
        f"{'、'.join(b.label_ja for b in bases)}。",
        f"Basis for {country(code_of).en} (profile {code(profile.name)}): "
        f"{'; '.join(b.label_en for b in bases)}.",
    )


def _is_in(
    subject: Text, group: LocationGroup, hits: list[str], kind_ja: str, kind_en: str
) -> Text:
    """'X is in A' / 'X may be in B (candidates: ...)' for the countries that triggered a rule."""
    confirmed = [c for c in hits if group.certainty(c) is Certainty.CONFIRMED]
    possible = [c for c in hits if c not in confirmed]
    named = countries(group.countries)
    candidates = both(f"（候補の国・地域: {named.ja}）", f" (candidate countries: {named.en})")
    parts: list[Text] = []
    if confirmed:
        parts.append(
            both(
                f"{subject.ja}は{kind_ja}である{countries(confirmed).ja}にあります。",
                f"{cap(subject.en)} is in {countries(confirmed).en}, {kind_en}.",
            )
        )
    if possible:
        lead = (
            both("また、", "It may also be")
            if confirmed
            else both(f"{subject.ja}は", f"{cap(subject.en)} may be")
        )
        parts.append(
            both(
                f"{lead.ja}{kind_ja}である{countries(possible).ja}にある可能性があります"
                f"{candidates.ja}。",
                f"{lead.en} in {countries(possible).en}, {kind_en}{candidates.en}.",
            )
        )
    return concat(*parts)


def _unknown_reason(group: LocationGroup) -> Text:
    if group.region is None:
        return both("リージョンを読み取れません", "the region could not be read")
    return both(
        f"リージョン {code(group.region)} の国・地域をカタログで特定できません",
        f"region {code(group.region)} has no country in the catalog",
    )


METADATA_ONLY = both(
    "この出力先にあるのはオブジェクトの内容ではなく、オブジェクト名（キー）とメタデータです。"
    "そのため重大度を内容のコピーより一段階下げています。ただし図面や設計書の名前などのオブジェクト名"
    "自体が技術情報に当たることがあります。",
    "This destination holds object names (keys) and metadata, not the objects' contents, so the "
    "severity is one step below a copy of the contents; object names, such as the names of "
    "drawings and designs, can themselves be technical information.",
)


def location_drafts(bucket: Bucket, profile: Profile) -> Iterator[Draft]:
    for group in group_locations(bucket):
        if all(loc.resolution is not None and loc.resolution.none_left for loc in group.members):
            continue  # a CDN whose geo restriction leaves no edge country holds no copy
        yield from _group_drafts(bucket, group, profile)


def _group_drafts(bucket: Bucket, group: LocationGroup, profile: Profile) -> Iterator[Draft]:
    subject = where(bucket, group)
    notes = _notes(group)

    def draft(
        rule_id: str,
        severity: Severity,
        country: str | None,
        message: Text,
        remediation: Text,
        *,
        items: tuple[str, ...],
        unverified: bool = False,
        cmk: bool = False,
    ) -> Draft:
        if group.role is Role.METADATA:
            # names and metadata, not contents: one step lower, and the message says why
            severity = severity.shifted(-1)
            message = concat(message, METADATA_ONLY)
        return Draft(
            rule_id=rule_id,
            items=items,
            base_severity=severity,
            provider=bucket.provider,
            scope=bucket.scope,
            bucket=bucket,
            location=_finding_location(group, country),
            message=concat(message, notes),
            remediation=remediation,
            unverified=unverified or not group.verified,
            cmk_mitigable=cmk,
        )

    found = list(group.countries)
    countries_named = countries(found)
    if not found:
        reason = _unknown_reason(group)
        yield draft(
            "location.unknown",
            Severity.HIGH,
            None,
            both(
                f"{subject.ja}の国・地域を特定できません（{reason.ja}）。懸念国・地域 (2)-1、"
                "政府機関等が自由に閲覧・取得できる法域 (2)-2、保管先として指定していない"
                "国・地域 (1)-3 のいずれでもないことを確認できないため、"
                "未確認の指摘として扱います。",
                f"The country of {subject.en} cannot be determined ({reason.en}). It cannot be "
                "shown to be outside countries of concern (2)-1, jurisdictions with government "
                "access (2)-2 or countries not designated for storage (1)-3, so this is an "
                "unverified finding.",
            ),
            then(
                both(
                    "このコピーがどの国・地域にあるかを確認してください（読み取り権限を付与して"
                    "再スキャンする、宛先の設定を確認するなど）。懸念国・地域にあった場合は、",
                    "Find out which country this copy is in (grant read access and scan again, or "
                    "check the destination's settings). If it is in a country of concern:",
                ),
                GUIDELINE_2_ACTION,
            ),
            items=LOCATION_ITEMS,
            unverified=True,
        )
        return

    policies = {c: profile.classify(c) for c in found}
    concern = _worst_first([c for c in found if policies[c].tier is Tier.CONCERN], group, profile)
    if concern:
        trigger = concern[0]
        severity = (
            Severity.CRITICAL if group.certainty(trigger) is Certainty.CONFIRMED else Severity.HIGH
        )
        yield draft(
            "location.concern",
            severity,
            trigger,
            concat(
                _is_in(subject, group, concern, "懸念国・地域", "a country or region of concern"),
                _bases(profile, trigger, government=False),
            ),
            concat(GUIDELINE_2_ACTION, _move_step(group)),
            items=("(2)-1",),
        )

    government = _worst_first([c for c in found if policies[c].government_access], group, profile)
    if government:
        trigger = government[0]
        yield draft(
            "location.government-access",
            Severity.HIGH,
            trigger,
            concat(
                _is_in(
                    subject,
                    group,
                    government,
                    "政府機関等が正当な理由なくデータを閲覧・取得できる（または実質的にできる）法域",
                    "a jurisdiction whose government can view or take stored data without "
                    "legitimate grounds, or can in practice",
                ),
                _bases(profile, trigger, government=True),
            ),
            concat(GUIDELINE_2_ACTION, _move_step(group)),
            items=("(2)-2",),
        )

    caution = _worst_first([c for c in found if policies[c].tier is Tier.CAUTION], group, profile)
    designate = both(
        "情報のリスク度合いに応じて、保管を認める国・地域の単一リージョンを保管先として指定し、"
        "データとそのコピーをそこへ移してください。このままにする場合は、この国・地域に置いて"
        "よい理由を記録してください。",
        "According to the information's risk level, designate a single region in an allowed "
        "country as the storage location and move the data and its copies there; if you keep it "
        "here, record why this country is acceptable.",
    )
    spread = (
        both(
            f"この場所は複数の国・地域（{countries_named.ja}）にまたがり、保管する国を一つに"
            "指定できていません。",
            f"This location spans several countries ({countries_named.en}), so the storage "
            "country is not designated.",
        )
        if len(found) > 1
        else both("", "")
    )
    if caution:
        yield draft(
            "location.caution",
            Severity.MEDIUM,
            caution[0],
            concat(
                _is_in(
                    subject,
                    group,
                    caution,
                    "保管を認める国・地域に含まれない国・地域",
                    "a country not designated (allowed) for storage",
                ),
                spread,
            ),
            designate,
            items=("(1)-3",),
            cmk=True,
        )
    elif len(found) > 1:
        worst = _worst_first(found, group, profile)[0]
        yield draft(
            "location.multi-country",
            Severity.MEDIUM,
            worst,
            concat(both(f"{cap(subject.ja)}について: ", f"{cap(subject.en)}: "), spread),
            designate,
            items=("(1)-3",),
            cmk=True,
        )
