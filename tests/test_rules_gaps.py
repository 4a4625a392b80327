"""What an unread setting hides becomes unverified findings under every item it could trigger."""

from __future__ import annotations

from datetime import UTC, datetime

from residency_audit.model import (
    Classification,
    CoverageNote,
    Gap,
    Hidden,
    Inventory,
    PublicAccess,
    PublicVerdict,
    Role,
    ScopeResult,
    ScopeStatus,
    Severity,
)
from residency_audit.results import Coverage, ProfileRef, ScanMeta, ScanResult
from residency_audit.rules import ClassificationSettings, evaluate
from residency_audit.testing import lost_under_fault

from .test_rules import CMK, TOKYO, bucket, by_rule, loc, make_profile, one, run, settings

SINGAPORE_COPY = loc(Role.REPLICA, "ap-southeast-1", ["SG"])
JP_KEY = loc(Role.KEY, "ap-northeast-1", ["JP"], mechanism="kms")


def _gap(field: str, *hides: Hidden) -> Gap:
    return Gap(field=field, reason=f"{field} read failed: AccessDenied", hides=hides)


def test_a_key_gap_names_every_location_item_and_says_it_is_the_key() -> None:
    findings = run(bucket("b", TOKYO, gaps=[_gap("encryption", Hidden.KEY)]))
    f = one(findings, "gap.may-hide-copy")
    assert f.guideline_items == ("(2)-1", "(2)-2", "(1)-3")
    assert f.unverified and f.severity is Severity.HIGH
    assert "encryption key" in f.message.en and "暗号鍵" in f.message.ja


def test_a_hidden_copy_counts_for_the_encryption_note_even_when_every_known_place_is_allowed() -> (
    None
):
    assert not by_rule(run(bucket("b", TOKYO)), "encryption.no-customer-key")
    findings = run(bucket("b", TOKYO, gaps=[_gap("replication", Hidden.COPY)]))
    f = one(findings, "encryption.no-customer-key")
    assert f.unverified and "replication" in f.message.en and "replication" in f.message.ja


def test_a_key_gap_withholds_the_customer_key_mitigation() -> None:
    mitigated = one(
        run(bucket("b", TOKYO, SINGAPORE_COPY, JP_KEY, encryption=CMK)), "location.caution"
    )
    assert mitigated.severity is Severity.LOW  # medium, lowered by the key held in Japan
    gap = _gap("encryption.key", Hidden.KEY)
    withheld = one(
        run(bucket("b", TOKYO, SINGAPORE_COPY, JP_KEY, encryption=CMK, gaps=[gap])),
        "location.caution",
    )
    assert withheld.severity is Severity.MEDIUM and not withheld.adjustments


def test_unread_access_settings_are_an_unverified_2_3_finding() -> None:
    findings = run(bucket("b", TOKYO, gaps=[_gap("external_principals", Hidden.EXTERNAL_ACCESS)]))
    f = one(findings, "access.unknown")
    assert f.guideline_items == ("(2)-3",) and f.severity is Severity.HIGH and f.unverified
    assert "external_principals" in f.message.en and "(2)-3" in f.message.ja


def test_unknown_public_access_is_graded_as_if_public() -> None:
    unknown = PublicAccess(verdict=PublicVerdict.UNKNOWN)
    public = PublicAccess(verdict=PublicVerdict.PUBLIC)
    assert (
        one(run(bucket("b", TOKYO, public=unknown)), "public.unknown").severity
        is one(run(bucket("b", TOKYO, public=public)), "public.public").severity
    )


def test_unread_tags_make_the_class_unknown_graded_as_sensitive_and_every_finding_unverified() -> (
    None
):
    tags_gap = _gap("tags", Hidden.CLASSIFICATION)
    b = bucket("b", TOKYO, SINGAPORE_COPY, tags={}, gaps=[tags_gap])
    findings = run(b)
    caution = one(findings, "location.caution")
    assert caution.classification is Classification.UNKNOWN
    assert caution.severity is Severity.HIGH  # medium + 1, as if sensitive
    assert all(f.unverified for f in findings if f.resource)
    assert any("tags could not be read" in a.en for a in caution.adjustments)
    assert any("タグを読み取れず" in a.ja for a in caution.adjustments)
    # with no classification keys configured, tags decide nothing: no shift, nothing unverified
    plain = run(b, classification=ClassificationSettings(keys=()))
    assert one(plain, "location.caution").severity is Severity.MEDIUM
    assert not one(plain, "location.caution").unverified


