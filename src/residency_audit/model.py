"""The normalized model every provider plugin feeds and everything after collection works on.

No cloud SDK type appears here. Provider plugins translate API responses into these types; the
catalog resolves locations to countries; rules turn buckets into findings; reports render them.

Design rules that the types enforce:

* Every place that holds or may hold a copy is a :class:`Location` with a role, the mechanism that
  put the copy there and a certainty. A location whose region could not be read has ``region=None``
  and an ``unknown_reason`` -- it is never dropped and never assumed safe.
* Every setting that could not be read is a :class:`Gap` on the bucket, with the API's error.
* Models are immutable (frozen); JSON round-trips through pydantic, which also validates inventory
  files loaded from disk (a malformed file names the offending key).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from .spill import Items

__all__ = [
    "FREE_TEXT",
    "INVENTORY_SCHEMA",
    "Bucket",
    "Certainty",
    "Classification",
    "CountryResolution",
    "CoverageNote",
    "EdgeFilter",
    "Encryption",
    "EncryptionTier",
    "Evidence",
    "Gap",
    "Hidden",
    "Inventory",
    "Location",
    "Namespace",
    "PublicAccess",
    "PublicVerdict",
    "Role",
    "ScopeResult",
    "ScopeStatus",
    "bucket_order",
]

INVENTORY_SCHEMA = "residency-audit/inventory/v1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(StrEnum):
    """Why a location may hold a copy of the bucket's data."""

    PRIMARY = "primary"
    REPLICA = "replica"  # replication destination
    BACKUP = "backup"  # backup copy destination
    GEO_SECONDARY = "geo-secondary"  # provider-managed geo-redundant secondary
    MULTI_REGION_MEMBER = "multi-region-member"  # dual-/multi-region member
    KEY = "key"  # where the encryption key lives
    # copies made by services around the bucket (docs/copies-around-buckets.md)
    CACHE = "cache"  # CDN edge caches: whole objects, possible copies wherever the CDN has edges
    TRANSFER = "transfer"  # a transfer job's destination: whole objects, on the job's schedule
    METADATA = "metadata"  # a log, audit-trail or inventory export: object keys and metadata only


class Namespace(StrEnum):
    """Which of a provider's location namespaces a code belongs to (docs/catalog.md)."""

    REGION = "region"  # storage regions, GCS dual-/multi-regions, and zones of a region
    KMS = "kms"  # Cloud KMS key locations: their own names (global, nam-eur-asia1, eur5 ...)
    EDGE_ZONE = "edge-zone"  # Azure Edge Zones (an account's extendedLocation)
    CDN = "cdn"  # a CDN's set of edge locations (cloudfront:PriceClass_All, frontdoor, cloud-cdn)


class Certainty(StrEnum):
    CONFIRMED = "confirmed"
    POSSIBLE = "possible"  # e.g. an undisclosed multi-region's candidate countries


class EncryptionTier(StrEnum):
    NONE = "none"
    PROVIDER_MANAGED = "provider-managed"
    CUSTOMER_MANAGED = "customer-managed"
    CUSTOMER_SUPPLIED = "customer-supplied"
    UNKNOWN = "unknown"


class PublicVerdict(StrEnum):
    BLOCKED = "blocked"  # blocked at every level the provider offers
    NOT_BLOCKED = "not-blocked"  # not public now, but not blocked everywhere
    PUBLIC = "public"  # public access possible now
    UNKNOWN = "unknown"


class Classification(StrEnum):
    SENSITIVE = "sensitive"
    INTERNAL = "internal"
    PUBLIC = "public"
    UNCLASSIFIED = "unclassified"
    UNKNOWN = "unknown"  # the tags could not be read: graded as if sensitive, marked unverified


class CountryResolution(_Frozen):
    """What the catalog says about a location's country (filled in by the resolve stage)."""

    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2; empty = UNKNOWN
    certainty: Certainty = Certainty.CONFIRMED
    verified: bool = True  # False where the catalog row is marked UNVERIFIED
    source: str = ""
    note: str = ""
    note_ja: str = ""  # the same note for Japanese reports (plugin and API texts stay as given)
    unmapped: bool = False  # True where the code is not in the catalog at all (coverage names it)
    # True where a CDN's geo restriction left none of its edge countries: no copy, no finding
    none_left: bool = False

    @property
    def known(self) -> bool:
        return bool(self.countries)


FREE_TEXT = "text"  # the key of an evidence item that is a sentence from an older inventory


