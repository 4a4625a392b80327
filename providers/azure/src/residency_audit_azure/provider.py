"""The Azure provider: subscriptions -> storage accounts -> blob containers (the bucket unit).

Per account it reads the container list and the object replication policies (bounded worker pool);
per subscription it reads the key vault list once, and per replication destination the destination
account once. What copies an account's data around it (Front Door / CDN edges, log and inventory
exports, Backup vaults) is read by :mod:`.around`. Every read that fails becomes a gap built from
its row of ``reads.READS`` (what that read could hide) and, where it placed something, an UNKNOWN
location -- never a silent skip.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from residency_audit.catalog import load_catalog
from residency_audit.catalog.listing import ListedRegion, RegionListing
from residency_audit.errors import CollectionError
from residency_audit.memo import Once
from residency_audit.model import (
    Bucket,
    CoverageNote,
    Encryption,
    EncryptionTier,
    Evidence,
    Gap,
    Location,
    Role,
)
from residency_audit.permission_docs import PermissionRequest
from residency_audit.plugins import Scope

from . import keys
from . import normalize as nz
from .around import AccountCopies, CopiesAround
from .around import describe as _describe
from .around import failed_read as _failed_read
from .client import (
    AnonymousProbe,
    ArmClient,
    AzureApiError,
    DataPlaneClient,
    ListingInterrupted,
    RequestLog,
    probe_anonymous_listing,
)
from .credentials import credential_error
from .graph_source import GraphSource
from .permissions import actions, permission_document, role_definition
from .reads import NO_ARM_LOCATION, NOT_READ_WITHOUT_ARM, READS
from .settings import Settings, parse_settings

__all__ = ["AzureProvider"]

Item = Bucket | CoverageNote
# subscription -> {vault name: region}, or the error that left them unread
VaultLookup = Callable[[str], "dict[str, str] | AzureApiError"]


def catalog_pair(region: str) -> tuple[str, str] | None:
    # load_catalog() reads its data files on the first call (never at import) and caches them.
    pair = load_catalog().azure_geo_pair(region)
    return None if pair is None else (str(pair.secondary), str(pair.source))


def vault_pair_status(region: str) -> keys.PairStatus:
    """The catalog's pair for a vault region. A region the catalog lacks, or whose row is
    unverified, has an unknown pair status (never taken as unpaired)."""
    catalog = load_catalog()
    entry = catalog.lookup("azure", region)
    if entry is None:
        return keys.PairStatus(
            None,
            False,
            reason=f"{region!r} is not in the region catalog",
            why=_pair_unknown(region, "not-in-catalog"),
        )
    row = catalog.azure_pair_row(region)
    if row is None:
        return keys.PairStatus(
            None,
            False,
            reason=f"the pair table has no row for {region!r}",
            why=_pair_unknown(region, "no-pair-row"),
        )
    if not row.verified:
        return keys.PairStatus(
            None,
            False,
            reason=f"the pair row is unverified ({row.notes})",
            why=_pair_unknown(region, "pair-row-unverified", row.notes),
        )
    if row.secondary:
        return keys.PairStatus(str(row.secondary), True, str(row.source))
    return keys.PairStatus(None, True, str(row.source))


def _pair_unknown(region: str, value: str, notes: str | None = None) -> Evidence:
    return Evidence(key="azure.vault-pair-unknown", subject=region, value=value, text=notes)


class AzureProvider:
    name: ClassVar[str] = "azure"
    # `scan --subscription` (residency_audit.plugins.CommandLineScoped)
    command_line_settings: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "subscription": ("subscriptions",)
    }

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.request_log = RequestLog()  # every request sent; writes are refused, not sent
        self._arm = ArmClient(settings, self.request_log)
        # subscription -> {vault name: region} | AzureApiError
        self._vaults: Once[str, dict[str, str] | AzureApiError] = Once()
        # subscription -> {pool name: pool} | AzureApiError; pool id -> its regions | error
        self._hsms: Once[str, list[dict[str, Any]] | AzureApiError] = Once()
        self._hsm_regions: Once[str, list[dict[str, Any]] | AzureApiError] = Once()
        self._destinations: Once[str, nz.Destination] = Once()  # destination ref -> account
        # Front Door/CDN edges, log and inventory exports, Backup vaults (around.py)
        self._around = CopiesAround(self._arm, catalog_pair, self._scanned_subscriptions)
        self._scope_ids: Once[str, tuple[str, ...]] = Once()
        self.graph: GraphSource | None = None  # source = "inventory": Resource Graph
        if settings.source == "inventory":
            self.graph = GraphSource(self, self._arm, settings)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> AzureProvider:
        return cls(parse_settings(settings))

    def required_permissions(self) -> Sequence[str]:
        return actions(self.settings.source)

    def permission_policy(self) -> Mapping[str, Any]:
        return role_definition(self.settings.subscriptions, source=self.settings.source)

    # `residency-audit permissions azure --subscription ID`
    # (residency_audit.permission_docs.PermissionDocuments)
    permission_variants: ClassVar[Sequence[str]] = ("default",)
    permission_formats: ClassVar[Sequence[str]] = ("json",)
    permission_options: ClassVar[frozenset[str]] = frozenset(
        {"role_name", "subscriptions", "management_groups"}
    )

    def permission_document(self, request: PermissionRequest) -> str:
        """The role definition, assignable in the subscriptions or management group asked for,
        else in those these settings scan."""
        return permission_document(
            request,
            self.settings.subscriptions,
            self.settings.source,
            self.settings.management_group,
        )

    # -- scopes ---------------------------------------------------------------------------------

    def scopes(self) -> Iterator[Scope]:
        if self.settings.connection_string is not None:
            account = _connection_string_account(self.settings.connection_string)
            yield Scope(self.name, account, f"{account} (connection string, data plane only)")
            return
        if self.graph is not None and self.settings.management_group is not None:
            yield from self.graph.scopes()  # the management group's, as Resource Graph sees
            return
        if self.settings.subscriptions:
            for sub in self.settings.subscriptions:
                yield Scope(self.name, sub)
            return
        try:
            subs = self._arm.list_subscriptions()
        except AzureApiError as exc:
            raise credential_error(exc, self.settings) or CollectionError(
                f"cannot list Azure subscriptions: {exc}", code=exc.code
            ) from exc
        for entry in subs:
            sub_id = entry.get("subscriptionId") or str(entry.get("id", "")).rsplit("/", 1)[-1]
            yield Scope(self.name, sub_id, entry.get("displayName"))

    def _scanned_subscriptions(self) -> tuple[str, ...]:
        """The subscriptions this scan covers (listed once); none when they cannot be listed,
        in which case the scan's own scopes have failed already."""

        def read() -> tuple[str, ...]:
            try:
                return tuple(scope.id for scope in self.scopes())
            except CollectionError:
                return ()

        return self._scope_ids.get("scopes", read)

    # -- buckets --------------------------------------------------------------------------------

    def buckets(self, scope: Scope) -> Iterator[Item]:
        if self.settings.connection_string is not None:
            yield from self._data_plane_buckets(scope, self.settings.connection_string)
            return
        if self.graph is not None:
            yield from self.graph.buckets(scope)
            return
        try:
            accounts = self._arm.list_accounts(scope.id)
        except ListingInterrupted as exc:  # the accounts of the first pages are still reported
            accounts = exc.items
            yield CoverageNote(
                kind="accounts-partly-listed",
                detail=f"storage accounts listed only in part ({_describe(exc)}): "
                f"{len(accounts)} read, the rest missing",
                affects_completeness=True,
                buckets_missing=True,
            )
        except AzureApiError as exc:
            raise credential_error(exc, self.settings) or CollectionError(
                f"cannot list storage accounts in subscription {scope.id}: {exc}", code=exc.code
            ) from exc
        index: dict[str, Mapping[str, Any]] = {}
        for acc in accounts:
            index[str(acc.get("id", "")).lower()] = acc
            index[str(acc.get("name", "")).lower()] = acc
        with ThreadPoolExecutor(self.settings.max_workers, "azure-account") as pool:
            futures = [pool.submit(self._account_items, scope, acc, index) for acc in accounts]
            for future in futures:
                yield from future.result()

    def _account_items(
        self,
        scope: Scope,
        account: Mapping[str, Any],
        index: Mapping[str, Mapping[str, Any]],
        vaults: VaultLookup | None = None,  # None: the live listing (vaults.listBySubscription)
    ) -> list[Item]:
        base = nz.primary_locations(account)
        secondaries, gaps = nz.geo_secondary(account, catalog_pair)
        base.extend(secondaries)
        base.extend(nz.conversion_secondary(account, catalog_pair))
        key_locations, key_gaps = self._key_locations(scope.id, account, vaults)
        base.extend(key_locations)
        gaps.extend(key_gaps)
        account_id = str(account.get("id", ""))
        try:
            containers = self._arm.list_containers(account_id)
        except AzureApiError as exc:
            listed = exc.items if isinstance(exc, ListingInterrupted) else []
            enc, enc_gaps = nz.encryption(account, None)
            gap = _failed_read(exc, "the account's containers could not be listed")
            # the containers are the buckets: the unlisted ones are missing from the scope, and
            # one stand-in bucket carries what the account itself says about them
            how = f"{len(listed)} listed, the rest not" if listed else "not listed"
            note = CoverageNote(
                kind="account-unreadable",
                detail=f"{account.get('name')}: containers {how} ({_describe(exc)})",
                affects_completeness=True,
                buckets_missing=True,
            )
            around = self._around.account(scope.id, account, index, base)
            stand_in = nz.account_bucket(
                scope.id,
                account,
                [*base, *around.every()],
                enc,
                [*gaps, *enc_gaps, gap, *around.gaps],
            )
            return [
                *self._container_items(scope, account, listed, base, gaps, index, around),
                stand_in,
                note,
            ]
        if not containers:
            return [
                CoverageNote(
                    kind="account-without-containers",
                    detail=f"{account.get('name')}: no blob containers (other services not read)",
                )
            ]
        around = self._around.account(scope.id, account, index, base)
        return self._container_items(scope, account, containers, base, gaps, index, around)

    def _container_items(
        self,
        scope: Scope,
        account: Mapping[str, Any],
        containers: Sequence[Mapping[str, Any]],
        base: Sequence[Location],
        gaps: Sequence[Gap],
        index: Mapping[str, Mapping[str, Any]],
        around: AccountCopies,
    ) -> list[Item]:
        if not containers:
            return []
        policies, policy_gap = self._outgoing_policies(account)
        items: list[Item] = []
        for container in containers:
            locations = list(base)
            dest_gaps: list[Gap] = []
            name = str(container.get("name"))
            for policy in policies:
                applies, dest_container = nz.policy_applies(policy, name)
                if applies:
                    dest = self._destination(scope.id, policy, index)
                    locations.extend(
                        nz.replica_locations(policy, dest, dest_container, catalog_pair)
                    )
                    if dest.gap is not None:
                        dest_gaps.append(dest.gap)
            locations.extend(around.locations_for(name))
            enc, enc_gaps = nz.encryption(account, container)
            probe = self._probe(account, name) if self.settings.verify_anonymous else None
            public = nz.public_access(account, container, probe)
            all_gaps = [
                *gaps,
                *enc_gaps,
                *([policy_gap] if policy_gap else []),
                *dest_gaps,
                *around.gaps,
                *_probe_gaps(probe),
            ]
            items.append(
                nz.container_bucket(scope.id, account, container, locations, enc, public, all_gaps)
            )
        return items

    def _outgoing_policies(
        self, account: Mapping[str, Any]
    ) -> tuple[list[Mapping[str, Any]], Gap | None]:
        try:
            listed = self._arm.list_object_replication_policies(str(account.get("id", "")))
        except AzureApiError as exc:
            # the policies of the pages that were read still place copies; the gap says more may
            listed = exc.items if isinstance(exc, ListingInterrupted) else []
            gap = _failed_read(exc, "object replication policies could not be read")
            return nz.outgoing_policies(account, listed), gap
        return nz.outgoing_policies(account, listed), None

    def _destination(
        self, subscription: str, policy: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]]
    ) -> nz.Destination:
        props = policy.get("properties")
        ref = str((props or {}).get("destinationAccount") or "")
        if not ref:
            return nz.Destination(
                "?",
                reason="the policy names no destination account",
                why=Evidence(key="azure.policy-no-destination"),
            )
        found = index.get(ref.lower())
        if found is not None:
            return nz.Destination(ref, account=found)
        if not ref.startswith("/"):
            return nz.Destination(
                ref,
                reason=(
                    f"destination account {ref!r} is not among the storage accounts visible in "
                    f"subscription {subscription}"
                ),
                why=Evidence(key="azure.destination-not-visible", subject=ref, value=subscription),
            )

        def read() -> nz.Destination:
            try:
                return nz.Destination(ref, account=self._arm.get_account(ref))
            except ValueError as exc:
                why = Evidence(key="azure.destination-bad-id", text=str(exc))
                return nz.Destination(ref, reason=str(exc), why=why)
            except AzureApiError as exc:
                return nz.Destination(
                    ref,
                    reason=f"destination account could not be read: {_describe(exc)}",
                    why=Evidence(key="azure.destination-unread", text=_describe(exc)),
                    gap=_failed_read(exc, f"replication destination {ref} could not be read"),
                )

        return self._destinations.get(ref.lower(), read)

    def _key_locations(
        self, subscription: str, account: Mapping[str, Any], vaults: VaultLookup | None = None
    ) -> tuple[list[Location], list[Gap]]:
        kv = nz.customer_key(account)
        if kv is None:
            return [], []
        uri = kv.get("keyvaulturi")
        target = str(uri) if uri else None
        hsm = keys.managed_hsm_host(uri)
        if hsm is not None:
            return self._hsm_key_locations(subscription, hsm, target)
        vault = nz.vault_name(uri)
        if vault is None:
            reason = f"key vault URI {uri!r} names neither a vault nor a Managed HSM"
            why = Evidence(key="azure.key-uri-unrecognised", subject=str(uri))
            return keys.vault_key_locations(target, None, reason, vault_pair_status, why), []

        regions = (vaults or self.live_vault_regions)(subscription)
        if isinstance(regions, AzureApiError):
            reason = f"key vaults not listed: {_describe(regions)}"
            why = Evidence(key="azure.vaults-not-listed", text=_describe(regions))
            return keys.vault_key_locations(target, None, reason, vault_pair_status, why), [
                _failed_read(regions, "the subscription's key vaults not listed")
            ]
        region = regions.get(vault) or None
        reason = f"key vault {vault!r} is not in subscription {subscription} (or not readable)"
        why = Evidence(key="azure.vault-not-found", subject=vault, value=subscription)
        return keys.vault_key_locations(target, region, reason, vault_pair_status, why), []

    def live_vault_regions(self, subscription: str) -> dict[str, str] | AzureApiError:
        """A subscription's key vaults, name -> region, listed once (vaults.listBySubscription)."""

        def read() -> dict[str, str] | AzureApiError:
            try:
                vaults = self._arm.list_vaults(subscription)
            except AzureApiError as exc:
                return exc
            return {str(v.get("name", "")).lower(): str(v.get("location", "")) for v in vaults}

        return self._vaults.get(subscription, read)

    def _hsm_key_locations(
        self, subscription: str, hsm: str, target: str | None
    ) -> tuple[list[Location], list[Gap]]:
        def read() -> list[dict[str, Any]] | AzureApiError:
            try:
                return self._arm.list_managed_hsms(subscription)
            except AzureApiError as exc:
                return exc

        pools = self._hsms.get(subscription, read)
        if isinstance(pools, AzureApiError):
            reason = f"Managed HSM pools not listed: {_describe(pools)}"
            why = Evidence(key="azure.hsms-not-listed", text=_describe(pools))
            return keys.managed_hsm_key_locations(target, None, None, reason, why), [
                _failed_read(pools, "the subscription's Managed HSM pools not listed")
            ]
        pool = keys.find_pool(pools, target)
        if pool is None:
            reason = f"Managed HSM {hsm!r} is not in subscription {subscription} (or not readable)"
            why = Evidence(key="azure.hsm-not-found", subject=hsm, value=subscription)
            return keys.managed_hsm_key_locations(target, None, None, reason, why), []
        listed = (pool.get("properties") or {}).get("regions")
        if isinstance(listed, list):
            return keys.managed_hsm_key_locations(target, pool, listed, None), []
        pool_id = str(pool.get("id", ""))

        def read_regions() -> list[dict[str, Any]] | AzureApiError:
            try:
                return self._arm.list_managed_hsm_regions(pool_id)
            except ValueError as exc:
                return AzureApiError("mhsmRegions.listByResource", None, "BadId", str(exc))
            except AzureApiError as exc:
                return exc

        regions = self._hsm_regions.get(pool_id.lower(), read_regions)
        if isinstance(regions, AzureApiError):
            reason = f"replication regions of {hsm!r} not read: {_describe(regions)}"
            why = Evidence(key="azure.hsm-regions-unread", text=_describe(regions))
            return keys.managed_hsm_key_locations(target, pool, None, reason, why), [
                _failed_read(regions, f"replication regions of Managed HSM {hsm!r} not read")
            ]
        return keys.managed_hsm_key_locations(target, pool, regions, None), []

    # -- catalog check hook ---------------------------------------------------------------------

    def live_region_listings(self) -> list[RegionListing]:
        """Subscriptions - List Locations for each subscription: the physical regions (and Edge
        Zones) with their physical location and pair. One unreadable subscription is a problem
        of the listing; none readable raises CollectionError."""
        if self.settings.connection_string is not None:
            raise CollectionError("connection-string mode cannot list Azure locations (no ARM)")
        listings: list[RegionListing] = []
        problems: list[str] = []
        for scope in self.scopes():
            try:
                locations = self._arm.list_locations(scope.id)
            except AzureApiError as exc:
                problems.append(f"subscription {scope.id}: locations not listed ({_describe(exc)})")
                continue
            listings.append(
                RegionListing(
                    provider=self.name,
                    source=f"Azure Subscriptions - List Locations (subscription {scope.id})",
                    regions=tuple(_listed(loc) for loc in locations if _physical(loc)),
                    live=True,
                    gives_pairs=True,
                )
            )
        if not listings:
            detail = "; ".join(problems)
            raise CollectionError(f"no subscription's locations could be listed: {detail}")
        if problems:
            listings[0] = dataclasses.replace(listings[0], problems=tuple(problems))
        return listings

    def _probe(self, account: Mapping[str, Any], container: str) -> nz.ProbeResult:
        endpoint = self._blob_endpoint(account)
        if endpoint is None:
            return nz.ProbeResult(
                False, "anonymous listing not tried: no blob endpoint", tried=False
            )
        return _probe_result(
            probe_anonymous_listing(
                endpoint, container, self.settings.verify_timeout, self.request_log
            )
        )

    def _blob_endpoint(self, account: Mapping[str, Any]) -> str | None:
        if self.settings.blob_endpoint is not None:
            return self.settings.blob_endpoint.format(account=account.get("name"))
        endpoints = (account.get("properties") or {}).get("primaryEndpoints") or {}
        blob = endpoints.get("blob")
        return str(blob) if blob else None

    # -- connection-string mode -----------------------------------------------------------------

    def _data_plane_buckets(self, scope: Scope, connection_string: str) -> Iterator[Item]:
        client = DataPlaneClient(
            connection_string,
            self.request_log,
            self.settings.retries,
            (self.settings.connect_timeout, self.settings.read_timeout),
        )
        try:
            containers = client.list_containers()
        except AzureApiError as exc:
            raise CollectionError(
                f"cannot list containers of {scope.id}: {exc}", code=exc.code
            ) from exc
        locations = [
            Location(
                role=Role.PRIMARY,
                provider=nz.PROVIDER,
                region=None,
                mechanism="storage-account",
                target=scope.id,
                unknown_reason=NO_ARM_LOCATION,
                why=Evidence(key="azure.no-arm-location"),
            )
        ]
        gaps = list(NOT_READ_WITHOUT_ARM)
        try:
            sku = client.account_information().get("skuName")
        except AzureApiError as exc:
            gaps.append(_failed_read(exc, "the account's SKU could not be read"))
        else:
            mechanism = nz.geo_mechanism(str(sku) if sku else None)
            if mechanism is not None:
                locations.append(
                    Location(
                        role=Role.GEO_SECONDARY,
                        provider=nz.PROVIDER,
                        region=None,
                        mechanism=mechanism,
                        target=scope.id,
                        unknown_reason=f"the data plane reports {sku}; the secondary "
                        "region is not visible without ARM",
                        why=Evidence(key="azure.no-arm-secondary", subject=str(sku)),
                    )
                )
        stand_in = {
            "name": scope.id,
            "id": client.url.rstrip("/"),
            "properties": {"primaryEndpoints": {"blob": client.url}},  # for the anonymous probe
        }
        for container in containers:
            name = str(container["name"])
            probe = self._probe(stand_in, name) if self.settings.verify_anonymous else None
            container = {**container, "id": f"{client.url.rstrip('/')}/{name}"}
            yield nz.container_bucket(
                scope.id,
                stand_in,
                container,
                locations,
                Encryption(tier=EncryptionTier.UNKNOWN),
                nz.public_access({}, container, probe, settings_read=False),
                [*gaps, *_probe_gaps(probe)],
            )


