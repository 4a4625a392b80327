"""Pure: Cloud Asset Inventory assets -> the Cloud Storage JSON API shapes ``normalize`` reads.

A Bucket asset's ``resource.data`` is the JSON API bucket resource rendered from its protobuf
(proto3 JSON): numbers are numbers (``projectNumber: 68478495408``), a false boolean is left out
(``"bucketPolicyOnly": {}`` is uniform access *off*), and an unset message is an empty object
(``"encryption": {}``: no default KMS key). Recorded exports show ``acl: []`` and
``defaultObjectAcl: []`` even for buckets with uniform access off, which always have owner
entries: the inventory does not record ACLs, so they are read live where they matter.

:func:`live_fields` names the settings the residency answer needs that the asset does not give:
each is then read live for that bucket (``Bucket.read_live``), with the reason the shared
``inventory_source.Fallback`` tallies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from residency_audit.inventory_source import FallbackReason

__all__ = [
    "ALL_FIELDS",
    "FIELD_KEYS",
    "IAM_FIELD",
    "bucket_name",
    "captured_at",
    "compact_policy",
    "live_fields",
    "merged",
    "parse_time",
    "project_entry",
    "project_number",
    "resource_from_asset",
    "trimmed",
]

# the settings an inventory bucket can have read live, and the JSON API keys each one is
LOCATIONS = "locations"
ACCESS = "public_access.settings"
ACL_FIELD = "public_access.acl"
IAM_FIELD = "public_access.iam_policy"
ENCRYPTION_FIELD = "encryption"
TAGS = "tags"
FIELD_KEYS: Mapping[str, tuple[str, ...]] = {
    LOCATIONS: ("location", "locationType", "customPlacementConfig"),
    ACCESS: ("iamConfiguration",),
    ACL_FIELD: ("acl", "defaultObjectAcl"),
    ENCRYPTION_FIELD: ("encryption",),
    TAGS: ("labels",),
    IAM_FIELD: (),  # the IAM policy asset, not the bucket resource
}
ALL_FIELDS: tuple[str, ...] = tuple(FIELD_KEYS)
_MULTI_REGIONS = frozenset({"ASIA", "EU", "US"})
_PUBLIC = frozenset({"allUsers", "allAuthenticatedUsers"})


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (``2026-12-02T09:00:00.123456Z``); None if absent or garbled."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def captured_at(asset: Mapping[str, Any], read_time: datetime | None) -> datetime | None:
    """When the inventory vouched for the asset: the page's ``readTime`` (the snapshot), else the
    asset's ``updateTime``. ``updateTime`` is the last *change*: a bucket unchanged for a year is
    current in a snapshot read now, so it would wrongly look a year old."""
    return read_time or parse_time(asset.get("updateTime"))


def bucket_name(asset: Mapping[str, Any]) -> str:
    """``//storage.googleapis.com/NAME`` -> NAME (the data's own ``name`` when present)."""
    data = (asset.get("resource") or {}).get("data") or {}
    name = data.get("name") if isinstance(data, Mapping) else None
    return str(name or str(asset.get("name", "")).rsplit("/", 1)[-1])


def project_number(asset: Mapping[str, Any]) -> str | None:
    """The owning project's number: ``resource.parent``, else the first ``projects/`` ancestor."""
    resource = asset.get("resource") or {}
    parent = str(resource.get("parent") or "")
    if "/projects/" in parent:
        return parent.rsplit("/projects/", 1)[1].split("/", 1)[0]
    for ancestor in asset.get("ancestors") or []:
        if isinstance(ancestor, str) and ancestor.startswith("projects/"):
            return ancestor.removeprefix("projects/")
    data = resource.get("data")
    number = data.get("projectNumber") if isinstance(data, Mapping) else None
    return str(number) if number is not None else None


def project_entry(asset: Mapping[str, Any]) -> tuple[str, str, str, str] | None:
    """(number, project id, lifecycle state, display name) of a Project asset
    (``cloudresourcemanager.googleapis.com/Project``: its data is the Resource Manager v1
    Project resource)."""
    data = (asset.get("resource") or {}).get("data")
    if not isinstance(data, Mapping) or not data.get("projectId"):
        return None
    number = data.get("projectNumber") or project_number(asset)
    if number is None:
        return None
    state = str(data.get("lifecycleState") or "")
    return str(number), str(data["projectId"]), state, str(data.get("name") or "")


