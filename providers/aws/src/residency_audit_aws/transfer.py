"""AWS DataSync tasks whose source is one of the account's buckets: where they copy it.

Read per region: ListTasks, and a DescribeTask a task (its source, destination, status and
schedule); then, only in the regions those tasks' locations are in, ListLocations (every
location's URI, whatever its type: the bucket of an S3 location, the server of an NFS, SMB, HDFS,
object-storage or Azure Blob one), which answers what a DescribeLocation* per location would, a
hundred a page. An account without DataSync tasks costs one ListTasks a region.

A task copies whole objects to its destination, so the destination is a ``transfer`` location
of the source bucket: an S3 destination where that bucket lives (looked up like a replication
destination), EFS and FSx in the region of their location, anything outside AWS unknown with the
server's name. A task that is unavailable or whose schedule is disabled copies nothing new, but
what it copied stays: a ``possible`` copy.

A task may copy between two regions (commercial regions and GovCloud, not China); one of its
locations is in the task's region, so a bucket's tasks may be in any region of the partition: a
region whose tasks could not be read leaves a gap on every bucket they could concern.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from residency_audit.model import Certainty, Evidence, Gap, Location, Role

from .client import AwsAccount, AwsApiError
from .normalize import PROVIDER, DestinationRegion, Failure, arn_region
from .reads import READS, read_gap

__all__ = [
    "RegionTransfers",
    "Task",
    "location_regions",
    "read_locations",
    "read_tasks",
    "task_from_response",
    "transfer_locations",
    "transfers_for_bucket",
]

PAGE = 100  # ListLocations' and ListTasks' largest page
# location types inside AWS whose data lives in the region of the location
_IN_REGION = frozenset({"efs", "fsxw", "fsxl", "fsxz", "fsxn"})


@dataclass(frozen=True)
class Task:
    arn: str
    name: str
    source: str  # location ARN
    destination: str  # location ARN
    status: str
    schedule_status: str | None  # ENABLED / DISABLED, None without a schedule

    @property
    def label(self) -> str:
        task_id = self.arn.rsplit("/", 1)[-1]
        return f"{self.name} ({task_id})" if self.name and self.name != task_id else task_id


@dataclass(frozen=True)
class RegionTransfers:
    """One region's DataSync locations and tasks, and the reads of it that failed."""

    region: str
    locations: Mapping[str, str] = field(default_factory=dict)  # location ARN -> URI
    tasks: tuple[Task, ...] = ()
    errors: tuple[tuple[str, str, Failure], ...] = ()  # (operation, label, failure)


def task_from_response(response: Mapping[str, Any]) -> Task:
    """DescribeTask -> Task."""
    schedule = response.get("Schedule") or {}
    return Task(
        arn=str(response.get("TaskArn", "")),
        name=str(response.get("Name") or ""),
        source=str(response.get("SourceLocationArn", "")),
        destination=str(response.get("DestinationLocationArn", "")),
        status=str(response.get("Status", "")),
        schedule_status=str(schedule["Status"]) if schedule.get("Status") else None,
    )


def _pages(account: AwsAccount, region: str, operation: str, items: str) -> list[dict[str, Any]]:
    return [
        item
        for page in account.pages("datasync", region, operation, MaxResults=PAGE)
        for item in page.get(items, [])
    ]


def read_tasks(account: AwsAccount, region: str) -> RegionTransfers:
    """ListTasks and DescribeTask of each task, in one region."""
    errors: list[tuple[str, str, Failure]] = []
    tasks: list[Task] = []
    try:
        arns = [str(t["TaskArn"]) for t in _pages(account, region, "ListTasks", "Tasks")]
    except AwsApiError as exc:
        label = f"datasync:ListTasks in {region}"
        errors.append(("ListTasks", label, Failure(exc.code, exc.message)))
        arns = []
    for arn in arns:
        try:
            tasks.append(
                task_from_response(account.call("datasync", region, "DescribeTask", TaskArn=arn))
            )
        except AwsApiError as exc:
            label = f"datasync:DescribeTask of {arn}"
            errors.append(("DescribeTask", label, Failure(exc.code, exc.message)))
    return RegionTransfers(region, tasks=tuple(tasks), errors=tuple(errors))


def read_locations(account: AwsAccount, region: str) -> RegionTransfers:
    """ListLocations in one region: read only where some task has a location."""
    try:
        found = {
            str(item.get("LocationArn", "")): str(item.get("LocationUri", ""))
            for item in _pages(account, region, "ListLocations", "Locations")
        }
    except AwsApiError as exc:
        label = f"datasync:ListLocations in {region}"
        failure = Failure(exc.code, exc.message)
        return RegionTransfers(region, errors=(("ListLocations", label, failure),))
    return RegionTransfers(region, locations=found)


