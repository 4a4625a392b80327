"""The guideline items ship as package data and are validated when loaded."""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from typing import Any

import pytest

from residency_audit import guideline
from residency_audit.guideline import (
    GUIDELINE_DATE,
    GUIDELINE_TITLE_JA,
    ITEM_IDS,
    METI_QA_URL,
    GuidelineDataError,
    guideline_item,
    guideline_items,
    parse_items,
)


def shipped() -> dict[str, Any]:
    raw = files("residency_audit.guideline").joinpath("items.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def has_japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def test_exactly_the_canonical_items_in_order() -> None:
    assert ITEM_IDS == ("(1)-1", "(1)-2", "(1)-3", "(1)-note", "(2)-1", "(2)-2", "(2)-3")
    assert tuple(i.id for i in guideline_items()) == ITEM_IDS


def test_every_item_has_japanese_and_english_text() -> None:
    for item in guideline_items():
        assert has_japanese(item.gist_ja) and has_japanese(item.treatment_ja)
        assert not has_japanese(item.gist_en) and not has_japanese(item.treatment_en)
        assert item.gist_en.strip() and item.treatment_en.strip()


def test_items_say_what_the_auditor_checks() -> None:
    assert "backup" in guideline_item("(2)-1").gist_en.lower()
    assert "バックアップ" in guideline_item("(2)-1").gist_ja
    assert "attestation" in guideline_item("(1)-1").treatment_en
    assert "government_access" in guideline_item("(2)-2").treatment_en
    with pytest.raises(KeyError):
        guideline_item("(3)-1")


def test_reference_constants_cite_the_original() -> None:
    assert GUIDELINE_DATE == "2013-06-26"
    assert "自主管理ガイドライン" in GUIDELINE_TITLE_JA
    assert METI_QA_URL.endswith("/policy/anpo/qanda25.html")
    assert guideline.SUMMARY_NOTICE_EN and has_japanese(guideline.SUMMARY_NOTICE_JA)


def _mutated(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(shipped())
    change(data["items"])
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda items: items.append(dict(items[0])), "duplicate"),
        (lambda items: items.pop(3), "lacks"),
        (lambda items: items[0].update(id="(1)-4"), "unknown item id"),
        (lambda items: items[2].update(gist_ja="  "), "gist_ja"),
        (lambda items: items[2].pop("treatment_en"), "treatment_en"),
        (lambda items: items[1].update(extra="x"), "unexpected"),
    ],
    ids=["duplicate", "missing", "unknown-id", "empty-ja", "missing-en", "extra-key"],
)
def test_bad_data_is_rejected_at_load(change: Any, message: str) -> None:
    with pytest.raises(GuidelineDataError, match=message):
        parse_items(_mutated(change))


def test_shipped_data_parses_in_canonical_order_whatever_the_file_order() -> None:
    data = _mutated(lambda items: items.reverse())
    assert tuple(i.id for i in parse_items(data)) == ITEM_IDS