class Evidence(_Frozen):
    """One fact a public-access verdict or an encryption tier rests on, as values, not prose.

    ``key`` names the fact (``aws.bpa.flag``, ``gcs.acl-grant``, ``azure.network-default-action``);
    :mod:`residency_audit.evidence` words it in the report's language from the term tables, with
    ``subject`` (a setting name, a principal: shown as a code), ``value`` (a state with a term
    where one exists, else a code) and ``text`` (an API's own words: shown as a quotation). A
    key without a term is shown as its code, never dropped.

    Inventories written before carry plain sentences: each loads as ``key="text"`` with the
    sentence as ``text``, shown as a quotation.
    """

    key: Annotated[str, Field(min_length=1)]
    subject: str | None = None
    value: str | None = None
    text: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_sentence(cls, data: object) -> object:
        return {"key": FREE_TEXT, "text": data} if isinstance(data, str) else data


class EdgeFilter(_Frozen):
    """A CDN's geographic restriction, which narrows the countries its edges may serve from.

    ``allow``: only viewers in ``countries`` are served, so only edges there are taken to cache
    (unless an allowed country has no edge of the set: its viewers are served from edges
    elsewhere, so nothing is narrowed); ``block``: viewers in ``countries`` are refused, so their
    edges are taken out. A viewer is
    served by an edge in or near their own country; an edge elsewhere may still cache an object a
    viewer it serves asked for, which is why the narrowed countries stay ``possible``."""

    mode: Literal["allow", "block"]
    countries: tuple[str, ...]  # ISO 3166-1 alpha-2, as the CDN's API lists them


class Location(_Frozen):
    """One place that holds or may hold a copy of a bucket's data (or its key)."""

    role: Role
    provider: str  # whose region catalog names this region (aws / gcp / azure)
    region: str | None  # the provider's location code; None = could not be determined
    namespace: Namespace = Namespace.REGION  # which catalog namespace ``region`` is a code of
    mechanism: str  # what put the copy there, e.g. "s3-replication", "aws-backup-copy", "grs"
    target: str | None = None  # destination bucket / vault / account / key id, where known
    certainty: Certainty = Certainty.CONFIRMED
    derived: bool = False  # e.g. a geo-secondary taken from the pair table, not the API
    unknown_reason: str | None = None  # why region is None (or why it may be wrong), in English
    # the same reason as values, worded in the reader's language (``reason.<key>`` terms); the
    # API's own words, if any, in its ``text``. None in inventories written before it existed.
    why: Evidence | None = None
    # a CDN's geo restriction (role ``cache``, namespace ``cdn``): applied by the resolve stage
    edge_filter: EdgeFilter | None = None
    resolution: CountryResolution | None = None  # set by the resolve stage


