"""Pure functions: Cloud Storage JSON API bucket resources -> residency_audit.model types.

Location rules (the bucket resource is the only source; nothing is assumed):

* ``locationType: region``: the region is the bucket's ``primary`` location.
* predefined dual-region (``ASIA1``, ``EUR4``, ``NAM4``, ...): each member region from the catalog
  is a ``multi-region-member`` (``target`` = the dual-region code), confirmed (Google documents
  the pairs; ``derived`` marks that the pair came from the catalog, not the API). A code the
  catalog does not know stays as the code, with an ``unknown_reason``.
* configurable dual-region (``customPlacementConfig.dataLocations``): each listed region is a
  ``multi-region-member`` (``target`` = ``ASIA``/``EU``/``US``). That code alone is never used
  as a location; without ``dataLocations`` the location is ``region=None`` with a reason.
* multi-region ``US``/``EU``/``ASIA``: one ``multi-region-member`` location with that code;
  ``possible`` for ``ASIA`` and ``EU`` (Google does not disclose the countries; the catalog expands
  the candidates), ``confirmed`` for ``US``.
* zonal bucket (Rapid, ``locationType: zone``): the zone (``us-central1-a``) is the ``primary``
  location; the catalog resolves a zone to its region's country. Google's own client tests show
  the zone as ``location`` (``US-CENTRAL1-A``); buckets are created with the region as ``location``
  and the zone as the one ``customPlacementConfig.dataLocations`` entry, which wins when present.
* any other ``locationType`` is not guessed at: the location is UNKNOWN with the type and the code
  in its reason.

A dual- or multi-region bucket has no ``primary`` location: every member may hold every object,
so all of them carry the same role and none is singled out.

The CMEK key (``encryption.defaultKmsKeyName``) adds a ``key`` location parsed from the key name,
in the catalog's ``kms`` namespace: Cloud KMS has its own location names (``global``, ``europe``,
``nam-eur-asia1``), which are not the GCS codes of the same spelling, and the catalog says which
countries each one stands for and how sure that is.

Every gap is built from its row in ``reads.READS``, so it records what the unread part hides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from residency_audit.model import (
    Bucket,
    Certainty,
    Encryption,
    EncryptionTier,
    Evidence,
    Gap,
    Location,
    Namespace,
    PublicAccess,
    PublicVerdict,
    Role,
)

from .reads import ACL, ENCRYPTION, IAM_POLICY, LABELS, READS, UNREACHABLE

__all__ = [
    "PROVIDER",
    "bucket_from_resource",
    "bucket_locations",
    "bucket_uid",
    "encryption",
    "key_location",
    "public_access",
    "unreachable_bucket",
]

PROVIDER = "gcp"
MembersOf = Callable[[str], Sequence[str]]

_MULTI_REGIONS = frozenset({"ASIA", "EU", "US"})
# Bucket multi-regions whose member countries Google does not disclose.
_UNDISCLOSED = frozenset({"ASIA", "EU"})
_PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
_KEY_NAME = re.compile(
    r"^projects/[^/]+/locations/(?P<loc>[^/]+)/keyRings/[^/]+/cryptoKeys/[^/]+"
    r"(?:/cryptoKeyVersions/[^/]+)?$"
)


def bucket_uid(name: str) -> str:
    """The Cloud Asset Inventory full resource name: stable and unique across projects."""
    return f"//storage.googleapis.com/projects/_/buckets/{name}"


def _primary(region: str | None, reason: str | None, why: Evidence | None = None) -> Location:
    return Location(
        role=Role.PRIMARY,
        provider=PROVIDER,
        region=region,
        mechanism="gcs-bucket-location",
        unknown_reason=reason,
        why=why,
    )


def _member(region: str | None, mechanism: str, **kw: Any) -> Location:
    return Location(
        role=Role.MULTI_REGION_MEMBER, provider=PROVIDER, region=region, mechanism=mechanism, **kw
    )


def _configurable(code: str, data_locations: Any) -> tuple[Location, ...]:
    mech = "gcs-configurable-dual-region"
    if (
        isinstance(data_locations, list)
        and data_locations
        and all(isinstance(d, str) and d for d in data_locations)
    ):
        return tuple(_member(d.lower(), mech, target=code) for d in data_locations)
    return (
        _member(
            None,
            mech,
            target=code,
            unknown_reason=(
                f"configurable dual-region in {code} without customPlacementConfig.dataLocations: "
                f"the member regions cannot be read, and {code} alone does not name them"
            ),
            why=Evidence(key="gcs.dual-region-without-data-locations", subject=code),
        ),
    )


def _predefined(code: str, members_of: MembersOf) -> tuple[Location, ...]:
    mech = "gcs-predefined-dual-region"
    members = tuple(members_of(code))
    if members:
        return tuple(_member(m.lower(), mech, target=code, derived=True) for m in members)
    return (
        _member(
            code,
            mech,
            target=code,
            unknown_reason=f"predefined dual-region {code} is not in the catalog: members unknown",
            why=Evidence(key="gcs.dual-region-not-in-catalog", subject=code),
        ),
    )


def _zonal(code: str, data_locations: Any) -> Location:
    """A Rapid bucket's zone: the one ``dataLocations`` entry when given, else ``location``."""
    zone = code
    if (
        isinstance(data_locations, list)
        and len(data_locations) == 1
        and isinstance(data_locations[0], str)
        and data_locations[0].strip()
    ):
        zone = data_locations[0].strip()
    return Location(
        role=Role.PRIMARY, provider=PROVIDER, region=zone.lower(), mechanism="gcs-zonal-bucket"
    )


