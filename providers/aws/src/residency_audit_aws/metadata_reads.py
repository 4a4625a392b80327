"""The reads behind a bucket's metadata exports: the CloudTrail trails that record its data events,
its server access logging and its S3 Inventory configurations (normalised by :mod:`.trails` and
:mod:`.exports`).

Trails are account facts shared by every bucket, each read once a scan: DescribeTrails once per
region that holds a bucket (with shadow trails: those homed elsewhere that record the region too,
and organisation trails seen from a member account), GetEventSelectors once per trail, in its home
region, and GetTrailStatus once per trail that records some bucket. Logging and inventory are two
reads a bucket. Every destination bucket's region is the collector's look-up, cached by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from residency_audit.memo import Once
from residency_audit.model import Gap, Location

from . import exports, trails
from .client import AwsAccount, AwsApiError
from .normalize import DestinationRegion, Failure, Read
from .reads import read_gap

__all__ = ["AccountTrails", "bucket_exports"]

Destination = Callable[[str], DestinationRegion]


def _read(fn: Callable[[], Mapping[str, Any]]) -> Read:
    try:
        return fn()
    except AwsApiError as exc:
        return Failure(exc.code, exc.message)


class AccountTrails:
    """One account's trails, read on first use and shared by its buckets."""

    def __init__(self, account: AwsAccount) -> None:
        self.account = account
        self._regions: Once[str, trails.RegionTrails] = Once()
        self._selectors: Once[str, Read] = Once()
        self._logging: Once[str, bool | None] = Once()

    def in_region(self, region: str) -> trails.RegionTrails:
        return self._regions.get(region, lambda: self._read_region(region))

    def _read_region(self, region: str) -> trails.RegionTrails:
        described = _read(
            lambda: self.account.call(
                "cloudtrail", region, "DescribeTrails", includeShadowTrails=True
            )
        )
        selectors: dict[str, Read] = {}
        if isinstance(described, Mapping):
            for entry in described.get("trailList", []):
                arn = str(entry.get("TrailARN") or "")
                home = str(entry.get("HomeRegion") or region)
                if arn:
                    selectors[arn] = self._selectors.get(arn, partial(self._events, arn, home))
        return trails.region_trails(region, described, selectors)

    def _events(self, arn: str, home: str) -> Read:
        # a shadow trail (and an organisation trail seen from a member) is named by its ARN
        return _read(
            lambda: self.account.call("cloudtrail", home, "GetEventSelectors", TrailName=arn)
        )

    def _is_logging(self, trail: trails.Trail) -> bool | None:
        try:
            status = self.account.call(
                "cloudtrail", trail.home_region, "GetTrailStatus", Name=trail.arn
            )
        except AwsApiError:
            return None  # unread: counted as logging, the stricter reading
        logging = status.get("IsLogging")
        return bool(logging) if logging is not None else None

    def for_bucket(
        self, name: str, region: str | None, destination: Destination, partition: str
    ) -> tuple[list[Location], list[Gap], dict[str, DestinationRegion]]:
        """The bucket's trail deliveries, the gaps of trails that could not be read, and the
        delivery buckets' regions as looked up."""
        seen = self.in_region(region or self.account.partition.home_region)
        if seen.error is not None:
            where = f" in {seen.region}"
            return [], [read_gap("cloudtrail", "DescribeTrails", seen.error, note=where)], {}
        recording = [
            t
            for t in seen.trails
            if isinstance(t.selectors, Failure)
            or trails.coverage(t.selectors, partition, name) is not None
        ]
        logging: dict[str, bool | None] = {}
        for trail in recording:  # only a trail that records some bucket has its status read
            logging[trail.arn] = self._logging.get(trail.arn, partial(self._is_logging, trail))
        regions = {t.bucket: destination(t.bucket) for t in recording if t.bucket}
        locations, gaps = trails.trail_locations(
            recording, name, region, partition, logging, regions
        )
        return locations, gaps, regions


def bucket_exports(
    reader: AwsAccount, name: str, at: str, region: str | None, destination: Destination
) -> tuple[list[Location], list[Gap], dict[str, DestinationRegion]]:
    """The bucket's server access logs and inventory reports (two reads, plus a region look-up
    per destination bucket not yet located)."""
    logging = _read(lambda: reader.call("s3", at, "GetBucketLogging", Bucket=name))

    def configurations() -> Mapping[str, Any]:
        found = [
            c
            for page in reader.pages(
                "s3",
                at,
                "ListBucketInventoryConfigurations",
                next_param="ContinuationToken",
                next_field="NextContinuationToken",
                Bucket=name,
            )
            for c in page.get("InventoryConfigurationList", [])
        ]
        return {"InventoryConfigurationList": found}

    inventory = _read(configurations)
    names: list[str] = []
    if isinstance(logging, Mapping):
        target = exports.logging_target(logging)
        names += [target] if target else []
    if isinstance(inventory, Mapping):
        names += exports.inventory_destination_names(inventory)
    regions = {n: destination(n) for n in dict.fromkeys(names)}
    log_locations, log_gaps = exports.access_logging(logging, region, regions)
    report_locations, report_gaps = exports.inventory_reports(inventory, region, regions)
    return log_locations + report_locations, log_gaps + report_gaps, regions