class Encryption(_Frozen):
    tier: EncryptionTier
    key_id: str | None = None
    # what the tier rests on (SSE-KMS with a customer-managed key, infrastructure encryption ...)
    details: tuple[Evidence, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _legacy_detail(cls, data: object) -> object:
        """Inventories written before carry ``detail``, one sentence or null."""
        if isinstance(data, dict) and "detail" in data:
            data = dict(data)
            detail = data.pop("detail")
            if detail and not data.get("details"):
                data["details"] = (detail,)
        return data


class PublicAccess(_Frozen):
    verdict: PublicVerdict
    evidence: tuple[Evidence, ...] = ()  # the facts the verdict rests on


class Hidden(StrEnum):
    """What an unread setting can hide. Each plugin declares, per read, which of these a failure
    of that read hides; the rules turn each into unverified findings under the guideline items
    the hidden fact could trigger (``rules.gaps.HIDDEN_ITEMS``)."""

    COPY = "copy"  # a location holding a copy of the data (replica, backup, region, member ...)
    KEY = "key"  # a location holding the encryption key, or whether the key is customer-managed
    PUBLIC_ACCESS = "public-access"  # whether the bucket is or may become public
    EXTERNAL_ACCESS = "external-access"  # principals outside the organisation with access
    CLASSIFICATION = "classification"  # the tags/labels that say how sensitive the data is


class Gap(_Frozen):
    """A setting or location that could not be read, and what the failure may hide."""

    field: str  # e.g. "encryption", "replication", "backup", "public_access.policy_status"
    reason: str  # in English (for readers of the v1 JSON, and shown when ``why`` is None)
    error_code: str | None = None
    hides: tuple[Hidden, ...] = ()
    # the reason as values (``reason.<key>`` terms): the failed call as the subject, the API's
    # error code as the value and its message as the text
    why: Evidence | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_flag(cls, data: object) -> object:
        """Inventories written before ``hides`` carry ``may_hide_copy``; it means COPY. Our own
        JSON writes it too (computed, for readers of the v1 schema), so drop it on the way in."""
        if isinstance(data, dict) and "may_hide_copy" in data:
            data = dict(data)
            flag = bool(data.pop("may_hide_copy"))
            if flag and not data.get("hides"):
                data["hides"] = (Hidden.COPY,)
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def may_hide_copy(self) -> bool:
        """True where the unread setting could hide a copy (or the key) in another country."""
        return Hidden.COPY in self.hides or Hidden.KEY in self.hides


class Bucket(_Frozen):
    provider: str
    scope: str  # account id / project id / subscription id
    name: str
    uid: str  # stable id: ARN, gs:// URL, ARM resource id
    tags: dict[str, str] = Field(default_factory=dict)
    locations: tuple[Location, ...] = ()
    encryption: Encryption = Encryption(tier=EncryptionTier.UNKNOWN)
    public_access: PublicAccess = PublicAccess(verdict=PublicVerdict.UNKNOWN)
    gaps: tuple[Gap, ...] = ()
    external_principals: tuple[str, ...] = ()  # principals outside the owner's org with access
    classification: Classification | None = None  # set by the evaluate stage from tags
    classification_source: str | None = None  # which tag decided it (set with classification)
    # read from a provider's inventory service (AWS Config, Cloud Asset Inventory, Resource
    # Graph): when it recorded the configuration, and the settings read live instead (too old,
    # or a field the service does not record). None / () = every setting read live by this scan
    captured: datetime | None = None
    read_live: tuple[str, ...] = ()

    @property
    def primary(self) -> Location | None:
        return next((loc for loc in self.locations if loc.role is Role.PRIMARY), None)


def bucket_order(b: Bucket) -> tuple[str, str, str, str]:
    """The order buckets are listed in everywhere: provider, scope, name, uid."""
    return (b.provider, b.scope, b.name, b.uid)


class ScopeStatus(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"  # listed, but part could not be read (a region, a page)
    FAILED = "failed"  # could not be listed at all


class CoverageNote(_Frozen):
    """Something about coverage a plugin wants the report to show (e.g. a region not enabled)."""

    kind: Annotated[str, Field(min_length=1)]  # e.g. "region-not-enabled", "region-unreachable"
    detail: str
    affects_completeness: bool = False  # True makes the scope incomplete (exit 3)
    buckets_missing: bool = False  # True where buckets may be missing (a listing stopped part-way)
    # the figures behind ``detail``, e.g. {"buckets": 412, "replication": 300} for an
    # inventory source's fallback, so coverage can add them up across scopes
    counts: dict[str, int] = Field(default_factory=dict)


class ScopeResult(_Frozen):
    provider: str
    scope: str
    name: str | None = None
    status: ScopeStatus = ScopeStatus.COMPLETE
    error: str | None = None
    bucket_count: int = 0
    notes: tuple[CoverageNote, ...] = ()


class Inventory(_Frozen):
    schema_: Literal["residency-audit/inventory/v1"] = Field(
        default="residency-audit/inventory/v1", alias="schema"
    )
    scan_id: str | None = None
    started: datetime | None = None
    finished: datetime | None = None
    providers: tuple[str, ...] = ()
    scopes: tuple[ScopeResult, ...] = ()
    # a Spill (on disk) from a scan; a tuple from a file or from code
    buckets: Items[Bucket] = ()

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def complete(self) -> bool:
        return all(s.status is ScopeStatus.COMPLETE for s in self.scopes)


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical=4 ... info=0."""
        return _SEVERITY_ORDER.index(self)

    def shifted(self, steps: int) -> Severity:
        """Move up (+) or down (-) by steps, clamped to info..critical."""
        return _SEVERITY_ORDER[max(0, min(len(_SEVERITY_ORDER) - 1, self.rank + steps))]


_SEVERITY_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


class Text(_Frozen):
    """A message in both report languages."""

    ja: str
    en: str

    def get(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


class ResourceRef(_Frozen):
    name: str
    uid: str


class FindingLocation(_Frozen):
    role: Role
    region: str | None
    country: str | None  # the country that triggered the finding (worst first); None = UNKNOWN
    countries: tuple[str, ...] = ()  # every country this location resolves to
    certainty: Certainty = Certainty.CONFIRMED
    mechanism: str | None = None
    target: str | None = None


class FindingState(StrEnum):
    """A finding's state against the scan history (set by the history stage)."""

    NEW = "new"
    PERSISTING = "persisting"
    RESOLVED = "resolved"
    REOPENED = "reopened"


class SuppressionRef(_Frozen):
    """An accepted exception that covers a finding. Suppressed findings stay in every report."""

    id: str
    reason: str
    approved_by: str
    expires: date


class Finding(_Frozen):
    fingerprint: str
    rule_id: str
    guideline_items: tuple[str, ...]
    severity: Severity
    base_severity: Severity  # before classification shift and mitigation
    provider: str
    scope: str
    resource: ResourceRef | None  # None for scope-level findings (attestations)
    location: FindingLocation | None  # None for findings that are not about a location
    message: Text
    remediation: Text
    unverified: bool = False  # the finding exists because something could not be read
    adjustments: tuple[Text, ...] = ()  # why severity moved (classification, CMK mitigation)
    classification: Classification | None = None
    # history (issue: scheduled scans); None when no history store is in use
    state: FindingState | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    suppression: SuppressionRef | None = None
