"""Country names in Japanese and English: what a reader sees instead of an ISO code.

Both languages come from the Unicode CLDR, as Babel ships it (``Locale("ja").territories``), for
every code of the shipped ISO 3166-1 list. Babel's compiled data keeps only CLDR's default form of
each name, so the few places where the report needs another form are overridden below, each with
its reason. A code CLDR does not name is shown as the bare code: never dropped.
"""

from __future__ import annotations

from functools import cache

from .catalog import iso_countries

__all__ = ["country_name", "country_names"]

# ISO alpha-2 -> (Japanese, English) where CLDR's default form is not what the report should say.
_OVERRIDES: dict[str, tuple[str, str]] = {
    # CLDR's default is the legal title ("中華人民共和国香港特別行政区", "Hong Kong SAR China"),
    # which reads as mainland China; the rules treat HK and MO on their own. Both are CLDR's
    # own alt="short" forms.
    "HK": ("香港", "Hong Kong"),
    "MO": ("マカオ", "Macao"),
    # reports write "name (code)": CLDR's parenthesised defaults ("ミャンマー (ビルマ)",
    # "コンゴ民主共和国(キンシャサ)") would nest brackets. CLDR's alt="short" / alt="variant"
    # forms; English keeps its default where it has no brackets.
    "MM": ("ミャンマー", "Myanmar"),
    "CD": ("コンゴ民主共和国", "Congo - Kinshasa"),
    "CG": ("コンゴ共和国", "Congo - Brazzaville"),
}


@cache
def country_names() -> dict[str, tuple[str, str]]:
    """ISO alpha-2 -> (Japanese name, English name)."""
    from babel import Locale  # on first use: rules and reports import this module at start-up

    ja, en = Locale("ja").territories, Locale("en").territories
    return {
        cc: _OVERRIDES.get(cc) or (str(ja.get(cc, cc)), str(en.get(cc, cc)))
        for cc in iso_countries()
    }


def country_name(code: str, lang: str) -> str:
    names = country_names().get(code)
    if names is None:
        return code
    return names[0] if lang == "ja" else names[1]