def bucket_locations(resource: Mapping[str, Any], members_of: MembersOf) -> tuple[Location, ...]:
    """Every location that holds the bucket's data, from its JSON API resource."""
    raw = resource.get("location")
    ltype = str(resource.get("locationType") or "").lower()
    placement = resource.get("customPlacementConfig")
    data_locations = placement.get("dataLocations") if isinstance(placement, Mapping) else None
    if not isinstance(raw, str) or not raw.strip():
        why = Evidence(key="gcs.no-location")
        return (_primary(None, "the bucket resource has no location", why),)
    code = raw.strip().upper()
    if ltype == "zone":  # before dataLocations: a zonal bucket's one entry is its zone
        return (_zonal(code, data_locations),)
    if ltype not in ("", "region", "dual-region", "multi-region"):
        reason = (
            f"unrecognised locationType {ltype!r} (location {code}): "
            "where its data is held cannot be read from it"
        )
        why = Evidence(key="gcs.unrecognised-location-type", subject=ltype, value=code)
        return (_primary(None, reason, why),)
    if data_locations is not None or (ltype == "dual-region" and code in _MULTI_REGIONS):
        return _configurable(code, data_locations)
    if ltype == "dual-region":
        return _predefined(code, members_of)
    if code in _MULTI_REGIONS:
        certainty = Certainty.POSSIBLE if code in _UNDISCLOSED else Certainty.CONFIRMED
        return (_member(code, "gcs-multi-region", certainty=certainty),)
    if ltype == "multi-region":
        return (
            _member(
                code,
                "gcs-multi-region",
                unknown_reason=f"unrecognised multi-region {code}",
                why=Evidence(key="gcs.unrecognised-multi-region", subject=code),
            ),
        )
    if not ltype and members_of(code):  # locationType missing: recognise a dual-region code
        return _predefined(code, members_of)
    return (_primary(code.lower(), None),)


def key_location(key_name: str) -> Location:
    """Where a Cloud KMS key lives, from ``projects/P/locations/LOC/keyRings/R/cryptoKeys/K``.

    ``LOC`` is passed through as Cloud KMS spells it (``asia-northeast1``, ``asia``, ``europe``,
    ``nam4``, ``global``) in the ``kms`` namespace; the catalog says which countries it covers and
    marks undisclosed ones (``global``, ``asia``) possible. A location the catalog does not know is
    resolved as unmapped, never guessed here.
    """
    m = _KEY_NAME.match(key_name.strip())
    if m is None:
        return Location(
            role=Role.KEY,
            provider=PROVIDER,
            region=None,
            namespace=Namespace.KMS,
            mechanism="cloud-kms",
            target=key_name,
            unknown_reason="the KMS key name does not have the projects/*/locations/* form",
            why=Evidence(key="gcs.kms-key-name-form"),
        )
    return Location(
        role=Role.KEY,
        provider=PROVIDER,
        region=m["loc"].lower(),
        namespace=Namespace.KMS,
        mechanism="cloud-kms",
        target=key_name,
    )


