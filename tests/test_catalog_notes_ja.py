"""Japanese readers get the catalog's notes in Japanese inside Japanese messages."""

from __future__ import annotations

from residency_audit.catalog import load_catalog
from residency_audit.model import Certainty, Location, Role


def _loc(region: str | None, reason: str | None = None) -> Location:
    return Location(
        role=Role.MULTI_REGION_MEMBER,
        provider="gcp",
        region=region,
        mechanism="gcs-multi-region",
        unknown_reason=reason,
    )


def test_multi_region_candidates_note_in_both_languages() -> None:
    res = load_catalog().resolve(_loc("ASIA"))
    assert res.certainty is Certainty.POSSIBLE
    assert "does not disclose its countries" in res.note
    assert "公開していない" in res.note_ja and "未確認" in res.note_ja
    assert "does not disclose" not in res.note_ja


def test_unmapped_code_note_in_japanese_keeps_the_plugin_reason_verbatim() -> None:
    res = load_catalog().resolve(_loc("asia-south9", "HTTP 403 AccessDenied"))
    assert not res.known
    assert "カタログにない" in res.note_ja and "HTTP 403 AccessDenied" in res.note_ja


def test_japanese_finding_message_uses_the_japanese_note() -> None:
    from datetime import date

    from residency_audit.model import Bucket, Inventory, ScopeResult
    from residency_audit.profiles import load_profile
    from residency_audit.rules import ClassificationSettings, EvaluationSettings, evaluate

    bucket = Bucket(provider="gcp", scope="p", name="b", uid="gs://b", locations=(_loc("ASIA"),))
    inv = load_catalog().resolve_inventory(
        Inventory(scopes=(ScopeResult(provider="gcp", scope="p"),), buckets=(bucket,))
    )
    settings = EvaluationSettings(
        classification=ClassificationSettings(), attestations=(), today=date(2026, 11, 27)
    )
    found = [f for f in evaluate(inv, load_profile("jp-default"), settings) if f.location]
    assert found
    for f in found:
        assert "does not disclose" not in f.message.ja
        assert "公開していない" in f.message.ja
        assert "does not disclose" in f.message.en
