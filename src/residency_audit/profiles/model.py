"""Policy profile types: how a country is classified, and why.

A profile sorts countries into tiers -- ``concern`` (guideline item (2)-1), ``caution`` (neither
allowed nor concern; item (1)-3) and ``allowed`` -- and separately flags ``government_access``
jurisdictions (item (2)-2). Every classification carries its basis and source so a report can say
why a country is where it is.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["Basis", "CountryPolicy", "Profile", "Tier", "Weakening"]


class Tier(StrEnum):
    CONCERN = "concern"
    CAUTION = "caution"
    ALLOWED = "allowed"


class Basis(BaseModel):
    """Why a country is in a set: a legal basis or a stated policy default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label_en: str  # e.g. "Appendix 4 (countries of concern), Export Trade Control Order"
    label_ja: str
    source: str  # where the fact comes from (document, URL, date)
    policy_default: bool = False  # True when it is our policy choice rather than a listed fact


class CountryPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str
    tier: Tier
    government_access: bool
    bases: tuple[Basis, ...]  # every basis for the tier and the government-access flag


class Weakening(BaseModel):
    """A country a user profile removed although its base flagged it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str
    removed_from: str  # "concern" or "government_access"
    items: tuple[str, ...]  # guideline items this weakens, e.g. ("(2)-1",)


class Profile(BaseModel):
    """A resolved profile: every set is explicit, nothing is inherited at lookup time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description_en: str
    description_ja: str
    base: str | None = None  # the built-in a user profile extends
    concern: dict[str, tuple[Basis, ...]]  # ISO2 -> bases
    government_access: dict[str, tuple[Basis, ...]]
    allowed: dict[str, tuple[Basis, ...]]
    weakened: tuple[Weakening, ...] = ()

    def classify(self, country: str) -> CountryPolicy:
        """Concern wins over allowed; anything in neither set is caution."""
        gov = country in self.government_access
        bases: list[Basis] = []
        if country in self.concern:
            tier = Tier.CONCERN
            bases.extend(self.concern[country])
        elif country in self.allowed:
            tier = Tier.ALLOWED
            bases.extend(self.allowed[country])
        else:
            tier = Tier.CAUTION
        if gov:
            bases.extend(self.government_access[country])
        return CountryPolicy(country=country, tier=tier, government_access=gov, bases=tuple(bases))

    @property
    def sha256(self) -> str:
        """Hash of the resolved content: name, descriptions, base, every set and every basis."""
        content = self.model_dump(mode="json", exclude={"weakened"})
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
