"""``source = "inventory"``: the buckets' configurations from an AWS Config aggregator.

A sibling of the live collector feeding the same normalisation: :class:`InventoryScan` is the
live :class:`~.collector.AccountScan` with two changes. Its listing is the aggregator's items
for the account (not ListBuckets), and its per-bucket reader (:class:`ServingReader`) answers
each S3 read from the bucket's configuration item (:mod:`.config_shapes`) where the item holds
it. A read the item cannot answer -- an item older than ``max_age``, a setting Config never
records (ownership controls, policy status, S3 Inventory configurations) or an entry the item
lacks -- goes to S3 as in a live scan: the live reads are the collector's own. Those settings are
named in the bucket's ``read_live`` and counted in the ``inventory-fallback`` note. Server access
logging is answered from the item's ``BucketLoggingConfiguration``; the CloudTrail trails are
read as a live scan reads them, once per region holding buckets.

Reads made per account as a live scan makes them: Block Public Access of the account, the
Multi-Region Access Points, the KMS keys (a key's region and its multi-Region replicas) and AWS
Backup plans -- the latter only in the regions where the account's buckets live (a plan protects
resources of its own region), so no DescribeRegions and no plans of empty regions. These are a
handful of calls an account, each answered in full by the service that owns it; Config's
records of them (AWS::Backup::BackupSelection, AWS::KMS::Key) would add their own lag and gaps.

Two ways to read the aggregator (``inventory_query``): ``select`` (default), one advanced query
(SelectAggregateResourceConfig) a page of 100 items; ``list``, ListAggregateDiscoveredResources
then BatchGetAggregateResourceConfig, 100 identifiers a call (what moto implements).

What ``max_age`` is measured against (``freshness``): Config writes an item only when it records
a change, so an unchanged bucket's capture time grows old while Config still vouches for it. With
``aggregator`` (default) a bucket's ``captured`` is the later of its capture time and the last
successful aggregation of the source covering its account and region
(DescribeConfigurationAggregatorSourcesStatus, read once a scan); a source that failed or is
outdated, none, or a status that could not be read leaves the capture time (strict) and an
``aggregator-source-status`` note. ``capture``: the capture time alone.
"""

from __future__ import annotations

import json
import queue
import re
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from residency_audit.errors import CollectionError
from residency_audit.inventory_source import (
    Fallback,
    FallbackReason,
    disagreement_note,
    disagreements,
    sample,
    source_note,
    stale,
)
from residency_audit.model import Bucket, CoverageNote
from residency_audit.plugins import Scope

from .client import AwsAccount, AwsApiError
from .collector import AccountScan, ScanContext, _RegionLookup
from .config_shapes import (
    NOT_RECORDED,
    ConfigItem,
    SourceStatus,
    covering,
    item_from_config,
    source_status,
    vouched_as_of,
)
from .inventory_settings import InventorySettings
from .reads import READS

__all__ = ["ConfigInventory", "InventoryScan", "ServingReader"]

RESOURCE_TYPE = "AWS::S3::Bucket"
_ACCOUNT = re.compile(r"^\d{12}$")
PAGE = 100  # the API maximum of all three calls
_FIELDS = (
    "resourceId, resourceName, accountId, awsRegion, configurationItemCaptureTime, "
    "configurationItemStatus, configuration, supplementaryConfiguration"
)
# the S3 reads an item can answer (or that must be read live for want of it)
SERVABLE = frozenset(
    {
        "GetBucketTagging",
        "GetBucketEncryption",
        "GetBucketReplication",
        "GetPublicAccessBlock",
        "GetBucketPolicy",
        "GetBucketAcl",
        "GetBucketLogging",
        *NOT_RECORDED,
    }
)


_REPORTS = "ListBucketInventoryConfigurations"


def setting_name(operation: str) -> str:
    """The setting an S3 read feeds, as gaps name it (``encryption``, ``public_access.acl``)."""
    return str(READS["s3", operation].field)