def _scoped(*scopes: ScopeResult) -> list[str]:
    inventory = Inventory(scopes=scopes)
    return [
        f"{f.rule_id} {f.scope} {','.join(f.guideline_items)}"
        for f in evaluate(inventory, make_profile(), settings())
        if f.rule_id == "scope.unlisted"
    ]


def test_a_scope_that_could_not_be_listed_is_unverified_for_every_bucket_item() -> None:
    every = "(2)-1,(2)-2,(1)-3,(1)-note,(1)-2,(2)-3"
    failed = ScopeResult(provider="aws", scope="1", status=ScopeStatus.FAILED, error="denied")
    cut = ScopeResult(
        provider="aws",
        scope="2",
        status=ScopeStatus.INCOMPLETE,
        notes=(
            CoverageNote(kind="listing-incomplete", detail="page 2 failed", buckets_missing=True),
        ),
    )
    other_note = ScopeResult(
        provider="aws",
        scope="3",
        status=ScopeStatus.INCOMPLETE,
        notes=(CoverageNote(kind="backup-unreadable", detail="x", affects_completeness=True),),
    )
    assert _scoped(failed, cut, other_note, ScopeResult(provider="aws", scope="4")) == [
        f"scope.unlisted 1 {every}",
        f"scope.unlisted 2 {every}",
    ]


def test_inventories_written_with_may_hide_copy_still_load_and_round_trip() -> None:
    legacy = Gap.model_validate({"field": "replication", "reason": "x", "may_hide_copy": True})
    assert legacy.hides == (Hidden.COPY,) and legacy.may_hide_copy
    assert Gap.model_validate_json(legacy.model_dump_json()) == legacy
    assert not Gap.model_validate({"field": "tags", "reason": "x", "may_hide_copy": False}).hides


def _result(*buckets: object) -> ScanResult:
    inventory = Inventory(buckets=buckets)  # type: ignore[arg-type]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    cov = Coverage(
        scopes_total=0,
        scopes_complete=0,
        scopes_incomplete=0,
        scopes_failed=0,
        buckets=0,
        buckets_with_gaps=0,
        locations=0,
        locations_unknown=0,
        locations_unverified=0,
        unclassified_buckets=0,
        complete=True,
    )
    meta = ScanMeta(
        id="s",
        started=now,
        finished=now,
        tool_version="0",
        profile=ProfileRef(name="p", sha256="0"),
        providers=("aws",),
        coverage=cov,
    )
    findings = evaluate(inventory, make_profile(), settings())
    return ScanResult(scan=meta, findings=tuple(findings), inventory=inventory)


def test_the_property_check_catches_a_lost_item_and_a_silent_downgrade() -> None:
    hk = loc(Role.REPLICA, "ap-east-1", ["HK"])
    clean = _result(bucket("b", TOKYO, hk))
    # the replica vanished with nothing in its place: (2)-1, (2)-2 and (1)-note are lost
    lost = lost_under_fault(clean, _result(bucket("b", TOKYO)))
    assert {line.split()[1].rstrip(":") for line in lost} == {"(2)-1", "(2)-2", "(1)-note"}
    # the same, but a gap says replication could not be read: nothing lost
    gap = _gap("replication", Hidden.COPY)
    assert lost_under_fault(clean, _result(bucket("b", TOKYO, gaps=[gap]))) == []
    # a public bucket read as merely not blocked: (1)-2 fell from high to medium
    public = _result(bucket("p", TOKYO, public=PublicAccess(verdict=PublicVerdict.PUBLIC)))
    weaker = _result(bucket("p", TOKYO, public=PublicAccess(verdict=PublicVerdict.NOT_BLOCKED)))
    assert [line.split()[1].rstrip(":") for line in lost_under_fault(public, weaker)] == ["(1)-2"]
