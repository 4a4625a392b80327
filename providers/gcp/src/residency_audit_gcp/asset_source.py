"""``source = "inventory"``: buckets from Cloud Asset Inventory, a sibling of the live collector.

The scopes stay the projects a live scan has (so findings, attestations included, are the same):
for an organization or folder they come from one paged listing of its Project assets. The
parent's buckets are then read once for all of its projects, 1,000 assets a page: every bucket's
IAM policy (``contentType=IAM_POLICY``, kept only as far as it names allUsers or
allAuthenticatedUsers) and the bucket resources (``RESOURCE``), each kept as the compact JSON of
the parts ``normalize`` reads until its project's scope takes it. A bucket resource in an asset
is the JSON API resource (:mod:`.asset_shapes` translates its proto3 rendering), so the live
collector's pure ``normalize`` reads it as is.

Cloud KMS keys are not read: a bucket's ``defaultKmsKeyName`` names the key's location
(``projects/P/locations/LOC/...``), and that location is all ``normalize`` takes from a key.

What the asset does not give (:func:`.asset_shapes.live_fields`), or a bucket whose snapshot is
older than ``max_age``, is read live with the live collector's own reads: one ``buckets.list``
of the bucket's project for its resource fields (however many of its buckets need one) and
``getIamPolicy`` for a missing policy. ``verify_sample`` buckets (drawn from those with a policy
asset, across the parent) are read live in full; every setting the two readings disagree on is
a note, and the live bucket is reported.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from residency_audit.model import (
    Bucket,
    CoverageNote,
    Encryption,
    EncryptionTier,
    Evidence,
)

from . import normalize
from .asset_client import BUCKET_TYPE, PROJECT_TYPE, AssetReader
from .asset_shapes import (
    ALL_FIELDS,
    ENCRYPTION_FIELD,
    FIELD_KEYS,
    IAM_FIELD,
    TAGS,
    bucket_name,
    captured_at,
    compact_policy,
    live_fields,
    merged,
    parse_time,
    project_entry,
    project_number,
    resource_from_asset,
    trimmed,
)
from .client import GcpApiError, StorageReader
from .copies_scan import CopyCollector, ProjectCopies
from .reads import ENCRYPTION, LABELS, READS

__all__ = ["AssetProject", "AssetSource"]

_IamResult = tuple[Mapping[str, Any] | None, tuple[str, str] | None]
_LiveList = tuple[dict[str, dict[str, Any]], str | None]  # name -> live resource; why it failed


@dataclass(frozen=True)
class AssetProject:
    number: str
    project_id: str
    name: str


@dataclass
class _Held:
    """A bucket waiting for its live reads (or its verification)."""

    project: str
    resource: dict[str, Any]
    captured: datetime | None
    needs: list[tuple[str, FallbackReason]]
    verify: bool


@dataclass
class _Tally:
    buckets: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    failed: dict[str, str] = field(default_factory=dict)  # bucket -> why its live read failed

    def saw(self, when: datetime | None) -> None:
        self.buckets += 1
        if when is not None:
            self.oldest = when if self.oldest is None else min(self.oldest, when)
            self.newest = when if self.newest is None else max(self.newest, when)


@dataclass
class _Snapshot:
    """One read of the parent's bucket assets, handed out to its projects' scopes.

    Each bucket is kept as the JSON of the parts normalize reads (a few hundred bytes), grouped
    by project number, until its scope takes it."""

    policies: dict[str, Mapping[str, Any]]
    iam_error: GcpApiError | None
    chosen: set[str]
    groups: dict[str, list[tuple[bytes, datetime | None]]] = field(default_factory=dict)
    stopped: GcpApiError | None = None
    failed: GcpApiError | None = None  # the first page failed: every scope fails
    # project number -> its buckets' locations (where Storage Insights keeps their configs)
    locations: dict[str, set[str]] = field(default_factory=dict)


class AssetSource:
    """Buckets under one Cloud Asset Inventory parent, project by project.

    ``projects`` (for an organization or folder) lists the scopes; the first ``buckets`` call
    reads the parent's bucket assets once for all of them (:class:`_Snapshot`)."""

    def __init__(
        self,
        parent: str,
        assets: AssetReader,
        storage_for: Callable[[str], StorageReader],
        members_of: normalize.MembersOf,
        *,
        now: Callable[[], datetime],
        max_age: timedelta,
        verify_sample: int,
        verify_seed: int | None,
        workers: int,
        copies: CopyCollector,
    ) -> None:
        self.parent = parent
        self.service = f"Cloud Asset Inventory ({parent})"
        self._assets = assets
        self._storage_for = storage_for
        self._members_of = members_of
        self._now = now
        self._max_age = max_age
        self._verify = verify_sample
        self._seed = verify_seed
        self._workers = workers
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        # project number -> id (from projects(); a project parent is its own project)
        self._ids: dict[str, str] = {}
        self._single = parent.removeprefix("projects/") if parent.startswith("projects/") else None
        # a project's live buckets.list, started while the inventory is still being read
        self._live: dict[str, Future[_LiveList]] = {}
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gcp-fallback-list")
        # the services that copy a bucket are read live (one read of each a project)
        self._copies = copies
        self._project_copies: dict[str, ProjectCopies] = {}

    # -- the listings --------------------------------------------------------------------

    def projects(self) -> list[AssetProject]:
        """The active projects under the parent (a live scan skips the others too). A failure
        raises CollectionError: no scope can be named."""
        active: list[AssetProject] = []
        try:
            for page in self._assets.pages(self.parent, PROJECT_TYPE, "RESOURCE"):
                for asset in page.get("assets") or []:
                    entry = project_entry(asset)
                    if entry is None:
                        continue
                    number, pid, state, name = entry
                    if state == "ACTIVE":
                        active.append(AssetProject(number, pid, name or pid))
                        self._ids[number] = pid
        except GcpApiError as exc:
            raise CollectionError(
                f"gcp: cannot list the projects in {self.service}: {exc}", code=exc.code
            ) from exc
        return active

    def _read(self) -> _Snapshot:
        with self._lock:
            if self._snapshot is None:
                self._snapshot = self._load()
            return self._snapshot

    def _load(self) -> _Snapshot:
        """The policies and the bucket resources, read side by side (each is a chain of
        dependent pages: in parallel the two cost the round trips of one)."""
        policies_read = self._pool.submit(self._policies)
        groups: dict[str, list[tuple[bytes, datetime | None]]] = {}
        locations: dict[str, set[str]] = {}
        stopped = failed = None
        now = self._now()
        pages = 0
        try:
            for page in self._assets.pages(self.parent, BUCKET_TYPE, "RESOURCE"):
                pages += 1
                read_time = parse_time(page.get("readTime"))
                for asset in page.get("assets") or []:
                    resource = resource_from_asset(asset)
                    when = captured_at(asset, read_time)
                    number = project_number(asset) or ""
                    groups.setdefault(number, []).append((json.dumps(resource).encode(), when))
                    if isinstance(resource.get("location"), str) and resource["location"]:
                        locations.setdefault(number, set()).add(resource["location"].lower())
                    if stale(when, now, self._max_age) or live_fields(resource, True):
                        self._prefetch(self._single or self._ids.get(number))
        except GcpApiError as exc:
            if pages:
                stopped = exc
            else:
                failed = exc
        policies, iam_error = policies_read.result()
        chosen = set(sample(map(normalize.bucket_uid, policies), self._verify, self._seed))
        return _Snapshot(policies, iam_error, chosen, groups, stopped, failed, locations)

    def _prefetch(self, project: str | None) -> None:
        """Start ``project``'s live bucket list now: a bucket of it needs one."""
        if project is not None and project not in self._live:
            self._live[project] = self._pool.submit(self._list_live, project)

    def _list_live(self, project: str) -> _LiveList:
        reader = self._storage_for(project)
        try:
            listing = reader.list_buckets()
        except GcpApiError as exc:
            return {}, f"buckets.list failed: {exc}"
        finally:
            reader.close()
        # only the parts normalize reads are kept (as for the inventory's own resources)
        live = {str(r.get("name")): trimmed(r) for r in listing.items}
        return live, f"buckets.list stopped: {listing.stopped}" if listing.stopped else None

    def _policies(self) -> tuple[dict[str, Mapping[str, Any]], GcpApiError | None]:
        """bucket name -> its IAM policy (public bindings only), and the error that stopped the
        listing (the buckets it did not reach have their policy read live)."""
        found: dict[str, Mapping[str, Any]] = {}
        try:
            for page in self._assets.pages(self.parent, BUCKET_TYPE, "IAM_POLICY"):
                for asset in page.get("assets") or []:
                    if "iamPolicy" in asset:
                        found[bucket_name(asset)] = compact_policy(asset["iamPolicy"])
        except GcpApiError as exc:
            return found, exc
        return found, None

    # -- one project -----------------------------------------------------------------------

    def buckets(self, project: str, number: str | None) -> Iterator[Bucket | CoverageNote]:
        """The buckets of ``project`` (``number``: its project number; None when the parent is
        the project itself, so every bucket asset is its own)."""
        snap = self._read()
        if snap.failed is not None:
            raise CollectionError(
                f"gcp: cannot list the buckets in {self.service}: {snap.failed}",
                code=snap.failed.code,
            )
        where = (
            {loc for group in snap.locations.values() for loc in group}
            if number is None
            else snap.locations.get(number, set())
        )
        self._project_copies[project] = self._copies.project(project, locations=sorted(where))
        with self._lock:  # each scope takes its own group once
            if number is None:
                entries = [e for g in snap.groups.values() for e in g]
                snap.groups.clear()
            else:
                entries = snap.groups.pop(number, [])
        if snap.iam_error is not None:
            yield CoverageNote(
                kind="inventory-iam-unread",
                detail=f"{self.service}: the IAM policies could not be listed "
                f"({snap.iam_error}); each bucket's policy in {project} is read live instead",
            )
        if snap.stopped is not None:
            yield CoverageNote(
                kind="listing-stopped",
                detail=f"{self.service}: assets.list stopped part-way: {snap.stopped}; buckets "
                f"of {project} after it are missing",
                affects_completeness=True,
                buckets_missing=True,
            )
        tally, fallback, held = _Tally(), Fallback(self.service), []
        now = self._now()
        for raw, when in entries:
            resource = json.loads(raw)
            name = str(resource["name"])
            tally.saw(when)
            if stale(when, now, self._max_age):
                needs: list[tuple[str, FallbackReason]] = [(f, "stale") for f in ALL_FIELDS]
            else:
                needs = live_fields(resource, name in snap.policies)
            verify = normalize.bucket_uid(name) in snap.chosen
            if needs or verify:
                held.append(_Held(project, resource, when, needs, verify))
                continue
            yield self._bucket(project, resource, snap.policies[name], None, when)
        del entries
        if held:
            yield from self._read_live(project, held, snap.policies, fallback, tally)
        yield from self._project_copies[project].notes()
        captured = [t for t in (tally.oldest, tally.newest) if t is not None]
        yield source_note(self.service, tally.buckets, captured)
        note = fallback.note(tally.buckets)
        if note is not None:
            yield note
        if tally.failed:
            listed = "; ".join(f"{b}: {why}" for b, why in sorted(tally.failed.items())[:10])
            yield CoverageNote(
                kind="inventory-fallback-failed",
                detail=f"{len(tally.failed)} bucket(s) of {project} could not be read live where "
                f"{self.service} fell short; the inventory's settings (or a gap) are reported: "
                f"{listed}",
                affects_completeness=True,
                counts={"buckets": len(tally.failed)},
            )

    # -- normalizing ---------------------------------------------------------------------

    def _bucket(
        self,
        project: str,
        resource: Mapping[str, Any],
        policy: Mapping[str, Any] | None,
        iam_error: tuple[str, str] | None,
        captured: datetime | None,
        read_live: Sequence[str] = (),
    ) -> Bucket:
        return normalize.bucket_from_resource(
            project,
            resource,
            self._members_of,
            policy,
            iam_error,
            captured=captured,
            read_live=tuple(read_live),
            around=self._project_copies[project].around(str(resource["name"]), resource),
        )

    def _read_live(
        self,
        project: str,
        items: list[_Held],
        policies: Mapping[str, Mapping[str, Any]],
        fallback: Fallback,
        tally: _Tally,
    ) -> Iterator[Bucket | CoverageNote]:
        reader = self._storage_for(project)
        try:
            live, list_error = self._live_resources(project, items)
            iam = self._live_policies(reader, items)
            for h in items:
                yield from self._resolve(h, live, list_error, iam, policies, fallback, tally)
        finally:
            reader.close()

    def _live_resources(self, project: str, items: list[_Held]) -> _LiveList:
        if not any(h.verify or any(f != IAM_FIELD for f, _ in h.needs) for h in items):
            return {}, None
        with self._lock:
            self._prefetch(project)  # started already, unless only verification needs it
            listed = self._live.pop(project)
        return listed.result()

    def _live_policies(self, reader: StorageReader, items: list[_Held]) -> dict[str, _IamResult]:
        names = [
            str(h.resource["name"])
            for h in items
            if h.verify or any(f == IAM_FIELD for f, _ in h.needs)
        ]

        def read(name: str) -> _IamResult:
            try:
                return reader.get_iam_policy(name), None
            except GcpApiError as exc:
                return None, (exc.code, exc.message)

        if not names:
            return {}
        with ThreadPoolExecutor(max_workers=min(self._workers, len(names))) as pool:
            return dict(zip(names, pool.map(read, names), strict=True))

    def _resolve(
        self,
        h: _Held,
        live: Mapping[str, dict[str, Any]],
        list_error: str | None,
        iam: Mapping[str, _IamResult],
        policies: Mapping[str, Mapping[str, Any]],
        fallback: Fallback,
        tally: _Tally,
    ) -> Iterator[Bucket | CoverageNote]:
        name = str(h.resource["name"])
        uid = normalize.bucket_uid(name)
        live_resource = live.get(name)
        fields = [f for f, _ in h.needs if f != IAM_FIELD]
        resource, unread = dict(h.resource), []
        if fields:
            if live_resource is not None:
                resource = merged(resource, live_resource, fields)
            else:
                unread = fields
                tally.failed[name] = list_error or "not in the project's live buckets.list"
        policy: Mapping[str, Any] | None = policies.get(name)
        iam_error: tuple[str, str] | None = None
        if any(f == IAM_FIELD for f, _ in h.needs):
            policy, iam_error = iam[name]
            if policy is None:
                tally.failed[name] = f"getIamPolicy failed: {iam_error}"
        done = [f for f, _ in h.needs if f not in unread and not (f == IAM_FIELD and iam_error)]
        for reason in ("stale", "not-recorded", "absent"):
            fallback.record(uid, [f for f, r in h.needs if r == reason and f in done], reason)
        was_stale = any(r == "stale" for _, r in h.needs)
        bucket = self._bucket(
            h.project,
            resource if was_stale else _without(resource, unread),
            policy,
            iam_error,
            h.captured,
            done,
        )
        if unread and not was_stale:
            bucket = _unread_gaps(bucket, unread, tally.failed[name])
        if not h.verify:
            yield bucket
            return
        live_policy, live_error = iam[name]
        if live_resource is None:
            tally.failed[name] = list_error or "not in the project's live buckets.list"
            yield bucket
            return
        reading = self._bucket(h.project, live_resource, live_policy, live_error, None)
        for d in disagreements(bucket, reading):
            yield disagreement_note(d, self.service)
        yield reading


