"""What a scan (or an offline evaluation) produces: metadata, coverage and findings.

``ScanResult`` is what every report renders. Its JSON form (``findings.json``) is versioned by
``FINDINGS_SCHEMA``; see docs/findings-schema.md for the stable keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .model import Finding, Inventory
from .profiles.model import Weakening
from .rules.settings import Attestation
from .spill import Items

__all__ = ["FINDINGS_SCHEMA", "Coverage", "ProfileRef", "ScanMeta", "ScanResult", "UnmappedCode"]

FINDINGS_SCHEMA = "residency-audit/findings/v1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UnmappedCode(_Frozen):
    """A location code the catalog does not know (a region newer than the shipped catalog, say),
    and where the scan saw it: its locations resolve to UNKNOWN, and this names the code."""

    provider: str
    namespace: str
    code: str
    locations: int  # how many locations carry the code
    seen_at: tuple[str, ...]  # the first few, "bucket uid (role)"


class Coverage(_Frozen):
    scopes_total: int
    scopes_complete: int
    scopes_incomplete: int
    scopes_failed: int
    buckets: int
    buckets_with_gaps: int
    locations: int
    locations_unknown: int  # no country could be determined
    locations_unverified: int  # resolved from a catalog row marked UNVERIFIED
    unclassified_buckets: int
    complete: bool
    unmapped_codes: tuple[UnmappedCode, ...] = ()
    # inventory-service sources: buckets read from one, those with settings read live instead
    # (too old, or not recorded), and the verification sample's disagreements
    buckets_from_inventory: int = 0
    buckets_read_live_instead: int = 0
    inventory_disagreements: int = 0

    @property
    def nothing_collected(self) -> bool:
        """Every scope failed: the scan holds nothing, which no reader may take for an empty
        estate. (No scope at all is an empty estate, read completely.)"""
        return self.scopes_total > 0 and self.scopes_failed == self.scopes_total


class ProfileRef(_Frozen):
    name: str
    sha256: str
    base: str | None = None
    weakened: tuple[Weakening, ...] = ()
    # how the profile classifies every country the inventory's locations resolve to:
    # "concern", "gov" (government access, not concern), "caution" or "allowed"
    country_tiers: dict[str, str] = {}


class ScanMeta(_Frozen):
    id: str
    started: datetime
    finished: datetime
    tool_version: str
    profile: ProfileRef
    providers: tuple[str, ...]
    coverage: Coverage
    # rules left out by --exclude-rules / --rules: their findings are not looked for, so the
    # history resolves none of theirs and no ticket may be closed for them
    rules_not_run: tuple[str, ...] = ()


class ScanResult(BaseModel):
    """findings.json: ``schema``, ``scan`` and ``findings`` are stable keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["residency-audit/findings/v1"] = Field(
        default="residency-audit/findings/v1", alias="schema"
    )
    scan: ScanMeta
    findings: Items[Finding]  # a Spill (on disk) from a scan; a tuple from a file or from code
    # history: findings present in the previous scan and absent now (state RESOLVED)
    resolved: tuple[Finding, ...] = ()
    previous_scan_id: str | None = None
    stale_suppressions: tuple[str, ...] = ()  # suppression ids that matched nothing
    # the (1)-1 / (2)-3 attestations from the scan config, shown in the report's guideline view
    attestations: tuple[Attestation, ...] = ()
    # the resolved inventory the findings were made from (written separately as inventory.json)
    inventory: Inventory = Field(exclude=True)
