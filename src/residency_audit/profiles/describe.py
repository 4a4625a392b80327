"""Plain rows describing a profile, for ``residency-audit profiles show`` and reports."""

from __future__ import annotations

from typing import Any

from residency_audit.catalog.names import country_names
from residency_audit.profiles.model import Profile, Tier

__all__ = ["describe_profile", "profile_summary"]

_TIER_ORDER = {Tier.CONCERN: 0, Tier.CAUTION: 1, Tier.ALLOWED: 2}


def describe_profile(profile: Profile) -> list[dict[str, Any]]:
    """One row per country the profile names (any set), worst tier first, then by code.

    Countries in no set are ``caution``; they are not listed (say so when printing).
    """
    names = country_names()  # the report's names (CLDR), in both languages
    listed = set(profile.concern) | set(profile.government_access) | set(profile.allowed)
    rows: list[dict[str, Any]] = []
    for cc in listed:
        policy = profile.classify(cc)
        name_ja, name_en = names.get(cc, ("", ""))
        rows.append(
            {
                "country": cc,
                "name": name_en,
                "name_ja": name_ja,
                "tier": policy.tier.value,
                "government_access": policy.government_access,
                "bases": [b.model_dump() for b in policy.bases],
            }
        )
    rows.sort(
        key=lambda r: (_TIER_ORDER[Tier(r["tier"])], not r["government_access"], r["country"])
    )
    return rows


def profile_summary(profile: Profile) -> dict[str, Any]:
    """Header facts plus the rows: name, sha256, base, descriptions, weakenings, countries."""
    return {
        "name": profile.name,
        "sha256": profile.sha256,
        "base": profile.base,
        "description_en": profile.description_en,
        "description_ja": profile.description_ja,
        "default_tier": Tier.CAUTION.value,
        "weakened": [w.model_dump() for w in profile.weakened],
        "countries": describe_profile(profile),
    }