def location_regions(reads: Iterable[RegionTransfers]) -> list[str]:
    """The regions of every location the tasks read name: where ListLocations is needed."""
    named = {arn_region(arn) for r in reads for t in r.tasks for arn in (t.source, t.destination)}
    return sorted(r for r in named if r)


def _scheme(uri: str) -> str:
    return uri.split("://", 1)[0].lower() if "://" in uri else ""


def s3_bucket(uri: str) -> str | None:
    """The bucket of an S3 location's URI (``s3://BUCKET/prefix/``); None for anything else,
    S3 on Outposts included (its URI names an access point ARN, its data an Outpost's site)."""
    if _scheme(uri) != "s3":
        return None
    rest = uri.split("://", 1)[1]
    if rest.startswith("arn:"):
        return None
    return rest.split("/", 1)[0] or None


def _mechanism(task: Task) -> tuple[str, Certainty]:
    if task.status == "UNAVAILABLE":
        return "datasync (task unavailable)", Certainty.POSSIBLE
    if task.schedule_status == "DISABLED":
        return "datasync (schedule disabled)", Certainty.POSSIBLE
    return "datasync", Certainty.CONFIRMED


def transfer_locations(
    task: Task,
    destination_uri: str | None,
    bucket_region: Callable[[str], DestinationRegion],
) -> Location:
    """The transfer location of one task whose source is the bucket."""
    mechanism, certainty = _mechanism(task)
    where = f" (task {task.label})"

    def located(
        region: str | None, target: str, reason: str | None = None, why: Evidence | None = None
    ) -> Location:
        return Location(
            role=Role.TRANSFER,
            provider=PROVIDER,
            region=region,
            mechanism=mechanism,
            target=target + where,
            certainty=certainty,
            unknown_reason=None if region else reason,
            why=None if region else why,
        )

    if destination_uri is None:
        return located(
            None,
            task.destination,
            "destination location not listed",
            Evidence(key="aws.transfer-destination-unlisted", subject=task.destination),
        )
    bucket = s3_bucket(destination_uri)
    if bucket is not None:
        found = bucket_region(bucket)
        return located(found.region, bucket, found.unknown_reason, found.why)
    scheme = _scheme(destination_uri)
    if scheme in _IN_REGION:
        region = arn_region(task.destination)
        return located(
            region,
            task.destination,
            "destination location's ARN names no region",
            Evidence(key="aws.transfer-destination-unlisted", subject=task.destination),
        )
    host = urlsplit(destination_uri).hostname if "://" in destination_uri else None
    if scheme == "s3":  # S3 on Outposts
        host = destination_uri.split("://", 1)[1].split("/", 1)[0]
    server = host or destination_uri
    return located(
        None,
        task.destination,
        f"destination outside AWS regions: {scheme or 'unknown'} server {server}",
        Evidence(key="aws.transfer-destination-outside-aws", subject=server, value=scheme or None),
    )


def _concerns(errors_region: str, bucket_region: str | None, partition: str) -> bool:
    # China's DataSync does not copy between regions: only the region's own buckets
    return partition != "aws-cn" or bucket_region in (None, errors_region)


def transfers_for_bucket(
    bucket: str,
    bucket_region: str | None,
    regions: Iterable[RegionTransfers],
    destination: Callable[[str], DestinationRegion],
    partition: str,
) -> tuple[list[Location], list[Gap]]:
    """The bucket's transfer locations from every read region's tasks, and a gap for each read
    that failed where its tasks could have the bucket as their source."""
    read = list(regions)
    uris: dict[str, str] = {}
    for region in read:
        uris.update(region.locations)
    # a region whose locations could not be listed has its own gap: its tasks' sources unknown
    unlisted = {r.region for r in read for op, _, _ in r.errors if op == "ListLocations"}
    locations: list[Location] = []
    gaps: list[Gap] = []
    for region in read:
        for operation, label, failure in region.errors:
            if _concerns(region.region, bucket_region, partition):
                gaps.append(read_gap("datasync", operation, failure, label=label))
        for task in region.tasks:
            source = uris.get(task.source)
            if source is None:
                if arn_region(task.source) not in unlisted:
                    gaps.append(_unlisted_source(task))
            elif s3_bucket(source) == bucket:
                locations.append(transfer_locations(task, uris.get(task.destination), destination))
    return locations, gaps


def _unlisted_source(task: Task) -> Gap:
    return READS["datasync", "ListLocations"].gap(
        f"source location {task.source} of DataSync task {task.label} was not listed",
        why=Evidence(key="aws.transfer-source-unlisted", subject=task.source),
    )
