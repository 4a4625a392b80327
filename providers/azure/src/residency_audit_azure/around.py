"""Reads of the resources around a storage account that copy its data elsewhere: Front Door and
CDN edges that cache it, diagnostic settings and inventory rules that export its object names,
Backup vaults that keep vaulted backups of it.

Bounded: the profiles, classic Front Doors and Backup vaults are listed once per subscription
the scan covers (and each profile's origins and each vault's instances and policies once), and
every account is looked up in all of them; per account only its diagnostic settings and its
inventory policy are read; each log destination once. A failed read is a gap on the buckets
whose copies it could have shown (a profile's or vault's listing: every bucket of the scan, as
any account may be behind it), never a silent skip.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from residency_audit.memo import Once
from residency_audit.model import Certainty, Evidence, Gap, Location, Role

from . import backups as bk
from . import edges
from . import exports as ex
from . import normalize as nz
from .client import ArmClient, AzureApiError, ListingInterrupted
from .reads import READS
from .resource_ids import of_type

__all__ = ["AccountCopies", "CopiesAround", "describe", "failed_read"]


def describe(exc: AzureApiError) -> str:
    status = f"HTTP {exc.status}" if exc.status else "no response"
    return f"{exc.code or 'error'} ({status})"


def _read_failed(exc: AzureApiError) -> Evidence:
    return Evidence(
        key="azure.read-failed",
        subject=exc.operation,
        value=exc.code or None,
        text=exc.message or describe(exc),
    )


def failed_read(exc: AzureApiError, what: str, gap_field: str | None = None) -> Gap:
    """The gap a failed read leaves: its field and what it hides come from ``READS`` (or the
    field given, when the read serves another purpose here)."""
    spec = READS[exc.operation]
    if gap_field is not None:
        spec = dataclasses.replace(spec, field=gap_field)
    reason = f"{what}: {exc.message or describe(exc)}"
    return spec.gap(reason, exc.code or describe(exc), _read_failed(exc))


def _not_registered(exc: AzureApiError, namespace: str) -> bool:
    """The subscription has not registered the resource provider: ARM answers 409
    ``MissingSubscriptionRegistration``, which azure-mgmt-core answers by POSTing
    ``.../providers/NAMESPACE/register`` (a write the request hook refuses). No resource of an
    unregistered provider can exist -- Azure refuses to unregister a provider while the
    subscription holds resources of it -- so the listing is proven empty."""
    if exc.code == "MissingSubscriptionRegistration":
        return True
    refused = f"/providers/{namespace}/register".lower()
    return exc.code == "WriteRefused" and refused in exc.message.lower()


def _partial(exc: AzureApiError) -> list[dict[str, Any]]:
    return exc.items if isinstance(exc, ListingInterrupted) else []


@dataclass(frozen=True)
class _Placed:
    location: Location
    containers: tuple[str, ...] | None  # None: every container of the account


@dataclass
class _Subscription:
    edges: dict[str, list[_Placed]] = field(default_factory=dict)  # account name -> caches
    backups: dict[str, list[_Placed]] = field(default_factory=dict)  # account id -> backups
    backup_gaps: dict[str, list[Gap]] = field(default_factory=dict)  # account id -> gaps
    gaps: list[Gap] = field(default_factory=list)  # may hide a copy of any account scanned


@dataclass(frozen=True)
class AccountCopies:
    """What was found around one account, per container."""

    placed: tuple[_Placed, ...] = ()
    inventory: tuple[tuple[Mapping[str, Any], tuple[Location, ...]], ...] = ()
    gaps: tuple[Gap, ...] = ()

    def locations_for(self, container: str) -> list[Location]:
        found = [
            p.location for p in self.placed if p.containers is None or container in p.containers
        ]
        for rule, locations in self.inventory:
            if ex.rule_covers(rule, container):
                found.extend(locations)
        return found

    def every(self) -> list[Location]:
        """Every container's: for the stand-in of an account whose containers are unlisted."""
        found = [p.location for p in self.placed]
        for _, locations in self.inventory:
            found.extend(locations)
        return list(dict.fromkeys(found))


PairLookup = Callable[[str], "tuple[str, str] | None"]
_Answer = dict[str, Any] | AzureApiError


