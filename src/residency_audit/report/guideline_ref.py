"""The guideline facts a report cites: original title, date, item IDs and short gists.

One function, :func:`guideline_reference`, is the only place the report gets these from, so the
source can be swapped for the ``residency_audit.guideline`` package without touching templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

__all__ = ["GuidelineRef", "ItemRef", "guideline_reference"]


@dataclass(frozen=True)
class ItemRef:
    id: str
    gist_ja: str
    gist_en: str

    def gist(self, lang: str) -> str:
        return self.gist_ja if lang == "ja" else self.gist_en


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
    items: tuple[ItemRef, ...]

    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)


@cache
def guideline_reference() -> GuidelineRef:
    # Deferred import: the guideline package validates its data file on first use.
    try:
        from .. import guideline as g
    except ImportError:  # pragma: no cover - only until the guideline package is committed
        return _FALLBACK

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
        items=tuple(ItemRef(i.id, i.gist_ja, i.gist_en) for i in g.guideline_items()),
    )


# Minimal stand-in, used only while ``residency_audit.guideline`` is not installed.
_FALLBACK = GuidelineRef(
    title_ja="安全保障輸出管理に係る機微な技術情報を、外国のサーバーに保管する場合等における"
    "自主管理ガイドライン",
    title_en="Self-management guideline for keeping export-control-sensitive technical "
    "information on servers abroad",
    publisher_ja="一般財団法人安全保障貿易情報センター（CISTEC）",
    publisher_en="Center for Information on Security Trade Control (CISTEC)",
    date="2013-06-26",
    qa_title_ja="経済産業省 安全保障貿易管理ホームページの Q&A（技術関係）",
    qa_title_en="METI Security Export Control website, Q&A (technology)",
    qa_url="http://www.meti.go.jp/policy/anpo/qanda25.html",
    summary_notice_ja="各項目の要旨は本ツールによる独自の要約であり、ガイドラインの本文ではありません。",
    summary_notice_en="The item summaries are this tool's own words, not the guideline's text.",
    items=(
        ItemRef("(1)-1", "契約上、事業者が正当な理由なく情報を閲覧・取得しないことの確認",
                "Contract: the provider does not view or take the data without consent"),
        ItemRef("(1)-2", "第三者による閲覧・取得を防ぐ措置の確認",
                "Measures that stop third parties viewing or taking the data"),
        ItemRef("(1)-3", "懸念国・地域に置かないよう保管国・地域を指定",
                "Designate where the data is kept, away from countries of concern"),
        ItemRef("(1)-note", "暗号化して保管することも有効",
                "Storing the data encrypted is also an effective measure"),
        ItemRef("(2)-1", "保管サーバー（バックアップ用を含む）の設置国・地域が懸念国・地域",
                "A server keeping the data (backups included) is in a country of concern"),
        ItemRef("(2)-2", "当該国・地域の政府機関等が自由に閲覧・取得できる状態",
                "That country's government can freely view or take the data"),
        ItemRef("(2)-3", "事業者が事前了承なく閲覧・取得し、又は第三者にさせている",
                "The provider views or takes the data, or lets others, without consent"),
    ),
)  # fmt: skip
