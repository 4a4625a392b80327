"""Scanning one account: list its buckets and read every setting that says where copies live.

Per-bucket reads run on a bounded worker pool; results stream out as they finish with at most
``2 * max_workers`` buckets in flight, so memory stays bounded however many buckets there are and
one slow bucket does not hold the others back. Account-wide facts (Block Public Access,
Multi-Region Access Points, each region's backup plans) and lookups many buckets share (KMS keys,
destination bucket regions) are read once and cached.

Two passes: per-bucket reads first run with the short ``bucket_read_timeout``, so a stalled read
costs seconds before botocore retries it. A bucket some read of which still ended on a transient
failure (throttling, 5xx, a reset, a timeout) is held back and read again, once, at the end of the
account with the full ``read_timeout`` and fresh caches; what that pass reads is what is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from residency_audit.errors import CollectionError
from residency_audit.memo import Once
from residency_audit.model import (
    Bucket,
    CoverageNote,
    Evidence,
    Gap,
    Location,
    PublicAccess,
    PublicVerdict,
    Role,
)
from residency_audit.shard import SHARE_INTERSECT, BucketShare

from . import arns, cdn, transfer
from . import normalize as nz
from .backup import RegionBackup, backup_for_bucket, plan_from_responses
from .client import AwsAccount, AwsApiError, is_transient
from .metadata_reads import AccountTrails, bucket_exports
from .normalize import DestinationRegion, Failure, Read
from .public import (
    ACCOUNT_BLOCK_EVIDENCE,
    account_fully_blocked,
    external_principals,
    public_access,
)
from .reads import READS, read_gap
from .settings import partition_of

__all__ = ["AccountScan", "list_enabled_regions"]

LIST_BUCKETS_PAGE = 10_000  # the API maximum; moto never returns a continuation token


def _read(fn: Callable[[], Mapping[str, Any]]) -> Read:
    try:
        return fn()
    except AwsApiError as exc:
        return Failure(exc.code, exc.message)


def list_enabled_regions(account: AwsAccount) -> tuple[list[str], list[str]]:
    """(enabled, not enabled) regions of the account, from EC2 DescribeRegions.

    Only the partition's own regions: its credentials are refused everywhere else. (Real EC2 lists
    no others; moto lists every partition's regions to every partition.)
    """
    partition = account.partition.name
    response = account.call(
        "ec2", account.partition.home_region, "DescribeRegions", AllRegions=True
    )
    enabled: list[str] = []
    disabled: list[str] = []
    for region in response.get("Regions", []):
        name = str(region["RegionName"])
        if partition_of(name) != partition:
            continue
        (disabled if region.get("OptInStatus") == "not-opted-in" else enabled).append(name)
    return sorted(enabled), sorted(disabled)


def regions_in_use(bucket: Bucket, account_id: str) -> set[str]:
    """The regions a bucket shows to be enabled in its account: where it lives, and where the
    account's own resources (a backup vault, a key: ARNs naming the account) hold its data."""
    return {
        loc.region
        for loc in bucket.locations
        if loc.region
        and (loc.role is Role.PRIMARY or arns.account_of(loc.target or "") == account_id)
    }


@dataclass(frozen=True)
class _RegionLookup:
    """A bucket's region, or the failures that left it unread."""

    region: str | None
    first: AwsApiError | None = None  # GetBucketLocation's failure
    second: AwsApiError | None = None  # HeadBucket's, when it was tried and failed too

    @property
    def missing(self) -> bool:
        """The bucket does not exist (deleted, or a replication rule naming a bucket never made)."""
        if self.region is not None or self.first is None:
            return False
        if self.second is None:
            return self.first.code == "NoSuchBucket"
        return self.second.code in ("404", "NoSuchBucket", "NotFound")


@dataclass(frozen=True)
class ScanContext:
    account_id: str
    arn_partition: str  # partition as it appears in ARNs
    known_accounts: frozenset[str]  # the organisation's accounts (or just this one)
    max_workers: int
    bucket_read_timeout: float | None = None  # first-pass read timeout of per-bucket reads
    # whether every bucket's tags are read (the classification uses them); when not, a bucket's
    # tags are read only where an AWS Backup selection of its region selects by tag
    read_tags: bool = True
    # scan --shard: given the listed count, this shard's share of the account's buckets
    share: Callable[[int], BucketShare] | None = None