class CopiesAround:
    """``peers``: every subscription the scan covers. A profile or vault in one of them may
    front or back up an account of another (a central networking or backup subscription is
    common), so each account is looked up in all of them; each is still read once."""

    def __init__(
        self,
        arm: ArmClient,
        pair: PairLookup,
        peers: Callable[[], Sequence[str]] = tuple,
    ) -> None:
        self._arm = arm
        self._pair = pair
        self._peers = peers
        self._subscriptions: Once[str, _Subscription] = Once()
        self._merged: Once[tuple[str, ...], _Subscription] = Once()  # peers -> their union
        self._destinations: Once[str, _Answer] = Once()  # log destination id -> its resource

    # -- per subscription -----------------------------------------------------------------------

    def _subscription(self, subscription: str) -> _Subscription:
        def read() -> _Subscription:
            found = _Subscription()
            self._read_edges(subscription, found)
            self._read_backups(subscription, found)
            return found

        return self._subscriptions.get(subscription.lower(), read)

    @staticmethod
    def _listed(
        read: Callable[[str], list[dict[str, Any]]],
        arg: str,
        what: str,
        gaps: list[Gap],
        namespace: str | None = None,
    ) -> list[dict[str, Any]]:
        """``read(arg)``; on a failure its gap, and what the pages before it listed. A
        subscription-wide listing of a ``namespace`` the subscription has not registered is
        empty (``_not_registered``)."""
        try:
            return read(arg)
        except AzureApiError as exc:
            if namespace is not None and _not_registered(exc, namespace):
                return []
            gaps.append(failed_read(exc, what))
            return _partial(exc)

    def _place_edges(self, found: _Subscription, hosts: Sequence[str], location: Location) -> None:
        for account, container in edges.fronted_accounts(hosts):
            placed = _Placed(location, None if container is None else (container,))
            found.edges.setdefault(account, []).append(placed)

    def _read_edges(self, subscription: str, found: _Subscription) -> None:
        arm, gaps = self._arm, found.gaps
        profiles = self._listed(
            arm.list_cdn_profiles,
            subscription,
            f"the Front Door and CDN profiles of subscription {subscription} not listed",
            gaps,
            "Microsoft.Cdn",
        )
        for profile in profiles:
            code, mechanism = edges.edge_code(profile)
            profile_id, name = str(profile.get("id") or ""), str(profile.get("name") or "?")
            if edges.is_front_door_profile(profile):
                groups = self._listed(
                    arm.list_afd_origin_groups,
                    profile_id,
                    f"origin groups of Front Door profile {name} not listed",
                    gaps,
                )
                for group in groups:
                    group_id = str(group.get("id") or "")
                    origins = self._listed(
                        arm.list_afd_origins,
                        group_id,
                        f"origins of Front Door profile {name} not listed",
                        gaps,
                    )
                    location = edges.cache_location(code, mechanism, name)
                    self._place_edges(found, edges.afd_origin_hosts(origins), location)
                continue
            endpoints = self._listed(
                arm.list_cdn_endpoints,
                profile_id,
                f"endpoints of CDN profile {name} not listed",
                gaps,
            )
            for endpoint in endpoints:
                target = f"{name}/{endpoint.get('name')}"
                location = edges.cache_location(
                    code, mechanism, target, edges.endpoint_filter(endpoint)
                )
                self._place_edges(found, edges.endpoint_hosts(endpoint), location)
        doors = self._listed(
            arm.list_front_doors,
            subscription,
            f"the classic Front Doors of subscription {subscription} not listed",
            gaps,
            "Microsoft.Network",
        )
        for door in doors:
            location = edges.cache_location(
                edges.FRONT_DOOR, "azure-front-door", str(door.get("name") or "?")
            )
            self._place_edges(found, list(edges.classic_front_door_hosts(door)), location)

    def _read_backups(self, subscription: str, found: _Subscription) -> None:
        arm, gaps = self._arm, found.gaps
        vaults = self._listed(
            arm.list_backup_vaults,
            subscription,
            f"the Backup vaults of subscription {subscription} not listed",
            gaps,
            "Microsoft.DataProtection",
        )
        for vault in vaults:
            vault_id, name = str(vault.get("id") or ""), str(vault.get("name") or "?")
            instances = self._listed(
                arm.list_backup_instances,
                vault_id,
                f"backup instances of vault {name} not listed",
                gaps,
            )
            protected = [(bk.instance_account(i), i) for i in instances]
            blobs = [(account, i) for account, i in protected if account is not None]
            if not blobs:
                continue  # nothing of a storage account: its policies are not needed
            unread: AzureApiError | None = None
            try:
                policies = bk.policies_by_id(arm.list_backup_policies(vault_id))
            except AzureApiError as exc:
                unread = exc
                policies = bk.policies_by_id(_partial(exc))
            for account, instance in blobs:
                policy = policies.get(bk.instance_policy(instance) or "")
                if policy is not None and not bk.vaulted(policy):
                    continue  # operational tier only: restore points stay in the account
                if policy is not None:
                    locations = bk.vault_locations(vault, self._pair)
                elif unread is not None:
                    reason = f"whether the backup is vaulted is not known: {describe(unread)}"
                    locations = bk.vault_locations(
                        vault,
                        self._pair,
                        certainty=Certainty.POSSIBLE,
                        why=_read_failed(unread),
                        reason=reason,
                    )
                    found.backup_gaps.setdefault(account, []).append(
                        failed_read(unread, f"the policies of Backup vault {name} not listed")
                    )
                else:
                    policy_id = bk.instance_policy(instance) or "?"
                    locations = bk.vault_locations(
                        vault,
                        self._pair,
                        certainty=Certainty.POSSIBLE,
                        why=Evidence(key="azure.backup-policy-not-found", subject=policy_id),
                        reason=f"backup policy {policy_id} is not among the vault's policies",
                    )
                containers = bk.instance_containers(instance)
                for location in locations:
                    found.backups.setdefault(account, []).append(_Placed(location, containers))

    def _covering(self, subscription: str) -> _Subscription:
        """What every subscription of the scan holds, merged once (the same for each
        subscription of the scan, so each account costs a lookup, not one per subscription)."""
        peers = tuple(sorted({subscription.lower(), *(s.lower() for s in self._peers())}))

        def merge() -> _Subscription:
            merged = _Subscription()
            for peer in peers:
                found = self._subscription(peer)
                for name, edges_of in found.edges.items():
                    merged.edges.setdefault(name, []).extend(edges_of)
                for account, backups_of in found.backups.items():
                    merged.backups.setdefault(account, []).extend(backups_of)
                for account, gaps_of in found.backup_gaps.items():
                    merged.backup_gaps.setdefault(account, []).extend(gaps_of)
                merged.gaps.extend(found.gaps)
            return merged

        return self._merged.get(peers, merge)

    # -- per account ----------------------------------------------------------------------------

    def account(
        self,
        subscription: str,
        account: Mapping[str, Any],
        index: Mapping[str, Mapping[str, Any]],
        account_locations: Sequence[Location],
    ) -> AccountCopies:
        name = str(account.get("name") or "").lower()
        account_id = str(account.get("id") or "")
        key = account_id.lower()
        found = self._covering(subscription)
        placed = [*found.edges.get(name, []), *found.backups.get(key, [])]
        gaps = [*found.gaps, *found.backup_gaps.get(key, [])]
        settings = self._listed(
            self._arm.list_diagnostic_settings,
            account_id,
            "the blob service's diagnostic settings could not be read",
            gaps,
        )
        for destination in ex.log_destinations(settings):
            locations, more = self._log_destination(destination, index)
            placed.extend(_Placed(loc, None) for loc in locations)
            gaps.extend(more)
        inventory: list[tuple[Mapping[str, Any], tuple[Location, ...]]] = []
        try:
            policy = self._arm.get_inventory_policy(account_id)
        except AzureApiError as exc:
            gaps.append(failed_read(exc, "the account's blob inventory policy could not be read"))
            policy = None
        for rule in ex.inventory_rules(policy):
            inventory.append(
                (rule, tuple(ex.inventory_locations(account, rule, account_locations)))
            )
        return AccountCopies(tuple(placed), tuple(inventory), tuple(dict.fromkeys(gaps)))

    def _log_destination(
        self, destination: ex.LogDestination, index: Mapping[str, Mapping[str, Any]]
    ) -> tuple[list[Location], list[Gap]]:
        ref = destination.resource_id
        if destination.kind == "partner":
            why = Evidence(key="azure.diagnostic-partner", subject=ref)
            reason = "a Marketplace partner's service: its region is not readable through ARM"
            return [ex.diagnostic_location(destination, None, reason=reason, why=why)], []
        if destination.kind == "storage":
            known = index.get(ref.lower())
            if known is not None:
                return self._in_account(destination, known), []
        namespace, kind = {
            "storage": ("Microsoft.Storage", "storageAccounts"),
            "workspace": ("Microsoft.OperationalInsights", "workspaces"),
            "event-hub": ("Microsoft.EventHub", "namespaces"),
        }[destination.kind]
        if of_type(ref, namespace, kind) is None:
            why = Evidence(key="azure.diagnostic-destination-bad-id", subject=ref)
            reason = f"the diagnostic setting names {ref!r}, not a resource id"
            return [ex.diagnostic_location(destination, None, reason=reason, why=why)], []
        read = {
            "storage": self._arm.get_account,
            "workspace": self._arm.get_workspace,
            "event-hub": self._arm.get_event_hub_namespace,
        }[destination.kind]

        def fetch() -> _Answer:
            try:
                return read(ref)
            except AzureApiError as exc:
                return exc

        answer = self._destinations.get(ref.lower(), fetch)
        if isinstance(answer, AzureApiError):
            reason = f"the log destination {destination.name} could not be read: {describe(answer)}"
            location = ex.diagnostic_location(
                destination, None, reason=reason, why=_read_failed(answer)
            )
            gap = failed_read(
                answer,
                f"the log destination {destination.name} could not be read",
                # a storage account is read with storageAccounts.getProperties, whose own row
                # is about replication destinations
                "diagnostic_settings.destination_account"
                if destination.kind == "storage"
                else None,
            )
            return [location], [gap]
        if destination.kind == "storage":
            return self._in_account(destination, answer), []
        region = str(answer.get("location") or "") or None
        why = Evidence(key="azure.diagnostic-destination-no-location", subject=ref)
        reason = f"the log destination {destination.name} returned no location"
        return [ex.diagnostic_location(destination, region, reason=reason, why=why)], []

    def _in_account(
        self, destination: ex.LogDestination, account: Mapping[str, Any]
    ) -> list[Location]:
        """Logs kept in a storage account are where that account keeps its data: its primary
        and, when it is geo-redundant, its secondary."""
        primary = nz.primary_location(account)
        secondaries, _ = nz.geo_secondary(account, self._pair)
        update = {"role": Role.METADATA, "mechanism": ex.DIAGNOSTIC, "target": destination.name}
        return [loc.model_copy(update=update) for loc in (primary, *secondaries)]