def _uniform(cfg: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(cfg)
    for key in ("uniformBucketLevelAccess", "bucketPolicyOnly"):
        value = out.get(key)
        if isinstance(value, Mapping) and "enabled" not in value:
            out[key] = {**value, "enabled": False}  # proto3 JSON leaves a false bool out
    return out


# the parts of a bucket resource normalize reads: the rest (lifecycle, cors, website ...) is not
# kept, so an organisation's buckets fit in memory between the inventory read and their scope
_READ_KEYS = frozenset(
    {
        "name",
        "id",
        "projectNumber",
        "logging",  # the log bucket (copies.py), taken as the inventory records it
        *(k for ks in FIELD_KEYS.values() for k in ks),
    }
)


def trimmed(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON API bucket resource cut to the parts normalize reads."""
    return {k: v for k, v in resource.items() if k in _READ_KEYS}


def resource_from_asset(asset: Mapping[str, Any]) -> dict[str, Any]:
    """The bucket resource as Cloud Storage's JSON API spells it (the parts normalize reads)."""
    data = (asset.get("resource") or {}).get("data")
    resource = (
        {k: v for k, v in data.items() if k in _READ_KEYS} if isinstance(data, Mapping) else {}
    )
    for key in ("projectNumber", "metageneration"):
        if isinstance(resource.get(key), int):
            resource[key] = str(resource[key])  # int64 fields are strings in the JSON API
    if isinstance(resource.get("iamConfiguration"), Mapping):
        resource["iamConfiguration"] = _uniform(resource["iamConfiguration"])
    resource.setdefault("name", bucket_name(asset))
    return resource


def _uniform_on(resource: Mapping[str, Any]) -> bool:
    cfg = resource.get("iamConfiguration")
    if not isinstance(cfg, Mapping):
        return False
    for key in ("uniformBucketLevelAccess", "bucketPolicyOnly"):
        value = cfg.get(key)
        if isinstance(value, Mapping) and "enabled" in value:
            return value.get("enabled") is True
    return False


def live_fields(resource: Mapping[str, Any], has_policy: bool) -> list[tuple[str, FallbackReason]]:
    """The settings the answer needs that this asset does not give, with why."""
    out: list[tuple[str, FallbackReason]] = []
    location = resource.get("location")
    ltype = resource.get("locationType")
    placement = resource.get("customPlacementConfig")
    if not isinstance(location, str) or not location.strip() or not ltype:
        # without locationType, "ASIA" could be the multi-region or a configurable dual-region
        out.append((LOCATIONS, "not-recorded"))
    elif (
        str(ltype).lower() == "dual-region"
        and location.strip().upper() in _MULTI_REGIONS
        and not (isinstance(placement, Mapping) and placement.get("dataLocations"))
    ):
        out.append((LOCATIONS, "absent"))  # a configurable dual-region's members not recorded
    if not isinstance(resource.get("iamConfiguration"), Mapping):
        out.append((ACCESS, "not-recorded"))
    elif not _uniform_on(resource) and not resource.get("acl"):
        # with uniform access off the ACL grants access; a bucket always has owner entries, so
        # an empty or missing ACL is one the inventory did not record
        out.append((ACL_FIELD, "absent" if "acl" in resource else "not-recorded"))
    if "encryption" not in resource:  # the inventory writes {} for "no default key"
        out.append((ENCRYPTION_FIELD, "not-recorded"))
    if "labels" not in resource:  # ... and {} for "no labels"
        out.append((TAGS, "not-recorded"))
    if not has_policy:
        out.append((IAM_FIELD, "not-recorded"))
    return out


def merged(
    inventory: Mapping[str, Any], live: Mapping[str, Any], fields: Sequence[str]
) -> dict[str, Any]:
    """The inventory's resource with ``fields`` taken from the live one (absent there: absent)."""
    out = dict(inventory)
    for f in fields:
        for key in FIELD_KEYS[f]:
            out.pop(key, None)
            if key in live:
                out[key] = live[key]
    return out


def compact_policy(policy: Any) -> Mapping[str, Any]:
    """The IAM policy with only the bindings that name allUsers/allAuthenticatedUsers: all that
    the public-access verdict reads, so an organisation's policies fit in memory."""
    bindings = policy.get("bindings") if isinstance(policy, Mapping) else None
    kept = [
        dict(b)
        for b in bindings or []
        if isinstance(b, Mapping) and _PUBLIC.intersection(b.get("members") or [])
    ]
    return {"bindings": kept} if kept else _NO_PUBLIC


# one read-only object shared by every bucket that grants nothing public (most of them)
_NO_PUBLIC: Mapping[str, Any] = MappingProxyType({"bindings": ()})
