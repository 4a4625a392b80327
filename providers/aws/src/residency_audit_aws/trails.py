"""CloudTrail trails that record a bucket's S3 data events: which ones, and where they deliver.

Pure: DescribeTrails / GetEventSelectors / GetTrailStatus answers (as boto3 returns them) ->
which trails record a bucket's object-level events, and the METADATA locations of their
deliveries. A data event names the object's key, so a trail's delivery bucket (and its CloudWatch
Logs group) holds the audited bucket's key names wherever it is.

What the CloudTrail API reference says, and what follows from it:

- DescribeTrails in a region (``includeShadowTrails`` true, the default) answers the trails of that
  region and the shadows of multi-region trails homed elsewhere, and an organisation trail's
  shadow in each member account. A single-region trail records only its own region's events, and
  S3 data events happen in the bucket's region; so the trails a region's DescribeTrails answers are
  exactly those that can record its buckets.
- Basic event selectors: a ``DataResources`` entry of Type ``AWS::S3::Object`` with the value
  ``arn:aws:s3`` records every bucket; ``arn:aws:s3:::BUCKET/`` the whole bucket;
  ``arn:aws:s3:::BUCKET/prefix`` the objects under that prefix.
- Advanced event selectors: a selector records an event when every one of its field selectors
  matches (AND); selectors are alternatives (OR). Within a field selector, the values of
  ``Equals``/``StartsWith``/``EndsWith`` are alternatives, and ``NotEquals``/``NotStartsWith``/
  ``NotEndsWith`` exclude any value listed. ``eventCategory`` is required (``Data`` for data
  events), ``resources.type`` and ``readOnly`` take ``Equals`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from residency_audit.model import Certainty, Evidence, Gap, Location, Role

from . import arns
from .normalize import NOT_LOOKED_UP, DestinationRegion, Failure, Read, arn_region
from .reads import READS, read_gap

__all__ = [
    "MECHANISM",
    "NOT_LOGGING",
    "Coverage",
    "RegionTrails",
    "Trail",
    "coverage",
    "region_trails",
    "trail_locations",
]

MECHANISM = "cloudtrail-data-events"
NOT_LOGGING = "cloudtrail-data-events (trail not logging)"
S3_OBJECT = "AWS::S3::Object"
_POSITIVE = ("Equals", "StartsWith", "EndsWith")
_NEGATIVE = ("NotEquals", "NotStartsWith", "NotEndsWith")
# fields that pick which events of a selected object are recorded, not which objects: a bucket
# they leave selected has some of its keys recorded (readOnly: reads or writes, both name keys)
_EVENT_FIELDS = frozenset({"readOnly"})
# fields that narrow the recorded events to some callers, calls or outcomes: the bucket's keys are
# recorded only when such an event happens
_NARROWING_FIELDS = frozenset(
    {"eventName", "eventSource", "eventType", "errorCode", "userIdentity.arn",
     "sessionCredentialFromConsole", "vpcEndpointId"}
)  # fmt: skip


@dataclass(frozen=True)
class Trail:
    """One trail as DescribeTrails answers it, with its event selectors."""

    arn: str
    name: str
    home_region: str
    multi_region: bool
    organization: bool
    bucket: str | None  # S3BucketName: where the log files are delivered
    prefix: str | None
    log_group: str | None  # CloudWatchLogsLogGroupArn: a second delivery, in its own region
    selectors: Read  # GetEventSelectors, or its failure

    @property
    def label(self) -> str:
        """``trail NAME of account ID``: no ARN beside a bucket name, so the target is never
        read as an ARN of the trail's account (regions_in_use reads account-owned ARNs)."""
        owner = arns.account_of(self.arn)
        return f"trail {self.name}" + (f" of account {owner}" if owner else "")

    def records_region(self, region: str) -> bool:
        return self.multi_region or self.home_region == region


@dataclass(frozen=True)
class RegionTrails:
    """The trails a region's DescribeTrails answered, or why it could not be read."""

    region: str
    trails: tuple[Trail, ...] = ()
    error: Failure | None = None


def region_trails(region: str, described: Read, selectors: Mapping[str, Read]) -> RegionTrails:
    """DescribeTrails of ``region`` and each trail's GetEventSelectors (by trail ARN)."""
    if isinstance(described, Failure):
        return RegionTrails(region=region, error=described)
    trails = []
    for entry in described.get("trailList", []):
        arn = str(entry.get("TrailARN") or "")
        home = str(entry.get("HomeRegion") or arn_region(arn) or region)
        trails.append(
            Trail(
                arn=arn,
                name=str(entry.get("Name") or arn),
                home_region=home,
                multi_region=bool(entry.get("IsMultiRegionTrail")),
                organization=bool(entry.get("IsOrganizationTrail")),
                bucket=entry.get("S3BucketName") or None,
                prefix=entry.get("S3KeyPrefix") or None,
                log_group=entry.get("CloudWatchLogsLogGroupArn") or None,
                selectors=selectors.get(arn, Failure("NotRead")),
            )
        )
    return RegionTrails(region=region, trails=tuple(trails))


