"""Why a location's region is unknown (``Location.why``) and why a setting was not read
(``Gap.why``) are said in the reader's language; an inventory written before ``why`` existed
still loads, its English sentence quoted in Japanese."""

from __future__ import annotations

from datetime import date

from residency_audit import report
from residency_audit.catalog import load_catalog
from residency_audit.evidence import gap_reason_text, reason_text
from residency_audit.markup import code, quote
from residency_audit.model import (
    Bucket,
    Evidence,
    Gap,
    Hidden,
    Inventory,
    Location,
    Role,
    ScopeResult,
)
from residency_audit.profiles import load_profile
from residency_audit.rules import ClassificationSettings, EvaluationSettings, evaluate
from residency_audit.rules.gaps import location_gap_drafts
from residency_audit.rules.locations import group_locations
from tests.report_builders import build_result

COPY = Hidden.COPY
SENTENCE = "destination bucket does not exist (NoSuchBucket)"
MISSING = Evidence(key="aws.destination-missing", value="NoSuchBucket")
UNREAD = Evidence(key="aws.destination-region-unread", text="GetBucketLocation AccessDenied")


def _replica(why: Evidence | None, region: str | None = None) -> Location:
    return Location(
        role=Role.REPLICA,
        provider="aws",
        region=region,
        mechanism="s3-replication",
        unknown_reason=SENTENCE,
        why=why,
    )


def _bucket(*locations: Location) -> Bucket:
    resolved = tuple(
        loc.model_copy(update={"resolution": load_catalog().resolve(loc)}) for loc in locations
    )
    return Bucket(provider="aws", scope="1", name="b", uid="arn:aws:s3:::b", locations=resolved)


def test_an_inventory_written_before_loads_and_quotes_its_sentence_in_japanese() -> None:
    raw = {"role": "replica", "provider": "aws", "region": None, "mechanism": "s3-replication"}
    old = Location.model_validate({**raw, "unknown_reason": SENTENCE})
    assert old.why is None
    assert reason_text(old, "ja") == quote(SENTENCE)
    assert reason_text(old, "en") == SENTENCE
    assert reason_text(Location.model_validate(raw), "ja") is None
    # and a new one round-trips its reason as values
    new = _replica(UNREAD)
    assert Location.model_validate_json(new.model_dump_json()) == new


def test_the_findings_reason_is_in_japanese_once_and_keeps_the_api_words_quoted() -> None:
    [group] = [g for g in group_locations(_bucket(_replica(UNREAD))) if g.role is Role.REPLICA]
    assert group.reasons("ja") == (
        f"複製先のリージョンを読み取れませんでした（{quote('GetBucketLocation AccessDenied')}）",
    )
    assert group.reasons("en") == (
        f"the destination's region could not be read ({quote('GetBucketLocation AccessDenied')})",
    )


def test_an_unmapped_region_note_carries_the_worded_reason() -> None:
    res = load_catalog().resolve(_replica(MISSING, region="xx-nowhere-9"))
    assert res.unmapped
    assert res.note_ja.endswith(f"複製先のバケットが存在しません（{code('NoSuchBucket')}）")
    assert SENTENCE not in res.note_ja
    [group] = group_locations(_bucket(_replica(MISSING, region="xx-nowhere-9")))
    assert group.reasons("ja") == (res.note_ja,)  # the note holds the reason: said once


def test_a_japanese_finding_has_no_english_from_the_plugin() -> None:
    inv = Inventory(
        scopes=(ScopeResult(provider="aws", scope="1"),),
        buckets=(_bucket(_replica(MISSING)),),
    )
    settings = EvaluationSettings(
        classification=ClassificationSettings(), attestations=(), today=date(2026, 12, 2)
    )
    found = [
        f
        for f in evaluate(inv, load_profile("jp-default"), settings)
        if f.rule_id == "location.unknown"
    ]
    assert found
    for f in found:
        assert "複製先のバケットが存在しません" in f.message.ja
        assert "does not exist" not in f.message.ja
        assert "the destination bucket does not exist" in f.message.en


def test_an_unread_setting_is_said_in_japanese_and_an_old_gap_keeps_its_quoted_reason() -> None:
    why = Evidence(
        key="aws.read-failed", subject="GetBucketReplication", value="AccessDenied", text="Denied"
    )
    new = Gap(field="replication", reason="GetBucketReplication failed", why=why, hides=(COPY,))
    old = Gap.model_validate(
        {"field": "replication", "reason": "HeadBucket 403", "may_hide_copy": True}
    )
    assert old.why is None and old.hides == (COPY,)
    assert gap_reason_text(old, "ja") == quote("HeadBucket 403")
    assert Gap.model_validate_json(new.model_dump_json()) == new
    bucket = Bucket(provider="aws", scope="1", name="b", uid="arn:aws:s3:::b", gaps=(new,))
    [draft] = location_gap_drafts(bucket)
    assert "の呼び出しに失敗しました" in draft.message.ja
    assert "failed" not in draft.message.ja
    assert f"{code('GetBucketReplication')} failed: {code('AccessDenied')}" in draft.message.en


def test_a_hostile_reason_stays_text_in_the_coverage_list_and_its_gaps_table() -> None:
    hostile = "</q><script>alert(1)</script>\ue001x"
    result = build_result()
    buckets = []
    for b in result.inventory.buckets:
        locs = tuple(
            loc.model_copy(
                update={"why": Evidence(key="aws.destination-region-unread", text=hostile)}
            )
            if loc.region is None
            else loc
            for loc in b.locations
        )
        gaps = tuple(
            g.model_copy(update={"why": Evidence(key="aws.read-failed", subject=hostile)})
            for g in b.gaps
        )
        buckets.append(b.model_copy(update={"locations": locs, "gaps": gaps}))
    inventory = result.inventory.model_copy(update={"buckets": tuple(buckets)})
    page = report.render_html(result.model_copy(update={"inventory": inventory}), "ja")
    coverage = page[page.index('class="unknown-list"') :]
    coverage = coverage[: coverage.index("</ul>")]
    assert "複製先のリージョンを読み取れませんでした" in coverage
    assert "&lt;/q&gt;&lt;script&gt;alert(1)&lt;/script&gt;x" in coverage  # one quotation, inert
    assert "<script" not in coverage and "\ue001" not in coverage
    table = page[page.index('<table class="gaps">') :]
    table = table[: table.index("</table>")]
    assert "の呼び出しに失敗しました" in table and "<script" not in table