@dataclass
class _Serving:
    """One bucket in flight: its item, whether it is answered from it, what went live and why."""

    item: ConfigItem
    stale: bool
    vouched: datetime | None  # what max_age was measured against (the bucket's ``captured``)
    serve: bool = True
    live: dict[str, FallbackReason] = field(default_factory=dict)


class ServingReader(AwsAccount):
    """The account's per-bucket reader, answering the S3 reads its bucket's item holds."""

    _states: dict[str, _Serving]

    _skip_reports: bool
    skipped: set[str]  # buckets whose S3 Inventory configurations were not read

    @classmethod
    def around(cls, reader: AwsAccount, *, skip_reports: bool = False) -> ServingReader:
        serving = cls.__new__(cls)
        serving.__dict__.update(reader.__dict__)  # the same clients, limiter and session
        serving._states = {}
        serving._skip_reports = skip_reports
        serving.skipped = set()  # shared, like _states, by the copies with other timeouts
        return serving

    def call(self, service: str, region: str, operation: str, **params: Any) -> dict[str, Any]:
        state = self._states.get(str(params.get("Bucket", ""))) if service == "s3" else None
        if state is not None and state.serve and operation == _REPORTS and self._skip_reports:
            # inventory_reports = "skip": see InventorySettings; the scope's note says so
            self.skipped.add(str(params["Bucket"]))
            return {"InventoryConfigurationList": [], "IsTruncated": False}
        if state is None or not state.serve or operation not in SERVABLE:
            return super().call(service, region, operation, **params)
        served = state.item.served(operation)
        if state.stale:
            state.live[operation] = "stale"
        elif served.response is not None:
            copied: dict[str, Any] = json.loads(json.dumps(served.response))  # the caller's own
            return copied
        elif served.error is not None:
            raise AwsApiError("s3", operation, served.error, "recorded by AWS Config")
        else:
            state.live[operation] = served.missing or "absent"
        return super().call(service, region, operation, **params)


