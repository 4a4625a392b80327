"""(1)-1 and (2)-3 attestations: missing, expired, expiring, valid, wildcard -- per scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from residency_audit.model import Bucket, Finding, Inventory, ScopeResult, Severity
from residency_audit.profiles.model import Profile
from residency_audit.rules import Attestation, EvaluationSettings, evaluate

TODAY = date(2025, 6, 1)
PROFILE = Profile(
    name="p", description_en="p", description_ja="p", concern={}, government_access={}, allowed={}
)
INVENTORY = Inventory(
    scopes=(
        ScopeResult(provider="aws", scope="111111111111"),
        ScopeResult(provider="aws", scope="222222222222"),
        ScopeResult(provider="gcp", scope="proj-a"),
    )
)


def att(
    provider: str = "aws",
    scope: str = "111111111111",
    item: str = "(1)-1",
    expires: date = date(2026, 6, 1),
) -> Attestation:
    return Attestation(
        provider=provider,
        scope=scope,
        item=item,  # type: ignore[arg-type]
        reviewed_on=date(2025, 1, 10),
        reviewer="Legal (Sato)",
        expires=expires,
    )


def findings(*atts: Attestation, inventory: Inventory = INVENTORY) -> list[Finding]:
    return evaluate(inventory, PROFILE, EvaluationSettings(today=TODAY, attestations=atts))


def states(fs: list[Finding]) -> set[tuple[str, str, str, str, Severity]]:
    return {(f.rule_id, f.provider, f.scope, f.guideline_items[0], f.severity) for f in fs}


def test_no_attestations_gives_a_medium_finding_per_scope_and_item() -> None:
    fs = findings()
    assert states(fs) == {
        ("attestation.missing", p, s, item, Severity.MEDIUM)
        for p, s in [("aws", "111111111111"), ("aws", "222222222222"), ("gcp", "proj-a")]
        for item in ("(1)-1", "(2)-3")
    }
    for f in fs:
        assert f.resource is None and f.location is None
        assert len(f.guideline_items) == 1
        assert f.scope in f.message.en and f.scope in f.message.ja
        assert "reviewed_on" in f.remediation.en and "確認記録" in f.remediation.ja
    assert len({f.fingerprint for f in fs}) == len(fs)


def test_valid_exact_attestation_clears_only_its_scope_and_item() -> None:
    fs = findings(att())
    assert ("attestation.missing", "aws", "111111111111", "(1)-1", Severity.MEDIUM) not in states(
        fs
    )
    assert ("attestation.missing", "aws", "111111111111", "(2)-3", Severity.MEDIUM) in states(fs)
    assert ("attestation.missing", "aws", "222222222222", "(1)-1", Severity.MEDIUM) in states(fs)


def test_wildcard_covers_every_scope_of_its_provider_only() -> None:
    fs = findings(att(scope="*"), att(scope="*", item="(2)-3"))
    assert {(f.provider, f.scope) for f in fs} == {("gcp", "proj-a")}


def test_expired_attestation_is_medium_and_names_date_and_reviewer() -> None:
    fs = findings(att(expires=TODAY - timedelta(days=1)))
    f = next(f for f in fs if f.scope == "111111111111" and f.guideline_items == ("(1)-1",))
    assert (f.rule_id, f.severity) == ("attestation.expired", Severity.MEDIUM)
    assert "2025-05-31" in f.message.en and "Legal (Sato)" in f.message.ja


def test_expiring_on_the_day_is_still_valid_but_warned() -> None:
    fs = findings(att(expires=TODAY))
    f = next(f for f in fs if f.scope == "111111111111" and f.guideline_items == ("(1)-1",))
    assert (f.rule_id, f.severity) == ("attestation.expiring", Severity.INFO)


@pytest.mark.parametrize(("days", "rule_id"), [(30, "attestation.expiring"), (31, None)])
def test_expiry_warning_window_is_30_days(days: int, rule_id: str | None) -> None:
    fs = findings(att(expires=TODAY + timedelta(days=days)))
    hits = [f for f in fs if f.scope == "111111111111" and f.guideline_items == ("(1)-1",)]
    assert [f.rule_id for f in hits] == ([rule_id] if rule_id else [])


def test_the_longest_lasting_matching_attestation_wins() -> None:
    fs = findings(
        att(expires=TODAY - timedelta(days=100)), att(scope="*", expires=date(2027, 1, 1))
    )
    assert not [f for f in fs if f.scope == "111111111111" and f.guideline_items == ("(1)-1",)]


def test_attestation_for_other_item_or_provider_does_not_count() -> None:
    fs = findings(att(item="(2)-3"), att(provider="gcp", scope="*"))
    assert ("attestation.missing", "aws", "111111111111", "(1)-1", Severity.MEDIUM) in states(fs)


def test_scope_known_only_from_buckets_is_still_checked() -> None:
    inv = Inventory(buckets=(Bucket(provider="azure", scope="sub-1", name="b", uid="u"),))
    fs = findings(inventory=inv)
    assert {(f.rule_id, f.scope) for f in fs if f.resource is None} == {
        ("attestation.missing", "sub-1")
    }


def test_attestation_findings_sort_by_severity_with_the_rest() -> None:
    fs = findings(att(expires=TODAY + timedelta(days=3)))
    ranks = [f.severity.rank for f in fs]
    assert ranks == sorted(ranks, reverse=True) and fs[-1].severity is Severity.INFO


def test_attestation_validation() -> None:
    with pytest.raises(ValidationError):
        att(item="(1)-3")
    with pytest.raises(ValidationError):
        Attestation(
            provider="aws",
            scope="*",
            item="(1)-1",
            reviewed_on=date(2025, 2, 1),
            reviewer="x",
            expires=date(2025, 1, 1),
        )
    with pytest.raises(ValidationError):
        Attestation(
            provider="aws",
            scope="*",
            item="(1)-1",
            reviewed_on=date(2025, 2, 1),
            reviewer="  ",
            expires=date(2026, 1, 1),
        )
