"""Country names in Japanese and English: what a reader sees instead of an ISO code.

English names come from the shipped ISO 3166-1 list; Japanese names from
``data/countries_ja.json`` (every country of the catalog and built-in profiles, and more). A code
missing from either is shown as its English name, or as the bare code: never dropped.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from .catalog import iso_countries

__all__ = ["country_name", "country_names"]


@cache
def country_names() -> dict[str, tuple[str, str]]:
    """ISO alpha-2 -> (Japanese name, English name)."""
    raw = files("residency_audit.catalog").joinpath("data", "countries_ja.json")
    japanese = {
        k: v
        for k, v in json.loads(raw.read_text(encoding="utf-8")).items()
        if not k.startswith("_")
    }
    return {cc: (japanese.get(cc, en), en) for cc, en in iso_countries().items()}


def country_name(code: str, lang: str) -> str:
    names = country_names().get(code)
    if names is None:
        return code
    return names[0] if lang == "ja" else names[1]