def _ahead(pages: Iterator[dict[str, Any]], depth: int = 2) -> Iterator[dict[str, Any]]:
    """The pages, each next one requested while the buckets of this one are read: the
    aggregator's round trips overlap the work instead of adding to it."""
    box: queue.Queue[dict[str, Any] | BaseException | None] = queue.Queue(depth)
    stop = threading.Event()

    def put(value: dict[str, Any] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                box.put(value, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def fill() -> None:
        try:
            for page in pages:
                if not put(page):
                    return
        except BaseException as exc:  # handed to the reader, raised there
            put(exc)
            return
        put(None)

    threading.Thread(target=fill, name="aws-config-pages", daemon=True).start()
    try:
        while (got := box.get()) is not None:
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        stop.set()


def _select_rows(page: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for row in page.get("Results", []):
        yield json.loads(row) if isinstance(row, str) else dict(row)


class ConfigInventory:
    """The aggregator, read with the caller's credentials: which accounts hold buckets, and
    each account's configuration items, streamed page by page."""

    def __init__(self, caller: AwsAccount, settings: InventorySettings) -> None:
        self.caller = caller
        self.settings = settings
        self.region = settings.region or caller.partition.home_region
        self.service = f"AWS Config aggregator '{settings.aggregator}'"
        self._census: dict[str, int] | None = None
        self._identifiers: dict[str, list[dict[str, Any]]] = {}  # list path only
        self._sampled: set[str] = set()
        self.now = datetime.now(UTC)
        self._sources: tuple[list[SourceStatus], str | None] | None = None
        self._sources_lock = threading.Lock()

    def sources(self) -> tuple[list[SourceStatus], str | None]:
        """The aggregator's source statuses (read once a scan, after the census), and why they
        could not be read (then there are none)."""
        operation = "DescribeConfigurationAggregatorSourcesStatus"
        with self._sources_lock:
            if self._sources is None:
                try:
                    statuses = [
                        source_status(entry)
                        for page in self.caller.pages(
                            "config",
                            self.region,
                            operation,
                            ConfigurationAggregatorName=self.settings.aggregator,
                            Limit=PAGE,
                        )
                        for entry in page.get("AggregatedSourceStatusList", [])
                    ]
                    self._sources = (statuses, None)
                except AwsApiError as exc:
                    self._sources = ([], f"config:{operation} failed: {exc.code}")
            return self._sources

    def vouched(self, item: ConfigItem) -> tuple[datetime | None, str | None]:
        """The time Config vouches for the item's state as of, and, when that is its capture
        time for want of a successful source, why (for the scope's note)."""
        if self.settings.freshness == "capture":
            return item.captured, None
        statuses, unread = self.sources()
        if unread is not None:
            return item.captured, unread
        source = covering(statuses, item.account, item.region)
        basis = vouched_as_of(item.captured, source)
        if source is None:
            return basis, f"no source covers account {item.account} in {item.region or '?'}"
        if source.status != "SUCCEEDED":
            return basis, source.describe()
        return basis, None

    def _pages(self, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        try:
            yield from self.caller.pages(
                "config",
                self.region,
                operation,
                ConfigurationAggregatorName=self.settings.aggregator,
                **params,
            )
        except AwsApiError as exc:
            raise CollectionError(
                f"{self.service} in {self.region}: config:{operation} failed: {exc.code}",
                code=exc.code,
            ) from None

    def census(self) -> dict[str, int]:
        """Account id -> how many buckets the aggregator holds for it (read once)."""
        if self._census is None:
            counts: dict[str, int] = defaultdict(int)
            if self.settings.query == "select":
                expression = (
                    f"SELECT accountId, COUNT(*) WHERE resourceType = '{RESOURCE_TYPE}' "
                    "GROUP BY accountId"
                )
                for page in self._pages(
                    "SelectAggregateResourceConfig", Expression=expression, Limit=PAGE
                ):
                    for row in _select_rows(page):
                        account = str(row.get("accountId", ""))
                        if not _ACCOUNT.match(account):  # it is put into the next queries
                            raise CollectionError(
                                f"{self.service}: the census named an account id that is not "
                                "12 digits",
                                code="InvalidAccountId",
                            )
                        counts[account] += int(row.get("COUNT(*)", 0))
            else:
                for page in self._pages(
                    "ListAggregateDiscoveredResources", ResourceType=RESOURCE_TYPE, Limit=PAGE
                ):
                    for ident in page.get("ResourceIdentifiers", []):
                        account = str(ident["SourceAccountId"])
                        self._identifiers.setdefault(account, []).append(ident)
                        counts[account] += 1
            self._census = dict(counts)
            if self.settings.freshness == "aggregator":
                self.sources()  # here, before any account's pages are in flight
            k = self.settings.verify_sample
            if k:  # positions in each account's stream, drawn over the whole aggregator
                positions = (f"{a}/{i}" for a, n in sorted(self._census.items()) for i in range(n))
                self._sampled = set(sample(positions, k, self.settings.verify_seed))
        return self._census

    def sampled(self, account: str, ordinal: int) -> bool:
        """Whether the account's ``ordinal``-th item is one of the verification sample."""
        return f"{account}/{ordinal}" in self._sampled

    def items(self, account: str) -> Iterator[ConfigItem]:
        """The account's items, a page at a time (an identifier BatchGet could not return is an
        item without answers, read live in full)."""
        if self.settings.query == "select":
            expression = (
                f"SELECT {_FIELDS} WHERE resourceType = '{RESOURCE_TYPE}' "
                f"AND accountId = '{account}'"
            )
            pages = self._pages("SelectAggregateResourceConfig", Expression=expression, Limit=PAGE)
            for page in _ahead(pages):
                yield from (item_from_config(row) for row in _select_rows(page))
            return
        identifiers = self._identifiers.get(account, [])
        for start in range(0, len(identifiers), PAGE):
            chunk = [
                {
                    "SourceAccountId": i["SourceAccountId"],
                    "SourceRegion": i["SourceRegion"],
                    "ResourceId": i["ResourceId"],
                    "ResourceType": RESOURCE_TYPE,
                }
                for i in identifiers[start : start + PAGE]
            ]
            try:
                answer = self.caller.call(
                    "config",
                    self.region,
                    "BatchGetAggregateResourceConfig",
                    ConfigurationAggregatorName=self.settings.aggregator,
                    ResourceIdentifiers=chunk,
                )
            except AwsApiError as exc:
                raise CollectionError(
                    f"{self.service}: config:BatchGetAggregateResourceConfig failed: {exc.code}",
                    code=exc.code,
                ) from None
            yield from (item_from_config(i) for i in answer.get("BaseConfigurationItems", []))
            for ident in answer.get("UnprocessedResourceIdentifiers", []):
                yield ConfigItem(
                    account, str(ident["SourceRegion"]), str(ident["ResourceId"]), None
                )

    def scan(self, account: AwsAccount, context: ScanContext) -> AccountScan:
        """The account's scan: from the aggregator when it holds buckets of the account, live
        otherwise (an account Config does not record is never taken to be empty)."""
        if context.account_id not in self.census():
            return AccountScan(account, context)
        return InventoryScan(account, context, self)

    def scopes(self, scopes: list[Scope], *, extend: bool) -> list[Scope]:
        """The configured scopes; with ``extend`` (neither an organisation nor accounts named:
        the caller's account alone), every other account the aggregator holds buckets for too,
        entered through the audit role."""
        census = self.census()
        others = sorted(a for a in census if all(a != s.id for s in scopes))
        if not extend or len(scopes) != 1 or not others:
            return scopes
        [caller] = scopes
        context = {**caller.context, "known": frozenset({caller.id, *others})}
        return [
            Scope(caller.provider, caller.id, caller.name, context),
            *(Scope(caller.provider, a, None, {**context, "assume": True}) for a in others),
        ]


class InventoryScan(AccountScan):
    """One account's buckets from its configuration items; see the module docstring."""

    def __init__(
        self, account: AwsAccount, context: ScanContext, inventory: ConfigInventory
    ) -> None:
        # both readers serve from the items: the first pass's (short read timeout) and the
        # account's own, which AccountScan's final pass reads held-back buckets with
        serving = ServingReader.around(
            account, skip_reports=inventory.settings.inventory_reports == "skip"
        )
        self.skipped = serving.skipped
        quick = context.bucket_read_timeout
        reader = (
            serving.with_read_timeout(quick) if quick and quick < account.read_timeout else None
        )
        super().__init__(serving, context, reader=reader or serving)
        self.states = serving._states  # shared by both readers (a shallow copy)
        self.inventory = inventory
        self.fallback = Fallback(inventory.service)
        self._tally = threading.Lock()
        self._notes: list[CoverageNote] = []
        self._total = 0
        self._captured: list[datetime] = []  # the oldest and newest capture times
        self._vouched: list[datetime] = []  # the oldest and newest vouched-for times
        self._unvouched: dict[str, int] = defaultdict(int)  # why -> buckets on the capture time

    def _regions(self) -> tuple[list[str], list[str], list[CoverageNote]]:
        # each bucket's own region has its backup plans read on first use (AccountScan._bucket)
        return [], [], []

    def _listing(self) -> Iterator[Mapping[str, Any] | CoverageNote]:
        max_age = self.inventory.settings.max_age
        items = self.inventory.items(self.ctx.account_id)
        ordinal = 0
        while True:
            try:
                item = next(items)
            except StopIteration:
                return
            except CollectionError as exc:
                if not ordinal:
                    raise
                yield CoverageNote(
                    kind="listing-incomplete",
                    detail=f"account {self.ctx.account_id}: a later page of {exc}; buckets "
                    "after it were not scanned",
                    affects_completeness=True,
                    buckets_missing=True,
                )
                return
            if item.deleted:  # Config's record of a bucket since deleted: nothing to scan
                continue
            vouched, unvouched = self.inventory.vouched(item)
            if unvouched is not None:
                self._unvouched[unvouched] += 1  # the listing runs on one thread
            state = _Serving(item, stale(vouched, self.inventory.now, max_age), vouched)
            self.states[item.name] = state
            listed: dict[str, Any] = {"Name": item.name, "_ordinal": ordinal}
            if item.region:
                listed["BucketRegion"] = item.region
                # known before any later bucket names it as a replication destination (as
                # AccountScan's listing seeds each page's regions)
                self._bucket_regions.put(item.name, _RegionLookup(item.region))
            ordinal += 1
            yield listed

    def _bucket(self, listed: Mapping[str, Any]) -> tuple[Bucket, bool]:
        name = str(listed["Name"])
        state = self.states[name]
        bucket, transient = super()._bucket(listed)
        if transient:  # read again in AccountScan's final pass, finished in run()
            return bucket, transient
        if self.inventory.sampled(self.ctx.account_id, int(listed["_ordinal"])):
            inventory_reading = self._finish(bucket, state, tally=False)
            state.serve = False  # the live reading: every setting from S3
            live, transient = super()._bucket(listed)
            found = disagreements(inventory_reading, live)
            with self._tally:
                self._total += 1
                self._notes.extend(disagreement_note(d, self.inventory.service) for d in found)
            del self.states[name]
            return live, transient
        del self.states[name]
        return self._finish(bucket, state), transient

    def _finish(self, bucket: Bucket, state: _Serving, *, tally: bool = True) -> Bucket:
        """The bucket with its vouched-for time and the settings read live, counted."""
        captured = state.item.captured
        fields = tuple(sorted({setting_name(op) for op in state.live}))
        bucket = bucket.model_copy(update={"captured": state.vouched, "read_live": fields})
        if not tally:
            return bucket
        with self._tally:
            self._total += 1
            if captured is not None:
                seen = [captured, *self._captured]
                self._captured = [min(seen), max(seen)]
            if state.vouched is not None:
                seen = [state.vouched, *self._vouched]
                self._vouched = [min(seen), max(seen)]
            by_reason: dict[FallbackReason, set[str]] = defaultdict(set)
            for op, reason in state.live.items():
                by_reason[reason].add(setting_name(op))
            for reason, names in sorted(by_reason.items()):
                self.fallback.record(bucket.uid, sorted(names), reason)
        return bucket

    def run(self) -> Iterator[Bucket | CoverageNote]:
        for item in super().run():
            held = self.states.pop(item.name, None) if isinstance(item, Bucket) else None
            yield item if held is None or not isinstance(item, Bucket) else self._finish(item, held)
        note = source_note(self.inventory.service, self._total, self._captured)
        if self._vouched and self._vouched != self._captured:  # the captures are last changes
            oldest, newest = self._vouched
            detail = f"{note.detail} (last changes); vouched for as of {oldest.isoformat()} to "
            yield note.model_copy(update={"detail": f"{detail}{newest.isoformat()}"})
        else:
            yield note
        yield from self._source_notes()
        fallback = self.fallback.note(self._total)
        if fallback is not None:
            yield fallback
        if self.skipped:
            yield CoverageNote(
                kind="inventory-reports-not-read",
                detail=f"account {self.ctx.account_id}: the S3 Inventory configurations of "
                f"{len(self.skipped)} bucket(s) were not read (AWS Config does not record them; "
                'inventory_reports = "skip"). S3 delivers an inventory report only to a bucket '
                "in the source bucket's own region, so none can be in another country; which "
                'buckets and accounts receive them is not known here (inventory_reports = "live" '
                "reads them, one call a bucket)",
                counts={"buckets": len(self.skipped)},
            )
        yield from self._notes

    def _source_notes(self) -> Iterator[CoverageNote]:
        """Why buckets of the scope had max_age measured against their capture time."""
        for why, buckets in sorted(self._unvouched.items()):
            yield CoverageNote(
                kind="aggregator-source-status",
                detail=f"{self.inventory.service}: {why}; max_age was measured against the "
                f"capture time of {buckets} buckets' items (their unchanged settings read live "
                "once older)",
                counts={"buckets": buckets},
            )