@dataclass(frozen=True)
class Coverage:
    """A trail records (some of) the bucket's data events. ``whole``: the bucket's objects in
    general (a ``Not...`` condition may leave some keys out; what is left is recorded for sure),
    not only those a prefix, an exact ARN, an ending or an event filter picks (which may match no
    object: a possible copy). ``unevaluated`` names a condition that could not be evaluated (the
    trail is then counted as recording the bucket, possibly)."""

    whole: bool
    unevaluated: str | None = None

    @property
    def certainty(self) -> Certainty:
        return Certainty.CONFIRMED if self.whole and not self.unevaluated else Certainty.POSSIBLE


def _merge(found: Coverage | None, more: Coverage | None) -> Coverage | None:
    """Two selectors that both record the bucket: the wider reading wins."""
    if found is None or more is None:
        return found or more
    if found.whole and not found.unevaluated:
        return found
    if more.whole and not more.unevaluated:
        return more
    return found if found.unevaluated is None else more


def _basic(selectors: Sequence[Mapping[str, Any]], partition: str, bucket: str) -> Coverage | None:
    everything = {f"arn:{partition}:s3", f"arn:{partition}:s3:::"}
    whole = {f"arn:{partition}:s3:::{bucket}/", f"arn:{partition}:s3:::{bucket}"}
    inside = f"arn:{partition}:s3:::{bucket}/"
    found: Coverage | None = None
    for selector in selectors:
        for resource in selector.get("DataResources", []):
            if resource.get("Type") != S3_OBJECT:
                continue
            for value in resource.get("Values", []):
                value = str(value)
                if value in everything or value in whole:
                    found = _merge(found, Coverage(whole=True))
                elif value.startswith(inside):  # a prefix within the bucket
                    found = _merge(found, Coverage(whole=False))
    return found


def _arn_condition(field: Mapping[str, Any], partition: str, bucket: str) -> Coverage | None:
    """Whether some object ARN of the bucket (``arn:aws:s3:::bucket/key``) passes a
    ``resources.ARN`` field selector, and whether it is the bucket in general that passes."""
    root = f"arn:{partition}:s3:::{bucket}/"
    unknown = [op for op in field if op != "Field" and op not in _POSITIVE + _NEGATIVE]
    if unknown:
        return Coverage(whole=False, unevaluated=f"resources.ARN {unknown[0]}")
    values = {op: [str(v) for v in field.get(op) or []] for op in _POSITIVE + _NEGATIVE}
    # every object of the bucket is excluded when a NotStartsWith is a prefix of its root
    if any(root.startswith(v) for v in values["NotStartsWith"]):
        return None
    # exclusions of some keys leave the rest recorded: only the positive operators narrow
    if not any(values[op] for op in _POSITIVE):
        return Coverage(whole=True)
    # the positive operators of one field selector: an object passes when it matches any value
    # of each operator given (their values are alternatives; the operators combine by AND)
    if values["Equals"]:
        objects = [
            v
            for v in values["Equals"]
            if v.startswith(root)
            and v not in values["NotEquals"]
            and not any(v.startswith(n) for n in values["NotStartsWith"])
            and not any(v.endswith(n) for n in values["NotEndsWith"])
            and (not values["StartsWith"] or any(v.startswith(s) for s in values["StartsWith"]))
            and (not values["EndsWith"] or any(v.endswith(e) for e in values["EndsWith"]))
        ]
        return Coverage(whole=False) if objects else None
    if values["StartsWith"]:
        prefixes = [s for s in values["StartsWith"] if root.startswith(s) or s.startswith(root)]
        # a prefix inside the bucket excluded by a NotStartsWith that is a prefix of it
        prefixes = [
            s
            for s in prefixes
            if not any(max(s, root, key=len).startswith(n) for n in values["NotStartsWith"])
        ]
        if not prefixes:
            return None
        if not any(root.startswith(s) for s in prefixes):
            return Coverage(whole=False)  # only the objects under a prefix
    # EndsWith: some key of the bucket may end so (a key can be any string), or none
    return Coverage(whole=not values["EndsWith"])


def _advanced(
    selectors: Sequence[Mapping[str, Any]], partition: str, bucket: str
) -> Coverage | None:
    found: Coverage | None = None
    for selector in selectors:
        found = _merge(found, _advanced_one(selector, partition, bucket))
    return found


def _equals(field: Mapping[str, Any]) -> list[str] | None:
    """The ``Equals`` values of a field that takes only Equals, or None when it has others."""
    if any(op != "Field" and op != "Equals" and field.get(op) for op in field):
        return None
    return [str(v) for v in field.get("Equals") or []]