class AccountScan:
    def __init__(
        self, account: AwsAccount, context: ScanContext, *, reader: AwsAccount | None = None
    ) -> None:
        self.account = account  # listings, account-level reads and region backup plans
        self.ctx = context
        quick = context.bucket_read_timeout
        if reader is None and quick is not None and quick < account.read_timeout:
            reader = account.with_read_timeout(quick)
        self.reader = reader or account  # per-bucket reads
        self.home = account.partition.home_region
        self._keys: Once[tuple[str, str], Read] = Once()
        # one region look-up per bucket name, whether it is scanned, a replication destination
        # or both; seeded from ListBuckets' BucketRegion where S3 sends it
        self._bucket_regions: Once[str, _RegionLookup] = Once()
        self._backup: Once[str, RegionBackup] = Once()
        self._account_block: Read = Failure("NotRead")
        self._mraps: dict[str, list[nz.MrapMember]] = {}
        self._mrap_error: Failure | None = None
        self._split = False  # the account's buckets are shared between shards by name
        self._trails = AccountTrails(self.account)  # read on first use, per region and trail
        self._edges = cdn.NOT_READ  # CloudFront distributions by origin bucket
        self._transfers: Once[str, transfer.RegionTransfers] = Once()  # DataSync tasks, by region
        self._transfer_locations: Once[str, transfer.RegionTransfers] = Once()  # their locations
        # the regions whose DataSync tasks every bucket is matched against; None: only the
        # bucket's own region is read, on first use (no region list: an inventory source, or
        # DescribeRegions failed)
        self._transfer_regions: list[str] | None = None

    # --- account- and region-level reads ------------------------------------------------------

    def _regions(self) -> tuple[list[str], list[str], list[CoverageNote]]:
        """(enabled, not enabled, notes): the regions whose regional services are read."""
        configured = self.account.partition.regions
        if configured:
            return list(configured), [], []
        try:
            enabled, disabled = list_enabled_regions(self.account)
        except AwsApiError as exc:
            note = CoverageNote(
                kind="region-list-unreadable",
                detail=f"account {self.ctx.account_id}: ec2:DescribeRegions failed ({exc.code}); "
                "regional services are read only in the regions where buckets live",
                affects_completeness=True,
            )
            return [], [], [note]
        return enabled, disabled, []

    def _not_enabled_note(self, disabled: list[str], held: set[str]) -> CoverageNote | None:
        note = self._not_enabled(disabled, held)
        if note is None or not self._split:
            return note
        # a share of the account saw only its own buckets' regions: the assembly names the
        # regions every share found unused (residency_audit.shard.SHARE_INTERSECT)
        missing = note.detail.rpartition(": ")[2].split(", ")
        return note.model_copy(update={"counts": {SHARE_INTERSECT: 1} | dict.fromkeys(missing, 1)})

    def _not_enabled(self, disabled: list[str], held: set[str]) -> CoverageNote | None:
        # A region that holds one of the account's buckets (or its vault or key) is enabled in
        # fact, and a bucket's own region has its regional services read for it; DescribeRegions
        # can still call it not opted in (moto does for every opt-in region), and naming it "not
        # enabled" would contradict the bucket or copy listed beside it.
        missing = [r for r in disabled if r not in held]
        if not missing:
            return None
        return CoverageNote(
            kind="region-not-enabled",
            detail=f"account {self.ctx.account_id}: regions not enabled, so their "
            f"regional services (AWS Backup) were not read: {', '.join(missing)}",
        )

    def _read_account_level(self) -> None:
        self._read_account_block()
        self._read_mraps()
        self._read_edges()

    def _read_account_block(self) -> None:
        self._account_block = _read(
            lambda: self.account.call(
                "s3control", self.home, "GetPublicAccessBlock", AccountId=self.ctx.account_id
            )
        )

    def _read_mraps(self) -> None:
        if self.account.partition.name != "aws":
            return  # Multi-Region Access Points exist only in the aws partition
        try:
            reports: list[Mapping[str, Any]] = []
            # the MRAP control plane is served from us-west-2 only
            for page in self.account.pages(
                "s3control",
                "us-west-2",
                "ListMultiRegionAccessPoints",
                AccountId=self.ctx.account_id,
            ):
                reports.extend(page.get("AccessPoints", []))
            self._mraps = nz.mrap_members(reports)
        except AwsApiError as exc:
            self._mrap_error = Failure(exc.code, exc.message)

    def _read_edges(self) -> None:
        self._edges = cdn.read_edges(self.account)

    def _region_transfers(self, region: str) -> transfer.RegionTransfers:
        return self._transfers.get(region, lambda: transfer.read_tasks(self.account, region))

    def _region_locations(self, region: str) -> transfer.RegionTransfers:
        return self._transfer_locations.get(
            region, lambda: transfer.read_locations(self.account, region)
        )

    def _transfers_of(self, name: str, region: str | None) -> tuple[list[Location], list[Gap]]:
        if self._transfer_regions is not None:
            regions = self._transfer_regions
        else:
            regions = [region] if region else []
        tasks = [self._region_transfers(r) for r in regions]
        locations = [self._region_locations(r) for r in transfer.location_regions(tasks)]
        return transfer.transfers_for_bucket(
            name,
            region,
            tasks + locations,
            self._destination,
            self.account.partition.name,
        )

    def _region_backup(self, region: str) -> RegionBackup:
        try:
            summaries = [
                p
                for page in self.account.pages("backup", region, "ListBackupPlans")
                for p in page.get("BackupPlansList", [])
            ]
        except AwsApiError as exc:
            return RegionBackup(region=region, error=Failure(exc.code, exc.message))
        plans = []
        for summary in summaries:
            plan_id = str(summary["BackupPlanId"])
            try:
                plan = self.account.call("backup", region, "GetBackupPlan", BackupPlanId=plan_id)
                selections: list[Mapping[str, Any]] | Failure = [
                    self.account.call(
                        "backup",
                        region,
                        "GetBackupSelection",
                        BackupPlanId=plan_id,
                        SelectionId=item["SelectionId"],
                    )
                    for page in self.account.pages(
                        "backup", region, "ListBackupSelections", BackupPlanId=plan_id
                    )
                    for item in page.get("BackupSelectionsList", [])
                ]
            except AwsApiError as exc:
                plan = dict(summary) | {
                    "BackupPlan": {"BackupPlanName": summary.get("BackupPlanName")}
                }
                selections = Failure(exc.code, exc.message)
            plans.append(plan_from_responses(plan, region, self.ctx.account_id, selections))
        return RegionBackup(region=region, plans=tuple(plans))

    # --- shared per-bucket lookups ------------------------------------------------------------

    def _region_backup_once(self, region: str) -> RegionBackup:
        return self._backup.get(region, lambda: self._region_backup(region))

    def _region_of(self, name: str) -> _RegionLookup:
        return self._bucket_regions.get(name, lambda: self._look_up_region(name))

    def _look_up_region(self, name: str) -> _RegionLookup:
        """GetBucketLocation, then HeadBucket (whose x-amz-bucket-region S3 sends even on 403)."""
        try:
            response = self.reader.call("s3", self.home, "GetBucketLocation", Bucket=name)
            return _RegionLookup(nz.primary_region(response.get("LocationConstraint"), self.home))
        except AwsApiError as first:
            if first.code == "NoSuchBucket":
                return _RegionLookup(None, first)
            try:
                return _RegionLookup(self.reader.head_bucket_region(name), first)
            except AwsApiError as second:
                return _RegionLookup(None, first, second)

    def _destination(self, name: str) -> DestinationRegion:
        found = self._region_of(name)
        if found.region is not None:
            return DestinationRegion(found.region)
        if found.missing:
            return nz.DESTINATION_MISSING
        first, second = found.first, found.second
        assert first is not None and second is not None  # no region and not missing
        codes = f"GetBucketLocation {first.code}, HeadBucket {second.code}"
        return DestinationRegion(
            None,
            f"destination region unreadable: {codes}",
            transient=is_transient(first.code) or is_transient(second.code),
            why=Evidence(key="aws.destination-region-unread", text=codes),
        )

    def _describe_key(self, key: tuple[str, str]) -> Read:
        region, key_id = key
        return _read(lambda: self.reader.call("kms", region, "DescribeKey", KeyId=key_id))

    def _own_region(self, name: str) -> tuple[str | None, Gap | None]:
        found = self._region_of(name)
        if found.region is not None:
            return found.region, None
        assert found.first is not None
        code = found.first.code
        tried = "HeadBucket gave no region" if found.second else "HeadBucket not tried"
        return None, READS["s3", "GetBucketLocation"].gap(
            f"GetBucketLocation failed: {code}; {tried}",
            code,
            Evidence(key="aws.bucket-region-unread", value=code),
        )

    # --- one bucket -----------------------------------------------------------------------------

    def bucket(self, listed: Mapping[str, Any]) -> Bucket:
        return self._bucket(listed)[0]

    def _bucket(self, listed: Mapping[str, Any]) -> tuple[Bucket, bool]:
        """The bucket, and whether a read of it ended on a transient failure."""
        name = str(listed["Name"])
        arn = nz.bucket_arn(self.ctx.arn_partition, name)
        gaps: list[Gap] = []
        if listed.get("BucketRegion"):  # real S3 lists each bucket's region
            self._bucket_regions.put(name, _RegionLookup(str(listed["BucketRegion"])))
        region, gap = self._own_region(name)
        gaps.extend([gap] if gap else [])
        at = region or self.home

        def get(operation: str) -> Read:
            return _read(lambda: self.reader.call("s3", at, operation, Bucket=name))

        locations: list[Location] = [
            Location(
                role=Role.PRIMARY,
                provider=nz.PROVIDER,
                region=region,
                mechanism="s3-bucket",
                target=name,
                unknown_reason=None if region else "GetBucketLocation and HeadBucket failed",
                why=None if region else Evidence(key="aws.bucket-region-unread"),
            )
        ]
        backup = self._region_backup_once(region) if region else None
        tags: dict[str, str] | None = {}  # unread and unused: nothing depends on them
        if self.ctx.read_tags or (backup is not None and backup.selects_by_tag):
            tags, gap = nz.tags(get("GetBucketTagging"))
            gaps.extend([gap] if gap else [])

        enc_response = get("GetBucketEncryption")
        key_read: Read | None = None
        if isinstance(enc_response, Mapping):
            algorithm, key_id = nz.encryption_rule(enc_response)
            if algorithm and algorithm.startswith("aws:kms") and key_id:
                key_region = nz.arn_region(key_id) or at  # ids and aliases: bucket region
                key = (key_region, key_id)
                key_read = self._keys.get(key, lambda: self._describe_key(key))
        enc, key_locations, enc_gaps = nz.encryption(enc_response, key_read, region)
        locations.extend(key_locations)
        gaps.extend(enc_gaps)

        regions: dict[str, DestinationRegion] = {}
        replication = get("GetBucketReplication")
        if isinstance(replication, Mapping):
            names = nz.destination_bucket_names(replication)
            regions = {n: self._destination(n) for n in names}
        replica_locations, replica_gaps = nz.replication(replication, regions)
        locations.extend(replica_locations)
        gaps.extend(replica_gaps)

        # metadata exports: trails recording the bucket's data events, access logs, inventory
        trail_locations, trail_gaps, trail_regions = self._trails.for_bucket(
            name, region, self._destination, self.ctx.arn_partition
        )
        export_locations, export_gaps, export_regions = bucket_exports(
            self.reader, name, at, region, self._destination
        )
        locations.extend(trail_locations + export_locations)
        gaps.extend(trail_gaps + export_gaps)
        regions = {**regions, **trail_regions, **export_regions}  # for the transient check

        backup_locations, backup_gaps = backup_for_bucket(
            arn, tags, backup, self.ctx.arn_partition, region
        )
        locations.extend(backup_locations)
        gaps.extend(backup_gaps)

        if self._mrap_error is not None:
            gaps.append(
                read_gap(
                    "s3control",
                    "ListMultiRegionAccessPoints",
                    self._mrap_error,
                    label="s3:ListMultiRegionAccessPoints",
                )
            )
        locations.extend(nz.mrap_locations(name, self._mraps.get(name, [])))

        edge_locations, edge_gaps = cdn.for_bucket(self._edges, name)
        locations.extend(edge_locations)
        gaps.extend(edge_gaps)
        transfer_locations, transfer_gaps = self._transfers_of(name, region)
        locations.extend(transfer_locations)
        gaps.extend(transfer_gaps)

        policy = get("GetBucketPolicy")
        principals, gap = external_principals(policy, self.ctx.known_accounts)
        gaps.extend([gap] if gap else [])
        if account_fully_blocked(self._account_block):
            # The account-level block overrides every bucket setting: no need to read them.
            public = PublicAccess(verdict=PublicVerdict.BLOCKED, evidence=ACCOUNT_BLOCK_EVIDENCE)
        else:
            no_policy = isinstance(policy, Failure) and policy.code == "NoSuchBucketPolicy"
            public, public_gaps = public_access(
                self._account_block,
                get("GetPublicAccessBlock"),
                policy if no_policy else get("GetBucketPolicyStatus"),
                get("GetBucketAcl"),
                get("GetBucketOwnershipControls"),
            )
            gaps.extend(public_gaps)

        bucket = Bucket(
            provider=nz.PROVIDER,
            scope=self.ctx.account_id,
            name=name,
            uid=arn,
            tags=tags or {},
            locations=nz.dedupe(locations),
            encryption=enc,
            public_access=public,
            gaps=tuple(dict.fromkeys(gaps)),
            external_principals=principals,
        )
        transient = any(is_transient(g.error_code) for g in gaps) or any(
            d.transient for d in regions.values()
        )
        return bucket, transient

    # --- the whole account ----------------------------------------------------------------------

    def _listing(self) -> Iterator[Mapping[str, Any] | CoverageNote]:
        pages = self.account.pages(
            "s3",
            self.home,
            "ListBuckets",
            next_param="ContinuationToken",
            next_field="ContinuationToken",
            MaxBuckets=LIST_BUCKETS_PAGE,
        )
        first = True
        while True:
            try:
                page = next(pages)
            except StopIteration:
                return
            except AwsApiError as exc:
                if first:
                    raise CollectionError(
                        f"account {self.ctx.account_id}: s3:ListBuckets failed: {exc.code}",
                        code=exc.code,
                    ) from None
                yield CoverageNote(
                    kind="listing-incomplete",
                    detail=f"account {self.ctx.account_id}: a later ListBuckets page failed "
                    f"({exc.code}); buckets after it were not scanned",
                    affects_completeness=True,
                    buckets_missing=True,
                )
                return
            first = False
            buckets = page.get("Buckets", [])
            # real S3 lists each bucket's region: known before any bucket of the page is read,
            # a replication destination later in the page needs no look-up either
            for listed in buckets:
                if listed.get("BucketRegion"):
                    self._bucket_regions.put(
                        str(listed["Name"]), _RegionLookup(str(listed["BucketRegion"]))
                    )
            yield from buckets
            if len(buckets) >= LIST_BUCKETS_PAGE and not page.get("ContinuationToken"):
                yield CoverageNote(
                    kind="listing-possibly-truncated",
                    detail=f"account {self.ctx.account_id}: ListBuckets returned a full page "
                    "without a continuation token; buckets beyond it may be missing",
                    affects_completeness=True,
                    buckets_missing=True,
                )

    def _shared_listing(
        self, share_of: Callable[[int], BucketShare]
    ) -> list[Mapping[str, Any] | CoverageNote] | None:
        """With scan --shard, this shard's share of the listing; None when the account is
        another shard's whole. The whole listing is taken first, as its count decides whether the
        account is shared by bucket name, and only then is anything else read: an account that
        is not this shard's costs it the listing alone."""
        items = list(self._listing())
        share = share_of(sum(not isinstance(i, CoverageNote) for i in items))
        self._split = share.split
        if not share.split and not share.owns_scope:
            return None
        return [i for i in items if isinstance(i, CoverageNote) or share.owns(str(i["Name"]))]

    def run(self) -> Iterator[Bucket | CoverageNote]:
        listed = None
        if self.ctx.share is not None:
            listed = self._shared_listing(self.ctx.share)
            if listed is None:
                return
        regions, disabled, notes = self._regions()
        yield from notes
        held: set[str] = set()  # the regions the account's buckets live in
        for item in self._collect(regions, listed):
            if isinstance(item, Bucket):
                held |= regions_in_use(item, self.ctx.account_id)
            yield item
        note = self._not_enabled_note(disabled, held)
        if note is not None:
            yield note

    def _collect(
        self, regions: list[str], listed: list[Mapping[str, Any] | CoverageNote] | None = None
    ) -> Iterator[Bucket | CoverageNote]:
        workers = self.ctx.max_workers
        retry: list[Mapping[str, Any]] = []  # buckets to read again in the final pass
        with (
            ThreadPoolExecutor(workers, thread_name_prefix="aws-bucket") as pool,
            ThreadPoolExecutor(min(workers, 8), thread_name_prefix="aws-region") as prefetch,
        ):
            # The account's own facts are read while the first listing page is on its way; every
            # bucket needs them, so none is submitted before they are in.
            account_level = [
                prefetch.submit(self._read_account_block),
                prefetch.submit(self._read_mraps),
                prefetch.submit(self._read_edges),
            ]
            # Every enabled region's backup plans are read up front, on their own pool, so a
            # bucket worker waiting for its region never starves the pool that fills it.
            for region in regions:
                prefetch.submit(self._region_backup_once, region)
            # A DataSync task may copy a bucket of any region of the partition: with the
            # enabled regions known, every bucket is matched against all their tasks.
            self._transfer_regions = list(regions) or None
            for region in regions:
                prefetch.submit(self._region_transfers, region)
            pending: dict[Future[tuple[Bucket, bool]], Mapping[str, Any]] = {}

            def finished() -> Iterator[Bucket]:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    listed = pending.pop(future)
                    bucket, transient = future.result()
                    if transient:
                        retry.append(listed)
                    else:
                        yield bucket

            try:
                for item in self._listing() if listed is None else listed:
                    while account_level:  # waited for once, before the first bucket
                        account_level.pop().result()
                    if isinstance(item, CoverageNote):
                        yield item
                        continue
                    pending[pool.submit(self._bucket, item)] = item
                    if len(pending) >= 2 * workers:
                        yield from finished()
                while pending:
                    yield from finished()
            finally:
                for future in pending:
                    future.cancel()
            # The final pass: the held-back buckets again, with the full read timeout and fresh
            # caches (a cached lookup may hold the transient failure); account-level facts too.
            patient = AccountScan(self.account, self.ctx, reader=self.account) if retry else None
            if patient is not None:
                patient._read_account_level()
                patient._transfer_regions = self._transfer_regions
                yield from pool.map(patient.bucket, retry)
        backups = {b.region: b for b in self._backup.values()}
        if patient is not None:  # a region read again is reported as the final pass found it
            backups |= {b.region: b for b in patient._backup.values()}
        for backup in backups.values():
            if backup.error is not None:
                yield CoverageNote(
                    kind="backup-unreadable",
                    detail=f"account {self.ctx.account_id}, {backup.region}: "
                    + backup.error.describe("backup:ListBackupPlans"),
                    affects_completeness=True,
                )
        yield from self._around_notes()

    def _around_notes(self) -> Iterator[CoverageNote]:
        """What the reads of copies made around the buckets could not cover."""
        read = sorted(t.region for t in self._transfers.values())
        if self._transfer_regions is None and read:
            yield CoverageNote(
                kind="transfer-regions-partial",
                detail=f"account {self.ctx.account_id}: DataSync tasks were read only in the "
                f"regions where its buckets live ({', '.join(read)}); a task created in another "
                "region that copies one of them across regions was not read",
            )
        if not self._edges.read and self.account.partition.name == "aws-cn":
            yield CoverageNote(
                kind="cdn-not-read",
                detail=f"account {self.ctx.account_id}: CloudFront distributions of the China "
                "partition were not read (the catalog has no rows for its edge locations, which "
                "are in mainland China)",
            )