def _physical(location: Mapping[str, Any]) -> bool:
    metadata = location.get("metadata")
    return isinstance(metadata, Mapping) and metadata.get("regionType") == "Physical"


def _listed(location: Mapping[str, Any]) -> ListedRegion:
    metadata = location.get("metadata") or {}
    pairs = metadata.get("pairedRegion") or []
    paired = pairs[0].get("name") if pairs and isinstance(pairs[0], Mapping) else None
    edge = str(location.get("type", "")).lower() == "edgezone"
    return ListedRegion(
        code=str(location.get("name", "")),
        cloud="azure",
        display_name=str(location.get("displayName") or ""),
        physical_location=str(metadata.get("physicalLocation") or ""),
        paired_region=str(paired) if paired else None,
        namespace="edge-zone" if edge else "region",
    )


def _probe_result(result: AnonymousProbe) -> nz.ProbeResult:
    if result.succeeded:
        return nz.ProbeResult(True, "anonymous listing succeeded (HTTP 200)", response="HTTP 200")
    status = f"HTTP {result.status}" if result.status else "no response"
    code = f" {result.code}" if result.code else ""
    # what came back, as it came: the status and error code, or the SDK's error without one
    response = f"{status}{code}" if result.status else result.code
    # a refusal (401/403/404/409) answers the question; silence, throttling or a 5xx does not
    answered = result.status is not None and result.status < 500 and result.status != 429
    if answered:
        return nz.ProbeResult(
            False, f"anonymous listing refused ({status}{code})", response=response
        )
    return nz.ProbeResult(
        False,
        f"anonymous listing not answered ({status}{code})",
        answered=False,
        response=response,
    )


def _probe_gaps(probe: nz.ProbeResult | None) -> list[Gap]:
    if probe is None or probe.answered:
        return []
    why = Evidence(key="azure.anonymous-listing-unanswered", text=probe.response)
    return [READS["anonymousListing"].gap(probe.detail, why=why)]


def _connection_string_account(connection_string: str) -> str:
    for part in connection_string.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "accountname" and value.strip():
            return value.strip()
    return "unknown-account"
