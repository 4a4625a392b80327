"""CISTEC's 2013 storage guideline, item by item, as data.

The items (gist and how the auditor treats each one, in Japanese and English) live in the package
data file ``items.json`` and are validated when first loaded: exactly the IDs in :data:`ITEM_IDS`,
in that order, none twice, every text present in both languages. The summaries are our own words,
not a translation; reports cite the original (:data:`GUIDELINE_TITLE_JA`, :data:`GUIDELINE_DATE`)
and point to METI's Q&A (:data:`METI_QA_URL`), which the guideline tells users to read first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = [
    "GUIDELINE_DATE",
    "GUIDELINE_PUBLISHER_EN",
    "GUIDELINE_PUBLISHER_JA",
    "GUIDELINE_TITLE_EN",
    "GUIDELINE_TITLE_JA",
    "ITEM_IDS",
    "METI_CIRCULAR_DATE",
    "METI_QA_TITLE_EN",
    "METI_QA_TITLE_JA",
    "METI_QA_URL",
    "SUMMARY_NOTICE_EN",
    "SUMMARY_NOTICE_JA",
    "GuidelineDataError",
    "GuidelineItem",
    "guideline_item",
    "guideline_items",
    "parse_items",
]

ITEM_IDS: tuple[str, ...] = ("(1)-1", "(1)-2", "(1)-3", "(1)-note", "(2)-1", "(2)-2", "(2)-3")

GUIDELINE_TITLE_JA = (
    "安全保障輸出管理に係る機微な技術情報を、外国のサーバーに保管する場合等における"
    "自主管理ガイドライン"
)
# Our rendering of the title, for English reports; the Japanese title is the one to cite.
GUIDELINE_TITLE_EN = (
    "Self-management guideline for keeping export-control-sensitive technical information "
    "on servers abroad"
)
GUIDELINE_PUBLISHER_JA = "一般財団法人安全保障貿易情報センター（CISTEC）"
GUIDELINE_PUBLISHER_EN = "Center for Information on Security Trade Control (CISTEC)"
GUIDELINE_DATE = "2013-06-26"

METI_CIRCULAR_DATE = "2013-06-21"
METI_QA_TITLE_JA = "経済産業省 安全保障貿易管理ホームページの Q&A（技術関係）"
METI_QA_TITLE_EN = "METI Security Export Control website, Q&A (technology)"
METI_QA_URL = "http://www.meti.go.jp/policy/anpo/qanda25.html"

SUMMARY_NOTICE_JA = (
    "各項目の要旨は本ツールによる独自の要約であり、ガイドラインの本文ではありません。"
    "必ず原文を参照してください。"
)
SUMMARY_NOTICE_EN = (
    "The item summaries are this tool's own words, not the guideline's text or a translation "
    "of it. Refer to the Japanese original."
)

_TEXT_FIELDS = ("gist_ja", "gist_en", "treatment_ja", "treatment_en")


class GuidelineDataError(ValueError):
    """The guideline data file does not hold exactly the expected items."""


@dataclass(frozen=True)
class GuidelineItem:
    id: str
    gist_ja: str
    gist_en: str
    treatment_en: str
    treatment_ja: str


def parse_items(data: Any) -> tuple[GuidelineItem, ...]:
    """Validate the data file's content and build the items, in :data:`ITEM_IDS` order."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise GuidelineDataError("guideline data must be an object with an 'items' list")
    seen: dict[str, GuidelineItem] = {}
    for index, raw in enumerate(data["items"]):
        if not isinstance(raw, dict):
            raise GuidelineDataError(f"items[{index}] is not an object")
        item_id = raw.get("id")
        if item_id not in ITEM_IDS:
            raise GuidelineDataError(f"items[{index}]: unknown item id {item_id!r}")
        if item_id in seen:
            raise GuidelineDataError(f"items[{index}]: duplicate item id {item_id!r}")
        extra = set(raw) - {"id", *_TEXT_FIELDS}
        if extra:
            raise GuidelineDataError(f"item {item_id}: unexpected keys {sorted(extra)}")
        for name in _TEXT_FIELDS:
            value = raw.get(name)
            if not isinstance(value, str) or not value.strip():
                raise GuidelineDataError(f"item {item_id}: {name} is missing or empty")
        seen[item_id] = GuidelineItem(
            id=item_id,
            gist_ja=raw["gist_ja"],
            gist_en=raw["gist_en"],
            treatment_en=raw["treatment_en"],
            treatment_ja=raw["treatment_ja"],
        )
    missing = [i for i in ITEM_IDS if i not in seen]
    if missing:
        raise GuidelineDataError(f"guideline data lacks items {missing}")
    return tuple(seen[i] for i in ITEM_IDS)


@cache
def guideline_items() -> tuple[GuidelineItem, ...]:
    """The seven items, in canonical order (loaded once, on first call)."""
    raw = files("residency_audit.guideline").joinpath("items.json").read_text(encoding="utf-8")
    return parse_items(json.loads(raw))


def guideline_item(item_id: str) -> GuidelineItem:
    """One item by its exact ID; KeyError for anything else."""
    for item in guideline_items():
        if item.id == item_id:
            return item
    raise KeyError(item_id)
