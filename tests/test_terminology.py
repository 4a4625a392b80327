"""Words an export-control reader trusts: the Order's own names for Group A and its tables,
no 「許可国」 (許可 reads as an export licence), the guideline's なお書き for ``(1)-note``, a
glossary in the report, profile bases that cite only primary government texts, and tickets in
the report's words (重大 for critical, names for roles and countries)."""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from residency_audit import report
from residency_audit.errors import ConfigError
from residency_audit.model import Certainty, Role, Severity
from residency_audit.profiles import load_profile
from residency_audit.profiles.builtin import BUILTIN_NAMES, PRIMARY_HOSTS, primary_source
from residency_audit.profiles.describe import profile_summary
from residency_audit.report.labels import all_labels
from residency_audit.tickets.buckets import FlaggedBucket
from residency_audit.tickets.content import ticket_text
from residency_audit.tickets.render import to_text
from tests.report_builders import build_result, demo_result
from tests.test_report_browser import Watched, browser  # noqa: F401  (the Chromium fixture)

GROUP_A_JA = "グループA（輸出貿易管理令別表第3の国）"
GROUP_A_EN = "Group A (Export Trade Control Order, Appended Table 3)"
# Where the secondary copies the bases used to cite live; none may be shown as a basis.
SECONDARY = ("nicovideo", "123deta", "wikipedia", "nagoya-u", "tsukanboeki", "gov-base.info")


def _bases_toml() -> dict[str, Any]:
    text = files("residency_audit.profiles").joinpath("data", "bases.toml").read_text("utf-8")
    return tomllib.loads(text)


def _shown_bases() -> list[dict[str, Any]]:
    """Every basis as `profiles show` and the reports get it, for every built-in profile."""
    rows = [r for name in BUILTIN_NAMES for r in profile_summary(load_profile(name))["countries"]]
    return [b for r in rows for b in r["bases"]]


# -- labels ---------------------------------------------------------------------------------------


def test_no_label_says_kyoka_koku_and_the_allowed_tier_says_storage() -> None:
    labels = all_labels()
    assert not [k for k, v in labels.items() if "許可国" in v["ja"]]
    assert "保管を認める国・地域" in labels["tier.ok"]["ja"]
    assert "保管を認める国・地域" in labels["tier.caution"]["ja"]
    assert "allowed for storage" in labels["tier.caution"]["en"]
    assert labels["term.allowed"] == {
        "ja": "保管を認める国・地域",
        "en": "Countries allowed for storage",
    }


def test_group_a_and_the_note_carry_the_names_the_reader_knows() -> None:
    labels = all_labels()
    assert labels["term.group-a"] == {"ja": GROUP_A_JA, "en": GROUP_A_EN}
    assert labels["item.(1)-note"] == {"ja": "なお書き", "en": "the note (なお書き)"}
    assert labels["tier.concern"]["ja"] == "懸念国・地域"
    assert labels["severity.critical"]["ja"] == "重大"
    # the profile's basis for Group A is the same words, so a rule message quoting it matches
    (basis,) = load_profile("jp-default").allowed["US"]
    assert (basis.label_ja, basis.label_en) == (GROUP_A_JA, GROUP_A_EN)


def test_profile_descriptions_use_the_same_words() -> None:
    for name in BUILTIN_NAMES:
        p = load_profile(name)
        assert "許可" not in p.description_ja and "許容" not in p.description_ja, name
        assert "懸念国・地域" in p.description_ja and "保管を認める国・地域" in p.description_ja
        assert "グループA（輸出貿易管理令別表第3の国）" in p.description_ja
        assert "Appended Table 3)" in p.description_en and "allowed for storage" in p.description_en


# -- bases: primary sources only ------------------------------------------------------------------


def test_every_shown_source_cites_a_primary_government_text() -> None:
    shown = _shown_bases()
    assert len({b["label_en"] for b in shown}) == len(_bases_toml())  # every basis is in use
    for b in shown:
        source = b["source"]
        hosts = re.findall(r"https?://([^/\s]+)", source)
        assert all(h in PRIMARY_HOSTS for h in hosts), (b["label_en"], hosts)
        if b["policy_default"]:
            assert "CISTEC" in source and "2013-06-26" in source, b["label_en"]
        else:
            # the Order with its e-Gov number and appended table, or METI's notice with its date
            order = "324CO0000000378" in source and "昭和24年政令第378号" in source
            table = order and "別表第" in source
            meti = re.search(r"^経済産業省「[^」]+」, \d{4}-\d{2}-\d{2}", source)
            assert table or meti, b["label_en"]


def test_secondary_copies_are_kept_only_as_corroboration() -> None:
    data = _bases_toml()
    leads = " ".join(lead for b in data.values() for lead in b.get("corroboration", []))
    assert "nicovideo" in leads and "123deta" in leads  # kept, as leads to the primary text
    shown = " ".join(f"{b['label_en']} {b['label_ja']} {b['source']}" for b in _shown_bases())
    assert not [s for s in SECONDARY if s in shown]
    assert all("corroboration" not in b for b in _shown_bases())


