"""Every country a report can name has a Japanese and an English name from CLDR (via Babel),
in the short form readers expect; the few overrides are needed and say why."""

from __future__ import annotations

import csv
import re
from importlib.resources import files

import pytest
from babel import Locale

from residency_audit.catalog import load_catalog
from residency_audit.catalog import names as names_module
from residency_audit.catalog.names import country_name, country_names
from residency_audit.profiles import builtin_profiles, load_profile
from residency_audit.rules._text import country

_LATIN = re.compile(r"[A-Za-z]")
_KANA_OR_KANJI = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _iso_codes() -> set[str]:
    raw = files("residency_audit.catalog").joinpath("data", "iso3166_1.csv")
    return {row["alpha_2"] for row in csv.DictReader(raw.read_text("utf-8").splitlines())}


def _profile_codes() -> set[str]:
    codes: set[str] = set()
    for name in builtin_profiles():
        p = load_profile(name)
        codes |= set(p.concern) | set(p.government_access) | set(p.allowed)
    return codes


def _reachable() -> set[str]:
    catalog = {cc for e in load_catalog().entries() for cc in e.countries if cc}
    return catalog | _profile_codes() | _iso_codes()


def test_the_sources_of_codes_are_not_empty() -> None:
    # a broken loader must not make the next test pass over nothing
    assert len(_iso_codes()) >= 249 and {"JP", "CN", "US"} <= _profile_codes()
    assert {"HK", "JP", "US"} <= {cc for e in load_catalog().entries() for cc in e.countries}


@pytest.mark.parametrize("code", sorted(_reachable()))
def test_every_reachable_code_has_a_name_in_both_languages(code: str) -> None:
    ja, en = country_name(code, "ja"), country_name(code, "en")
    assert ja != code and en != code
    assert not _LATIN.search(ja), f"English in the Japanese name of {code}: {ja!r}"
    assert _KANA_OR_KANJI.search(ja), f"no Japanese in the name of {code}: {ja!r}"
    assert not _KANA_OR_KANJI.search(en), f"Japanese in the English name of {code}: {en!r}"


def test_countries_once_shown_in_english_in_japanese_reports_now_have_japanese_names() -> None:
    assert [country_name(cc, "ja") for cc in ("HT", "ML", "NI", "ZW")] == [
        "ハイチ",
        "マリ",
        "ニカラグア",
        "ジンバブエ",
    ]
    assert country("ZW").ja == "ジンバブエ（ZW）"


def test_short_forms_readers_expect() -> None:
    assert {cc: country_name(cc, "ja") for cc in ("HK", "TW", "MO", "CN", "KR", "KP")} == {
        "HK": "香港",
        "TW": "台湾",
        "MO": "マカオ",
        "CN": "中国",
        "KR": "韓国",
        "KP": "北朝鮮",
    }
    assert {cc: country_name(cc, "en") for cc in ("HK", "MO", "TW", "RU")} == {
        "HK": "Hong Kong",
        "MO": "Macao",
        "TW": "Taiwan",
        "RU": "Russia",
    }
    # the report writes "name (code)": no name brings brackets of its own to nest
    assert country("MM").en == "Myanmar (MM)" and country("CD").ja == "コンゴ民主共和国（CD）"


def test_every_override_still_differs_from_cldr() -> None:
    """An override CLDR has caught up with is dead weight: this says to remove it."""
    ja, en = Locale("ja").territories, Locale("en").territories
    for cc, (name_ja, name_en) in names_module._OVERRIDES.items():
        assert (name_ja, name_en) != (ja[cc], en[cc]), cc
        assert country_names()[cc] == (name_ja, name_en)


def test_a_code_outside_the_iso_list_is_shown_as_the_bare_code() -> None:
    assert country_name("ZZ", "ja") == "ZZ" and "ZZ" not in country_names()