def encryption(resource: Mapping[str, Any]) -> Encryption:
    enc = resource.get("encryption")
    if enc is not None and not isinstance(enc, Mapping):
        return Encryption(tier=EncryptionTier.UNKNOWN, details=(Evidence(key="gcs.malformed"),))
    key = (enc or {}).get("defaultKmsKeyName")
    if isinstance(key, str) and key:
        cmek = (Evidence(key="gcs.cmek"),)
        return Encryption(tier=EncryptionTier.CUSTOMER_MANAGED, key_id=key, details=cmek)
    google = (Evidence(key="gcs.google-managed"),)
    return Encryption(tier=EncryptionTier.PROVIDER_MANAGED, details=google)


def _iam_grants(policy: Mapping[str, Any]) -> list[Evidence]:
    """One item per public member of each binding; a condition's title (or expression) is the
    customer's own text, kept as it is."""
    found = []
    for binding in policy.get("bindings") or []:
        public = sorted(_PUBLIC_MEMBERS.intersection(binding.get("members") or []))
        cond = binding.get("condition")
        condition = str(cond.get("title") or cond.get("expression")) if cond else None
        key = "gcs.iam-grant-conditional" if condition is not None else "gcs.iam-grant"
        role = str(binding.get("role"))
        found += [Evidence(key=key, subject=m, value=role, text=condition) for m in public]
    return found


def _acl_grants(entries: Any, key: str) -> list[Evidence]:
    return [
        Evidence(key=key, subject=str(e.get("entity")), value=str(e.get("role")))
        for e in entries or []
        if isinstance(e, Mapping) and e.get("entity") in _PUBLIC_MEMBERS
    ]


def _blocked(grant: Evidence) -> Evidence:
    """The grant as one public access prevention blocks."""
    return grant.model_copy(update={"key": f"{grant.key}-blocked"})


def _uniform_access(cfg: Mapping[str, Any]) -> Any:
    """``uniformBucketLevelAccess.enabled``; older answers carry only ``bucketPolicyOnly``.

    Bucket Policy Only is the feature's former name, and the API fills both fields with the
    same setting (JSON API Bucket resource reference), so the old field stands in when the new
    one is absent (cloud-custodian and policy-library recordings of 2019-2021 have only it).
    """
    for field in ("uniformBucketLevelAccess", "bucketPolicyOnly"):
        value = cfg.get(field)
        if isinstance(value, Mapping) and "enabled" in value:
            return value.get("enabled")
    return None


def public_access(
    resource: Mapping[str, Any],
    iam_policy: Mapping[str, Any] | None,
    iam_error: tuple[str, str] | None = None,
) -> tuple[PublicAccess, tuple[Gap, ...]]:
    """Verdict from PAP, UBLA, IAM bindings and (with UBLA off) legacy ACLs.

    ``iam_error`` is (code, message) when the IAM policy could not be read.
    """
    cfg = resource.get("iamConfiguration")
    cfg = cfg if isinstance(cfg, Mapping) else {}
    pap = cfg.get("publicAccessPrevention")
    ubla = _uniform_access(cfg)
    evidence: list[Evidence] = []
    grants: list[Evidence] = []
    gaps: list[Gap] = []
    if iam_policy is not None:
        grants += _iam_grants(iam_policy)
    else:
        code, message = iam_error or ("unknown", "IAM policy not read")
        why = Evidence(key="gcs.iam-policy-read-failed", value=code, text=message)
        gaps.append(READS[IAM_POLICY].gap(message, code, why))
    if ubla is True:
        evidence.append(Evidence(key="gcs.ubla", value="on"))
    else:
        evidence.append(Evidence(key="gcs.ubla", value="off"))
        if "acl" in resource:
            grants += _acl_grants(resource.get("acl"), "gcs.acl-grant")
        else:
            gaps.append(
                READS[ACL].gap(
                    "buckets.list did not return the bucket ACL "
                    "(projection=full needs storage.buckets.getIamPolicy)",
                    "missing",
                    Evidence(key="gcs.acl-not-returned"),
                )
            )
        grants += _acl_grants(resource.get("defaultObjectAcl"), "gcs.default-object-acl-grant")
    if pap == "enforced":
        evidence.insert(0, Evidence(key="gcs.pap", value="enforced"))
        evidence += [_blocked(g) for g in grants]
        return PublicAccess(verdict=PublicVerdict.BLOCKED, evidence=tuple(evidence)), tuple(gaps)
    # any other setting follows the organization policy, which is not read
    evidence.insert(0, Evidence(key="gcs.pap-org", value=str(pap) if pap else "not-set"))
    if grants:
        verdict = PublicVerdict.PUBLIC
    elif gaps:
        verdict = PublicVerdict.UNKNOWN
    else:
        verdict = PublicVerdict.NOT_BLOCKED
    return PublicAccess(verdict=verdict, evidence=tuple(grants + evidence)), tuple(gaps)