def _without(resource: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """The resource without the keys of settings that could be read neither way, so
    ``normalize`` reports them unknown (an empty ACL list would read as "no grants")."""
    drop = {k for f in fields for k in FIELD_KEYS[f]}
    if "public_access.settings" in fields:
        drop |= set(FIELD_KEYS["public_access.acl"])  # uniform access unknown: ACLs matter
    return {k: v for k, v in resource.items() if k not in drop}


def _unread_gaps(bucket: Bucket, fields: Sequence[str], why: str) -> Bucket:
    """Encryption and labels have no "missing" form in ``normalize`` (the JSON API leaves both
    out when unset): where neither source gave them, they become gaps here."""
    gaps = list(bucket.gaps)
    update: dict[str, Any] = {}
    evidence = Evidence(key="gcs.inventory-setting-unread", text=why)
    if ENCRYPTION_FIELD in fields:
        update["encryption"] = Encryption(tier=EncryptionTier.UNKNOWN)
        gaps.append(READS[ENCRYPTION].gap(why, "not-recorded", evidence))
    if TAGS in fields:
        gaps.append(READS[LABELS].gap(why, "not-recorded", evidence))
    if len(gaps) != len(bucket.gaps):
        update["gaps"] = tuple(gaps)
    return bucket.model_copy(update=update) if update else bucket
