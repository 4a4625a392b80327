"""Rules engine: each rule, its guideline item, grading, mitigation and order.

Profiles and resolutions are built from the contract types, so these tests fix the rules'
behaviour independently of the shipped catalog and profiles (see test_rules_catalog.py).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date

import pytest
from pydantic import ValidationError

from residency_audit.guideline import ITEM_IDS
from residency_audit.markup import code
from residency_audit.model import (
    Bucket,
    Certainty,
    Classification,
    CountryResolution,
    Encryption,
    EncryptionTier,
    Evidence,
    Finding,
    Gap,
    Hidden,
    Inventory,
    Location,
    PublicAccess,
    PublicVerdict,
    Role,
    ScopeResult,
    Severity,
)
from residency_audit.profiles.model import Basis, Profile
from residency_audit.rules import (
    RULES,
    Attestation,
    ClassificationSettings,
    EvaluationSettings,
    classify,
    evaluate,
    rule_spec,
)

TODAY = date(2025, 6, 1)
BASIS = Basis(label_en="test basis", label_ja="テスト根拠", source="test")
CONCERN = ("CN", "HK", "MO", "KP", "IR", "RU")
GOVERNMENT = ("CN", "HK", "MO", "KP", "IR", "RU")
ALLOWED = ("JP", "US", "DE", "NL", "GB")


def make_profile(
    concern: Iterable[str] = CONCERN,
    government: Iterable[str] = GOVERNMENT,
    allowed: Iterable[str] = ALLOWED,
) -> Profile:
    return Profile(
        name="test-profile",
        description_en="test",
        description_ja="テスト",
        concern={c: (BASIS,) for c in concern},
        government_access={c: (BASIS,) for c in government},
        allowed={c: (BASIS,) for c in allowed},
    )


def loc(
    role: Role,
    region: str | None,
    countries: Iterable[str] = (),
    *,
    certainty: Certainty = Certainty.CONFIRMED,
    catalog_certainty: Certainty = Certainty.CONFIRMED,
    verified: bool = True,
    target: str | None = None,
    mechanism: str = "test-mechanism",
    unknown_reason: str | None = None,
    provider: str = "aws",
) -> Location:
    return Location(
        role=role,
        provider=provider,
        region=region,
        mechanism=mechanism,
        target=target,
        certainty=certainty,
        unknown_reason=unknown_reason,
        resolution=CountryResolution(
            countries=tuple(countries), certainty=catalog_certainty, verified=verified
        ),
    )


TOKYO = loc(Role.PRIMARY, "ap-northeast-1", ["JP"])
JP_KEY = loc(Role.KEY, "ap-northeast-1", ["JP"], mechanism="kms")
CMK = Encryption(tier=EncryptionTier.CUSTOMER_MANAGED, key_id="arn:aws:kms:key/1")
PROVIDER_KEY = Encryption(tier=EncryptionTier.PROVIDER_MANAGED)
BLOCKED = PublicAccess(verdict=PublicVerdict.BLOCKED)


def bucket(
    name: str,
    *locations: Location,
    tags: dict[str, str] | None = None,
    encryption: Encryption = PROVIDER_KEY,
    public: PublicAccess = BLOCKED,
    gaps: Iterable[Gap] = (),
    external: Iterable[str] = (),
    provider: str = "aws",
    scope: str = "111122223333",
) -> Bucket:
    return Bucket(
        provider=provider,
        scope=scope,
        name=name,
        uid=f"{provider}:{scope}:{name}",
        tags=tags or {},
        locations=locations,
        encryption=encryption,
        public_access=public,
        gaps=tuple(gaps),
        external_principals=tuple(external),
    )


def settings(**kw: object) -> EvaluationSettings:
    """Settings with a current wildcard attestation for both items, so only bucket rules fire."""
    attestations = tuple(
        Attestation(
            provider=p,
            scope="*",
            item=item,  # type: ignore[arg-type]
            reviewed_on=date(2025, 1, 1),
            reviewer="legal",
            expires=date(2027, 1, 1),
        )
        for p in ("aws", "gcp", "azure")
        for item in ("(1)-1", "(2)-3")
    )
    return EvaluationSettings(today=TODAY, attestations=attestations, **kw)  # type: ignore[arg-type]


def run(*buckets: Bucket, profile: Profile | None = None, **kw: object) -> list[Finding]:
    inv = Inventory(
        buckets=buckets,
        scopes=tuple(
            ScopeResult(provider=p, scope=s)
            for p, s in sorted({(b.provider, b.scope) for b in buckets})
        ),
    )
    return evaluate(inv, profile or make_profile(), settings(**kw))


def by_rule(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule_id]


def one(findings: list[Finding], rule_id: str) -> Finding:
    hits = by_rule(findings, rule_id)
    assert len(hits) == 1, [f.rule_id for f in findings]
    return hits[0]


# -- baseline -----------------------------------------------------------------------------------


def test_tokyo_only_bucket_with_customer_key_in_japan_has_no_findings() -> None:
    assert run(bucket("tokyo", TOKYO, JP_KEY, encryption=CMK)) == []


def test_every_rule_maps_to_canonical_items() -> None:
    assert {item for spec in RULES for item in spec.items} == set(ITEM_IDS)
    expected = {
        "location.concern": ("(2)-1",),
        "location.unknown": ("(2)-1", "(2)-2", "(1)-3"),
        "scope.unlisted": ("(2)-1", "(2)-2", "(1)-3", "(1)-note", "(1)-2", "(2)-3"),
        "access.unknown": ("(2)-3",),
        "gap.may-hide-copy": ("(2)-1", "(2)-2", "(1)-3"),
        "location.government-access": ("(2)-2",),
        "location.caution": ("(1)-3",),
        "location.multi-country": ("(1)-3",),
        "public.public": ("(1)-2",),
        "public.not-blocked": ("(1)-2",),
        "public.unknown": ("(1)-2",),
        "encryption.no-customer-key": ("(1)-note",),
        "access.external-principal": ("(2)-3",),
    }
    for rule_id, items in expected.items():
        assert rule_spec(rule_id).items == items


# -- (2)-1 concern ------------------------------------------------------------------------------


def test_confirmed_replica_in_hong_kong_is_critical_2_1_naming_bucket_region_country() -> None:
    replica = loc(
        Role.REPLICA, "ap-east-1", ["HK"], target="arn:aws:s3:::hk-copy", mechanism="s3-replication"
    )
    findings = run(bucket("design-docs", TOKYO, replica))
    f = one(findings, "location.concern")
    assert f.guideline_items == ("(2)-1",)
    assert f.severity is Severity.CRITICAL and f.base_severity is Severity.CRITICAL
    assert f.location is not None
    assert (f.location.role, f.location.region, f.location.country) == (
        Role.REPLICA,
        "ap-east-1",
        "HK",
    )
    assert f.location.certainty is Certainty.CONFIRMED
    for text in (f.message.ja, f.message.en):
        assert "design-docs" in text and "ap-east-1" in text and "HK" in text
    assert "レプリケーション先" in f.message.ja and "懸念国・地域" in f.message.ja
    assert "replication destination" in f.message.en
    # the guideline's (2) instruction: stop transfer, delete, stop using
    assert "移転の停止" in f.remediation.ja and "廃棄" in f.remediation.ja
    assert "利用をやめる" in f.remediation.ja
    assert "stop transferring" in f.remediation.en and "delete" in f.remediation.en
    assert "hk-copy" in f.remediation.en  # the concrete step names the destination
    assert not f.unverified
    # the Tokyo primary produces nothing
    assert all(x.location is None or x.location.role is not Role.PRIMARY for x in findings)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.METADATA])
def test_any_role_in_a_concern_country_is_2_1(role: Role) -> None:
    f = one(run(bucket("b", TOKYO, loc(role, "cn-north-1", ["CN"]))), "location.concern")
    assert f.location is not None and f.location.role is role
    assert f.severity is Severity.CRITICAL


def test_a_metadata_export_in_a_concern_country_is_2_1_one_step_lower_and_says_why() -> None:
    export = loc(Role.METADATA, "ap-east-1", ["HK"])
    f = one(run(bucket("b", TOKYO, export)), "location.concern")
    assert f.guideline_items == ("(2)-1",)
    assert f.severity is Severity.HIGH and f.base_severity is Severity.HIGH
    assert "object names (keys) and metadata, not the objects' contents" in f.message.en
    assert "one step below" in f.message.en
    assert "オブジェクト名（キー）とメタデータ" in f.message.ja and "一段階下げ" in f.message.ja
    # a possible metadata copy is one step below a possible content copy (high -> medium)
    maybe = loc(Role.METADATA, "ap-east-1", ["HK"], certainty=Certainty.POSSIBLE)
    assert one(run(bucket("b", TOKYO, maybe)), "location.concern").severity is Severity.MEDIUM
    # the content copy next to it keeps its grade
    content = one(
        run(bucket("b", TOKYO, loc(Role.TRANSFER, "ap-east-1", ["HK"]))), "location.concern"
    )
    assert content.severity is Severity.CRITICAL and "metadata" not in content.message.en


def test_possible_location_is_high_not_critical() -> None:
    possible = loc(Role.BACKUP, "ap-east-1", ["HK"], certainty=Certainty.POSSIBLE)
    f = one(run(bucket("b", TOKYO, possible)), "location.concern")
    assert f.severity is Severity.HIGH
    assert f.location is not None and f.location.certainty is Certainty.POSSIBLE


def test_gcs_asia_multi_region_is_one_possible_finding_naming_hk_and_candidates() -> None:
    candidates = ["HK", "IN", "JP", "KR", "SG", "TW"]
    asia = loc(
        Role.PRIMARY, "asia", candidates, catalog_certainty=Certainty.POSSIBLE, provider="gcp"
    )
    findings = run(bucket("asia-bucket", asia, provider="gcp", scope="proj"))
    f = one(findings, "location.concern")
    assert f.severity is Severity.HIGH
    assert f.location is not None
    assert f.location.country == "HK"
    assert f.location.countries == tuple(candidates)
    assert f.location.certainty is Certainty.POSSIBLE
    for c in candidates:
        assert c in f.message.en and c in f.message.ja
    assert "may be in Hong Kong (HK)" in f.message.en and "香港（HK）にある可能性" in f.message.ja
    # the non-allowed, non-concern candidates are (1)-3
    caution = one(findings, "location.caution")
    assert caution.location is not None and caution.location.country in {"IN", "KR", "SG", "TW"}
    assert caution.severity is Severity.MEDIUM


def test_worst_country_triggers_when_a_location_spans_several_concern_countries() -> None:
    # confirmed beats possible: RU confirmed by one member, CN only possible in another
    a = loc(Role.REPLICA, "r1", ["RU"])
    b = loc(Role.REPLICA, "r2", ["CN"], certainty=Certainty.POSSIBLE)
    findings = run(bucket("b", TOKYO, a, b))
    concern = by_rule(findings, "location.concern")
    assert {(f.location.region, f.location.country, f.severity) for f in concern if f.location} == {
        ("r1", "RU", Severity.CRITICAL),
        ("r2", "CN", Severity.HIGH),
    }


def test_locations_with_same_role_and_region_make_one_finding_naming_every_target() -> None:
    a = loc(Role.BACKUP, "ap-east-1", ["HK"], target="vault-a")
    b = loc(Role.BACKUP, "ap-east-1", ["HK"], target="vault-b")
    f = one(run(bucket("b", TOKYO, a, b)), "location.concern")
    assert "vault-a" in f.message.en and "vault-b" in f.message.en


# -- (2)-1 unverified ---------------------------------------------------------------------------


def test_unmapped_region_is_high_unverified_2_1() -> None:
    findings = run(bucket("b", TOKYO, loc(Role.REPLICA, "xx-nowhere-9", [])))
    f = one(findings, "location.unknown")
    assert f.guideline_items == ("(2)-1", "(2)-2", "(1)-3")
    assert f.severity is Severity.HIGH and f.unverified
    assert f.location is not None and f.location.country is None
    assert "xx-nowhere-9" in f.message.en and "xx-nowhere-9" in f.message.ja
    assert "unverified" in f.message.en and "未確認" in f.message.ja
    assert not by_rule(findings, "location.concern")


def test_unreadable_region_is_high_unverified_2_1_with_its_reason() -> None:
    dest = loc(
        Role.REPLICA,
        None,
        [],
        unknown_reason="HeadBucket AccessDenied on dest",
        target="arn:aws:s3:::elsewhere",
    )
    f = one(run(bucket("b", TOKYO, dest)), "location.unknown")
    assert f.severity is Severity.HIGH and f.unverified
    assert f.location is not None and f.location.region is None
    assert "HeadBucket AccessDenied on dest" in f.message.en
    assert "HeadBucket AccessDenied on dest" in f.message.ja


def test_gap_that_may_hide_a_copy_is_high_unverified_2_1_per_gap() -> None:
    gaps = [
        Gap(
            field="replication",
            reason="access denied",
            error_code="AccessDenied",
            hides=(Hidden.COPY,),
        ),
        Gap(
            field="backup",
            reason="selections unreadable",
            error_code="AccessDenied",
            hides=(Hidden.COPY,),
        ),
        Gap(field="tags", reason="access denied", error_code="AccessDenied"),
    ]
    findings = run(bucket("b", TOKYO, gaps=gaps))
    hits = by_rule(findings, "gap.may-hide-copy")
    assert sorted("replication" in f.message.en for f in hits) == [False, True]
    assert len(hits) == 2 and len({f.fingerprint for f in hits}) == 2
    for f in hits:
        assert f.guideline_items == ("(2)-1", "(2)-2", "(1)-3")
        assert f.severity is Severity.HIGH and f.unverified and f.location is None
        assert "AccessDenied" in f.message.en and "AccessDenied" in f.message.ja
    assert not any("tags" in f.message.en for f in hits)


def test_unverified_catalog_row_marks_the_finding_unverified() -> None:
    f = one(
        run(bucket("b", TOKYO, loc(Role.REPLICA, "r", ["CN"], verified=False))), "location.concern"
    )
    assert f.unverified and f.severity is Severity.CRITICAL
    assert "unverified" in f.message.en and "未検証" in f.message.ja


# -- (2)-2 ---------------------------------------------------------------------------------------


def test_government_access_is_high_2_2_independent_of_concern() -> None:
    profile = make_profile(concern=(), government=("HK",), allowed=("JP",))
    findings = run(bucket("b", TOKYO, loc(Role.GEO_SECONDARY, "eastasia", ["HK"])), profile=profile)
    f = one(findings, "location.government-access")
    assert f.guideline_items == ("(2)-2",)
    assert f.severity is Severity.HIGH
    assert f.location is not None and f.location.country == "HK"
    assert "eastasia" in f.message.ja and "HK" in f.message.en
    assert "テスト根拠" in f.message.ja and "test basis" in f.message.en
    assert not by_rule(findings, "location.concern")


def test_concern_country_without_government_flag_gives_no_2_2() -> None:
    profile = make_profile(concern=("SD",), government=(), allowed=("JP",))
    findings = run(bucket("b", TOKYO, loc(Role.BACKUP, "x", ["SD"])), profile=profile)
    assert by_rule(findings, "location.concern")
    assert not by_rule(findings, "location.government-access")


# -- (1)-3 --------------------------------------------------------------------------------------


def test_caution_country_is_medium_1_3() -> None:
    findings = run(bucket("b", TOKYO, loc(Role.BACKUP, "ap-southeast-1", ["SG"])))
    f = one(findings, "location.caution")
    assert f.guideline_items == ("(1)-3",)
    assert f.severity is Severity.MEDIUM
    assert f.location is not None and f.location.country == "SG"
    assert "SG" in f.message.ja and "ap-southeast-1" in f.message.en
    assert not by_rule(findings, "location.concern")


def test_location_spanning_several_allowed_countries_is_medium_1_3() -> None:
    eu = loc(Role.PRIMARY, "eu", ["DE", "NL"], provider="gcp")
    findings = run(bucket("b", eu, provider="gcp", scope="p"))
    f = one(findings, "location.multi-country")
    assert f.guideline_items == ("(1)-3",) and f.severity is Severity.MEDIUM
    assert "DE" in f.message.en and "NL" in f.message.en
    assert not by_rule(findings, "location.caution")


def test_single_allowed_country_gives_no_1_3() -> None:
    findings = run(bucket("b", TOKYO, loc(Role.REPLICA, "us-east-1", ["US"])))
    assert not [f for f in findings if "(1)-3" in f.guideline_items]


# -- customer-managed key mitigation ------------------------------------------------------------


def test_customer_key_outside_concern_lowers_1_3_one_step_and_says_so() -> None:
    b = bucket("b", TOKYO, loc(Role.BACKUP, "ap-southeast-1", ["SG"]), JP_KEY, encryption=CMK)
    findings = run(b)
    f = one(findings, "location.caution")
    assert f.base_severity is Severity.MEDIUM and f.severity is Severity.LOW
    assert len(f.adjustments) == 1
    assert "customer-managed key" in f.adjustments[0].en and "顧客管理鍵" in f.adjustments[0].ja
    assert not by_rule(findings, "encryption.no-customer-key")


def test_customer_key_never_touches_2_x() -> None:
    b = bucket(
        "b",
        TOKYO,
        loc(Role.REPLICA, "ap-east-1", ["HK"]),
        JP_KEY,
        encryption=CMK,
        gaps=[Gap(field="replication", reason="denied", hides=(Hidden.COPY,))],
        external=["arn:aws:iam::999999999999:root"],
    )
    b = b.model_copy(update={"locations": (*b.locations, loc(Role.BACKUP, "zz-9", []))})
    findings = run(b)
    two = [f for f in findings if any(i.startswith("(2)") for i in f.guideline_items)]
    assert {f.rule_id for f in two} == {
        "location.concern",
        "location.government-access",
        "location.unknown",
        "gap.may-hide-copy",
        "access.external-principal",
    }
    for f in two:
        assert f.severity is f.base_severity and f.adjustments == ()
    assert one(findings, "location.concern").severity is Severity.CRITICAL


def test_customer_key_held_in_a_concern_country_does_not_mitigate() -> None:
    cn_key = loc(Role.KEY, "cn-north-1", ["CN"], mechanism="kms")
    b = bucket("b", TOKYO, loc(Role.BACKUP, "ap-southeast-1", ["SG"]), cn_key, encryption=CMK)
    findings = run(b)
    assert one(findings, "location.caution").severity is Severity.MEDIUM
    note = one(findings, "encryption.no-customer-key")
    assert "CN" in note.message.en
    # the key location itself is a (2)-1 finding
    f = one(findings, "location.concern")
    assert f.location is not None and f.location.role is Role.KEY


@pytest.mark.parametrize(
    "key_locations",
    [(), (loc(Role.KEY, "zz-1", []),)],
    ids=["no-key-location", "key-location-unknown"],
)
def test_customer_key_that_cannot_be_placed_does_not_mitigate(
    key_locations: tuple[Location, ...],
) -> None:
    b = bucket(
        "b", TOKYO, loc(Role.BACKUP, "ap-southeast-1", ["SG"]), *key_locations, encryption=CMK
    )
    findings = run(b)
    assert one(findings, "location.caution").severity is Severity.MEDIUM
    assert one(findings, "encryption.no-customer-key").unverified


# -- (1)-note -----------------------------------------------------------------------------------


def test_outside_allowed_without_customer_key_is_low_1_note() -> None:
    findings = run(bucket("bk", TOKYO, loc(Role.BACKUP, "ap-southeast-1", ["SG"])))
    f = one(findings, "encryption.no-customer-key")
    assert f.guideline_items == ("(1)-note",) and f.severity is Severity.LOW
    assert f.location is None and not f.unverified
    assert "SG" in f.message.en and "ap-southeast-1" in f.message.ja
    assert "provider" in f.message.en


def test_all_allowed_without_customer_key_has_no_1_note() -> None:
    findings = run(bucket("b", TOKYO, loc(Role.REPLICA, "us-east-1", ["US"])))
    assert not by_rule(findings, "encryption.no-customer-key")


def test_unknown_encryption_is_treated_as_no_customer_key_and_unverified() -> None:
    b = bucket(
        "b",
        loc(Role.PRIMARY, "ap-southeast-1", ["SG"]),
        encryption=Encryption(tier=EncryptionTier.UNKNOWN),
    )
    f = one(run(b), "encryption.no-customer-key")
    assert f.unverified
    assert "could not be read" in f.message.en and "読み取れなかった" in f.message.ja


# -- (1)-2 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "rule_id", "severity", "unverified"),
    [
        (PublicVerdict.PUBLIC, "public.public", Severity.HIGH, False),
        (PublicVerdict.NOT_BLOCKED, "public.not-blocked", Severity.MEDIUM, False),
        (PublicVerdict.UNKNOWN, "public.unknown", Severity.HIGH, True),
    ],
)
def test_public_access_is_1_2_with_evidence(
    verdict: PublicVerdict, rule_id: str, severity: Severity, unverified: bool
) -> None:
    evidence = (Evidence(key="aws.acl-grant", subject="AllUsers", value="READ"),)
    findings = run(bucket("pub", TOKYO, public=PublicAccess(verdict=verdict, evidence=evidence)))
    f = one(findings, rule_id)
    assert f.guideline_items == ("(1)-2",)
    assert f.severity is severity and f.unverified is unverified
    assert f"ACL grants {code('READ')} to {code('AllUsers')}" in f.message.en
    assert f"ACL で {code('AllUsers')} に {code('READ')} を付与" in f.message.ja
    assert "pub" in f.message.ja
    assert len([x for x in findings if "(1)-2" in x.guideline_items]) == 1


def test_blocked_public_access_gives_no_1_2() -> None:
    assert not [f for f in run(bucket("b", TOKYO)) if "(1)-2" in f.guideline_items]


def test_unknown_public_access_cites_the_gap() -> None:
    gap = Gap(field="public_access.policy_status", reason="denied", error_code="AccessDenied")
    f = one(
        run(bucket("b", TOKYO, public=PublicAccess(verdict=PublicVerdict.UNKNOWN), gaps=[gap])),
        "public.unknown",
    )
    assert "public_access.policy_status" in f.message.en


# -- (2)-3 observable ---------------------------------------------------------------------------


def test_external_principals_are_high_2_3_naming_them() -> None:
    b = bucket("b", TOKYO, external=["arn:aws:iam::999999999999:root", "user:x@other.example"])
    f = one(run(b), "access.external-principal")
    assert f.guideline_items == ("(2)-3",) and f.severity is Severity.HIGH
    assert "999999999999" in f.message.ja and "x@other.example" in f.message.en


# -- classification -----------------------------------------------------------------------------


def caution_bucket(tags: dict[str, str], **kw: object) -> Bucket:
    return bucket("b", TOKYO, loc(Role.BACKUP, "ap-southeast-1", ["SG"]), tags=tags, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tags", "expected", "cls"),
    [
        ({"data-classification": "sensitive"}, Severity.HIGH, Classification.SENSITIVE),
        ({"Classification": "PUBLIC"}, Severity.LOW, Classification.PUBLIC),
        ({"data-classification": "internal"}, Severity.MEDIUM, Classification.INTERNAL),
        ({}, Severity.MEDIUM, Classification.UNCLASSIFIED),
        ({"data-classification": "whatever"}, Severity.MEDIUM, Classification.UNCLASSIFIED),
    ],
)
def test_classification_shifts_severity(
    tags: dict[str, str], expected: Severity, cls: Classification
) -> None:
    f = one(run(caution_bucket(tags)), "location.caution")
    assert f.base_severity is Severity.MEDIUM
    assert f.severity is expected
    assert f.classification is cls
    assert len(f.adjustments) == (0 if expected is Severity.MEDIUM else 1)


def test_sensitive_cannot_go_above_critical_and_says_so() -> None:
    b = bucket("b", loc(Role.PRIMARY, "cn-north-1", ["CN"]), tags={"classification": "secret"})
    f = one(run(b), "location.concern")
    assert f.severity is Severity.CRITICAL
    assert len(f.adjustments) == 1 and "unchanged" in f.adjustments[0].en


def test_sensitive_raises_possible_concern_to_critical() -> None:
    b = bucket(
        "b",
        loc(Role.PRIMARY, "asia", ["HK", "JP"], catalog_certainty=Certainty.POSSIBLE),
        tags={"classification": "sensitive"},
    )
    f = one(run(b), "location.concern")
    assert (f.base_severity, f.severity) == (Severity.HIGH, Severity.CRITICAL)


def test_order_is_classification_then_mitigation_and_never_below_info() -> None:
    b = caution_bucket({"classification": "public"}, encryption=CMK)
    b = b.model_copy(update={"locations": (*b.locations, JP_KEY)})
    f = one(run(b), "location.caution")
    assert (f.base_severity, f.severity) == (Severity.MEDIUM, Severity.INFO)
    assert "classified as Public" in f.adjustments[0].en
    assert "customer-managed key" in f.adjustments[1].en
    assert Severity.INFO.shifted(-1) is Severity.INFO  # the clamp the engine relies on


def test_public_classification_lowers_2_1_but_never_removes_it() -> None:
    b = bucket("b", loc(Role.PRIMARY, "cn-north-1", ["CN"]), tags={"classification": "public"})
    f = one(run(b), "location.concern")
    assert (f.base_severity, f.severity) == (Severity.CRITICAL, Severity.HIGH)


def test_classify_is_case_insensitive_and_first_configured_key_wins() -> None:
    s = ClassificationSettings(
        keys=("sec", "classification"),
        values={Classification.SENSITIVE: ("Kimitsu",), Classification.PUBLIC: ("open",)},
    )
    assert classify(bucket("b", tags={"SEC": " KIMITSU "}), s) is Classification.SENSITIVE
    assert classify(bucket("b", tags={"sec": "open", "classification": "kimitsu"}), s) is (
        Classification.PUBLIC
    )
    assert classify(bucket("b", tags={"other": "kimitsu"}), s) is Classification.UNCLASSIFIED


def test_classification_settings_reject_a_value_in_two_classes() -> None:
    with pytest.raises(ValidationError):
        ClassificationSettings(
            values={Classification.SENSITIVE: ("x",), Classification.PUBLIC: ("X",)}
        )
    with pytest.raises(ValidationError):
        ClassificationSettings(values={Classification.UNCLASSIFIED: ("none",)})


# -- engine contract ----------------------------------------------------------------------------


def test_unresolved_inventory_is_rejected() -> None:
    raw = Location(role=Role.PRIMARY, provider="aws", region="ap-northeast-1", mechanism="x")
    inv = Inventory(buckets=(bucket("b", raw),))
    with pytest.raises(ValueError, match="resolution"):
        evaluate(inv, make_profile(), settings())


def estate() -> list[Bucket]:
    return [
        bucket("tokyo", TOKYO, JP_KEY, encryption=CMK),
        bucket("hk-replica", TOKYO, loc(Role.REPLICA, "ap-east-1", ["HK"])),
        bucket("backup-ru", TOKYO, loc(Role.BACKUP, "r", ["RU"], target="vault")),
        bucket("unknown", loc(Role.PRIMARY, "zz-1", []), tags={"classification": "sensitive"}),
        bucket("public", TOKYO, public=PublicAccess(verdict=PublicVerdict.PUBLIC)),
        bucket(
            "asia",
            loc(Role.PRIMARY, "asia", ["HK", "JP", "SG"], catalog_certainty=Certainty.POSSIBLE),
            provider="gcp",
            scope="p1",
        ),
        bucket(
            "grs",
            loc(Role.PRIMARY, "eastasia", ["HK"], provider="azure"),
            loc(Role.GEO_SECONDARY, "southeastasia", ["SG"], provider="azure"),
            provider="azure",
            scope="sub",
        ),
    ]


def test_order_is_worst_first_and_deterministic() -> None:
    buckets = estate()
    first = run(*buckets)
    ranks = [f.severity.rank for f in first]
    assert ranks == sorted(ranks, reverse=True)
    assert first[0].severity is Severity.CRITICAL
    for seed in range(5):
        shuffled = buckets[:]
        random.Random(seed).shuffle(shuffled)
        assert run(*shuffled) == first
    assert len({f.fingerprint for f in first}) == len(first)


def test_every_finding_has_both_languages_and_canonical_items() -> None:
    for f in run(*estate()):
        assert f.guideline_items and set(f.guideline_items) <= set(ITEM_IDS)
        assert set(f.guideline_items) <= set(rule_spec(f.rule_id).items)
        for text in (f.message, f.remediation, *f.adjustments):
            assert text.ja.strip() and text.en.strip()
            assert any("\u3040" <= ch <= "\u30ff" for ch in text.ja)  # kana: real Japanese
            assert text.ja != text.en
        if f.resource is not None:
            assert f.resource.name in f.message.ja and f.resource.name in f.message.en


def test_docs_rule_table_matches_the_rules() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text("utf-8")
    rows = {
        line.split("|")[1].strip().strip("`"): line.split("|")[2].strip()
        for line in doc.splitlines()
        if line.startswith("| `")
    }
    assert set(rows) == {spec.id for spec in RULES}
    for spec in RULES:
        # attestation findings name the one item they are about; the others name every item
        sep = " or " if spec.id.startswith("attestation.") else ", "
        assert rows[spec.id] == sep.join(spec.items)


def test_a_cdn_whose_restriction_leaves_no_edge_country_makes_no_finding() -> None:
    gone = loc(Role.CACHE, "cloudfront:PriceClass_100", []).model_copy(
        update={"resolution": CountryResolution(none_left=True, certainty=Certainty.POSSIBLE)}
    )
    findings = run(bucket("b", TOKYO, gone))
    assert not [f for f in findings if f.location is not None and f.location.role is Role.CACHE]
    # an edge set whose country the catalog cannot name is still an unknown, never safe
    unknown = loc(Role.CACHE, "cloudfront:PriceClass_Future", [])
    assert one(run(bucket("b", TOKYO, unknown)), "location.unknown").unverified