def _advanced_one(selector: Mapping[str, Any], partition: str, bucket: str) -> Coverage | None:
    fields: dict[str, Mapping[str, Any]] = {}
    for field in selector.get("FieldSelectors", []):
        name = str(field.get("Field"))
        if name in fields:  # a field given twice: which reading CloudTrail applies is unsaid
            return Coverage(whole=False, unevaluated=name)
        fields[name] = field
    category = fields.get("eventCategory")
    categories = _equals(category) if category else None
    if categories is None:
        # required, Equals only: a selector without it cannot be read as data or not
        return Coverage(whole=False, unevaluated="eventCategory")
    if "Data" not in categories:
        return None  # management, network activity or other events: no object keys
    kind = fields.get("resources.type")
    types = _equals(kind) if kind else None
    if types is None:
        return Coverage(whole=False, unevaluated="resources.type")
    if S3_OBJECT not in types:
        return None  # another resource type's data events (access points, directory buckets ...)
    arn = fields.get("resources.ARN")
    found = _arn_condition(arn, partition, bucket) if arn else Coverage(whole=True)
    if found is None:
        return None
    for name in fields:
        if name in {"eventCategory", "resources.type", "resources.ARN"} | _EVENT_FIELDS:
            continue
        if name in _NARROWING_FIELDS:
            found = Coverage(whole=False, unevaluated=found.unevaluated)
        else:
            return Coverage(whole=False, unevaluated=name)
    return found


def coverage(selectors: Mapping[str, Any], partition: str, bucket: str) -> Coverage | None:
    """GetEventSelectors -> whether the trail records the bucket's S3 data events (None: not).

    A trail has either basic or advanced event selectors, never both.
    """
    advanced = selectors.get("AdvancedEventSelectors") or []
    if advanced:
        return _advanced(advanced, partition, bucket)
    return _basic(selectors.get("EventSelectors") or [], partition, bucket)


def trail_locations(
    trails: Iterable[Trail],
    bucket: str,
    bucket_region: str | None,
    partition: str,
    logging: Mapping[str, bool | None],
    regions: Mapping[str, DestinationRegion],
) -> tuple[list[Location], list[Gap]]:
    """Every delivery of every trail that records the bucket's data events, and the gaps of the
    trails whose selectors could not be read (counted as recording it, possibly).

    ``logging``: GetTrailStatus IsLogging by trail ARN (None when unread: counted as logging,
    the stricter reading). A trail that is not logging records nothing now, but the log files it
    delivered stay: its deliveries are POSSIBLE copies. ``regions``: the delivery buckets'.
    """
    locations: list[Location] = []
    gaps: list[Gap] = []
    seen: set[str] = set()
    for trail in trails:
        if trail.arn in seen:
            continue
        seen.add(trail.arn)
        if bucket_region is not None and not trail.records_region(bucket_region):
            continue
        if bucket_region is None and not trail.multi_region:
            continue  # the bucket's unread region is a gap of its own
        if isinstance(trail.selectors, Failure):
            gaps.append(
                read_gap(
                    "cloudtrail",
                    "GetEventSelectors",
                    trail.selectors,
                    label="cloudtrail:GetEventSelectors",
                    note=f" for trail {trail.arn}; counted as recording this bucket's data events",
                )
            )
            found: Coverage | None = Coverage(whole=False)
        else:
            found = coverage(trail.selectors, partition, bucket)
        if found is None:
            continue
        if found.unevaluated is not None:
            gaps.append(
                READS["cloudtrail", "GetEventSelectors"].gap(
                    f"trail {trail.arn} selects events on {found.unevaluated}, which could not "
                    "be evaluated; counted as recording this bucket's data events",
                    why=Evidence(key="aws.trail-selector-unevaluated", subject=found.unevaluated),
                )
            )
        stopped = logging.get(trail.arn) is False
        certainty = Certainty.POSSIBLE if stopped else found.certainty
        mechanism = NOT_LOGGING if stopped else MECHANISM
        if trail.bucket:
            answer = regions.get(trail.bucket, NOT_LOOKED_UP)
            region = answer.region
            locations.append(
                Location(
                    role=Role.METADATA,
                    provider="aws",
                    region=region,
                    mechanism=mechanism,
                    target=f"{trail.bucket} ({trail.label})",
                    certainty=certainty,
                    unknown_reason=answer.unknown_reason,
                    why=answer.why,
                )
            )
        if trail.log_group:
            group_region = arn_region(trail.log_group) or trail.home_region
            locations.append(
                Location(
                    role=Role.METADATA,
                    provider="aws",
                    region=group_region,
                    mechanism=mechanism,
                    target=f"{trail.log_group} ({trail.label})",
                    certainty=certainty,
                )
            )
    return locations, gaps