def test_a_secondary_url_as_a_source_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError) as err:
        primary_source(
            "Group A per https://dic.nicovideo.jp/a/x", file="bases.toml", key="group-a.source"
        )
    assert "group-a.source" in str(err.value) and "dic.nicovideo.jp" in str(err.value)
    assert "corroboration" in str(err.value)
    ok = "e-Gov: https://laws.e-gov.go.jp/law/324CO0000000378"
    assert primary_source(ok, file="bases.toml", key="k") == ok


# -- the glossary ---------------------------------------------------------------------------------


def _section(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', page, re.S)
    assert match, section_id
    return match.group(1)


def _lang_text(fragment: str, lang: str) -> str:
    return " ".join(re.findall(rf'<span class="tx" lang="{lang}">([^<]*)</span>', fragment))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_report_has_a_glossary_of_its_own_terms(lang: str) -> None:
    page = report.render_html(build_result(), lang)
    glossary = _section(page, "glossary")
    assert 'href="#glossary"' in page  # reachable from the table of contents
    ja, en = _lang_text(glossary, "ja"), _lang_text(glossary, "en")
    labels = all_labels()
    for term in (
        "term.group-a",
        "tier.concern",
        "classification.sensitive",
        "item.(1)-note",
        "role.geo-secondary",
        "role.multi-region-member",
        "encryption.customer-managed",
        "badge.unverified",
        "badge.derived",
    ):
        # the term is the very label the rest of the report shows, in both languages
        assert labels[term]["ja"] in ja and labels[term]["en"] in en, term
    assert GROUP_A_JA in ja and "輸出許可とは関係がありません" in ja
    # the id JSON and CSV use is explained once, here, and as code, not as a word
    assert "<code>(1)-note</code>" in glossary and "(1)-note" not in ja + en
    assert "許可国" not in glossary


def test_no_rendered_report_says_kyoka_koku() -> None:
    """Neither the labels nor the rules' messages and remediations call the allowed tier 許可."""
    for lang in ("ja", "en"):
        page = report.render_html(demo_result(), lang)
        for word in ("許可国", "許可された国", "許可されていない国"):
            assert word not in page, word


# -- tickets --------------------------------------------------------------------------------------


def _bucket(severity: Severity, item: str, role: Role, certainty: Certainty) -> FlaggedBucket:
    from tests.tickets.conftest import finding

    f = finding("alpha", severity=severity, item=item)
    assert f.location is not None
    loc = f.location.model_copy(update={"role": role, "certainty": certainty})
    f = f.model_copy(update={"location": loc})
    return FlaggedBucket("k1", "aws", "111111111111", f.resource.uid, "alpha", (f,))  # type: ignore[union-attr]


def test_tickets_use_the_reports_words() -> None:
    b = _bucket(Severity.CRITICAL, "(2)-1", Role.GEO_SECONDARY, Certainty.POSSIBLE)
    ja = ticket_text(b, lang="ja", scan_id="s1", report=None)
    body = to_text(ja.body)
    assert "（重大）" in ja.title and "緊急" not in ja.title + body
    assert "[重大]" in body and "地理冗長セカンダリ" in body and "可能性あり" in body
    assert "香港 (HK)" in body  # the country's name, the code at most in parentheses
    assert "s3-replication" not in body and "geo-secondary" not in body  # no codes in Japanese
    en = ticket_text(b, lang="en", scan_id="s1", report=None)
    assert "(Critical)" in en.title and "Geo-secondary" in to_text(en.body)
    assert "Hong Kong (HK)" in to_text(en.body)


def test_a_ticket_calls_the_note_nakagaki() -> None:
    b = _bucket(Severity.HIGH, "(1)-note", Role.REPLICA, Certainty.CONFIRMED)
    ja = ticket_text(b, lang="ja", scan_id="s1", report=None)
    assert "ガイドライン なお書き" in ja.title and "(1)-note" not in ja.title
    en = ticket_text(b, lang="en", scan_id="s1", report=None)
    assert "the note (なお書き)" in en.title


@pytest.mark.browser
def test_glossary_is_shown_in_the_browser_in_the_readers_language(
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    w = Watched(browser)
    page = w.open(build_result(), tmp_path, lang="ja")
    glossary = page.locator("#glossary")
    glossary.scroll_into_view_if_needed()  # sections below the fold are laid out when reached
    assert glossary.is_visible()
    expect(glossary).to_contain_text(GROUP_A_JA, use_inner_text=True)  # waits for that layout
    text = glossary.inner_text()
    assert GROUP_A_JA in text and "なお書き" in text and GROUP_A_EN not in text
    page.click("#lang-switch button[data-lang='en']")
    glossary.scroll_into_view_if_needed()
    expect(glossary).to_contain_text(GROUP_A_EN, use_inner_text=True)
    text = glossary.inner_text()
    assert GROUP_A_EN in text and "the note (なお書き)" in text and "用語集" not in text
    w.clean()
    w.close()
