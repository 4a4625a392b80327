"""The guideline facts a report cites: original title, date, and the items (gist, treatment).

One function, :func:`guideline_reference`, is the only place the report gets these from: it adapts
``residency_audit.guideline`` (the validated item data) to what the templates need.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .. import guideline as g

__all__ = ["GuidelineRef", "guideline_reference"]


@dataclass(frozen=True)
class GuidelineRef:
    title_ja: str  # the original title: always cited in Japanese, whatever the report language
    title_en: str  # our rendering, for English readers
    publisher_ja: str
    publisher_en: str
    date: str  # ISO date of the original
    qa_title_ja: str
    qa_title_en: str
    qa_url: str  # shown as text only: the report never links or fetches anything external
    summary_notice_ja: str
    summary_notice_en: str
    items: tuple[g.GuidelineItem, ...]  # the validated items themselves: gist and treatment

    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)


@cache
def guideline_reference() -> GuidelineRef:
    # guideline_items() loads and validates the data file on first call (no I/O at import).
    return GuidelineRef(
        title_ja=g.GUIDELINE_TITLE_JA,
        title_en=g.GUIDELINE_TITLE_EN,
        publisher_ja=g.GUIDELINE_PUBLISHER_JA,
        publisher_en=g.GUIDELINE_PUBLISHER_EN,
        date=g.GUIDELINE_DATE,
        qa_title_ja=g.METI_QA_TITLE_JA,
        qa_title_en=g.METI_QA_TITLE_EN,
        qa_url=g.METI_QA_URL,
        summary_notice_ja=g.SUMMARY_NOTICE_JA,
        summary_notice_en=g.SUMMARY_NOTICE_EN,
        items=g.guideline_items(),
    )