def _labels(resource: Mapping[str, Any]) -> tuple[dict[str, str], Gap | None]:
    """The labels; a ``labels`` field that is not an object is a gap, never "no labels"."""
    labels = resource.get("labels")
    if labels is None:
        return {}, None
    if not isinstance(labels, Mapping):
        why = Evidence(key="gcs.field-malformed", subject="labels")
        return {}, READS[LABELS].gap("the labels field is not an object", "malformed", why)
    return {str(k): str(v) for k, v in labels.items()}, None


def bucket_from_resource(
    project: str,
    resource: Mapping[str, Any],
    members_of: MembersOf,
    iam_policy: Mapping[str, Any] | None,
    iam_error: tuple[str, str] | None = None,
    *,
    captured: datetime | None = None,
    read_live: tuple[str, ...] = (),
    around: tuple[tuple[Location, ...], tuple[Gap, ...]] = ((), ()),
) -> Bucket:
    """The bucket; ``captured``/``read_live``: an inventory source's snapshot time and the
    settings it read live instead; ``around``: the copies other services make of it and the
    gaps of their unread lists (:mod:`.copies`). All given here, not copied in after: a copy
    costs as much as building the bucket."""
    name = str(resource.get("name") or resource.get("id"))
    enc = encryption(resource)
    locations = bucket_locations(resource, members_of)
    if enc.key_id:
        locations += (key_location(enc.key_id),)
    access, gaps = public_access(resource, iam_policy, iam_error)
    tags, labels_gap = _labels(resource)
    if labels_gap is not None:
        gaps += (labels_gap,)
    if enc.tier is EncryptionTier.UNKNOWN:
        why = Evidence(key="gcs.field-malformed", subject="encryption")
        gaps += (READS[ENCRYPTION].gap("the encryption field is not an object", "malformed", why),)
    locations += around[0]
    gaps += around[1]
    return Bucket(
        provider=PROVIDER,
        scope=project,
        name=name,
        uid=bucket_uid(name),
        tags=tags,
        locations=locations,
        encryption=enc,
        public_access=access,
        gaps=gaps,
        captured=captured,
        read_live=read_live,
    )


def unreachable_bucket(project: str, resource_name: str) -> Bucket:
    """A bucket ``buckets.list`` named as unreachable: known to exist, nothing else readable."""
    name = resource_name.rsplit("/", 1)[-1]
    reason = (
        "buckets.list reported the bucket as unreachable (its location, key, labels and "
        "access settings are unavailable)"
    )
    return Bucket(
        provider=PROVIDER,
        scope=project,
        name=name,
        uid=bucket_uid(name),
        locations=(_primary(None, reason, Evidence(key="gcs.unreachable")),),
        public_access=PublicAccess(
            verdict=PublicVerdict.UNKNOWN, evidence=(Evidence(key="gcs.unreachable"),)
        ),
        gaps=(READS[UNREACHABLE].gap(reason, "unreachable", Evidence(key="gcs.unreachable")),),
    )
