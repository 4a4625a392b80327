"""``source = "inventory"``: storage accounts from Azure Resource Graph, a sibling of the live
account listing feeding the same pure ``normalize``.

One Resources - Query (KQL over ``microsoft.storage/storageaccounts``, 1,000 rows a page, paged
with ``$skipToken``) reads every account of every subscription the identity can see (or of the
configured subscriptions, or of a management group) once per scan. A row's ``properties`` are the
account's ARM properties, so it is the account ``storageAccounts.list`` would have returned. Key
vault regions come from a second query over ``microsoft.keyvault/vaults``, sent only when an
account's key is in a vault.

What Resource Graph does not hold is read live per account with the plugin's own reads, and
counted in the ``inventory-fallback`` note: the blob containers (the bucket unit; Resource Graph's
``resources`` table has no ``.../blobServices/containers``) and the object replication policies.
Managed HSM pools keep their live reads.

Capture time. Resource Graph gives no per-row capture time: Azure Resource Manager notifies it of
each change (most within seconds, with no published upper bound), so a row is as current as that
notification, and the only time we know is when the query answered. ``captured`` is that time, and
``max_age`` bounds how long a scan may go on using the answer: an account reached after the answer
is older than ``max_age`` (a long scan of many accounts) has its settings read live again
(``storageAccounts.getProperties``), counted as stale.
"""

from __future__ import annotations

import itertools
import threading
from collections import ChainMap, deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from residency_audit.errors import CollectionError
from residency_audit.inventory_source import (
    Fallback,
    disagreement_note,
    disagreements,
    sample,
    source_note,
    stale,
)
from residency_audit.memo import Once
from residency_audit.model import Bucket, CoverageNote
from residency_audit.plugins import Scope

from .client import ArmClient, AzureApiError, GraphPage
from .credentials import credential_error
from .resource_ids import subscription_of
from .settings import Settings

if TYPE_CHECKING:
    from .provider import AzureProvider

__all__ = [
    "ACCOUNTS_QUERY",
    "LIVE_FIELDS",
    "SERVICE",
    "VAULTS_QUERY",
    "GraphAnswer",
    "GraphSource",
    "account_from_row",
]

Item = Bucket | CoverageNote

SERVICE = "Azure Resource Graph"
# `id` is projected so that the pages come back in a stable order (Resources - Query examples)
ACCOUNTS_QUERY = (
    "resources | where type =~ 'microsoft.storage/storageaccounts' "
    "| project id, name, type, location, kind, sku, tags, identity, extendedLocation, "
    "properties, subscriptionId, resourceGroup | order by id asc"
)
VAULTS_QUERY = (
    "resources | where type =~ 'microsoft.keyvault/vaults' "
    "| project id, name, type, location, subscriptionId | order by id asc"
)
# the settings every account's buckets read live: Resource Graph does not record them (the
# containers, replication policies, diagnostic settings and inventory policy), or records only
# the parents of what is needed (CDN profiles without their origins, Backup vaults without their
# instances' policies): those are read live too, once per subscription (around.py)
LIVE_FIELDS = (
    "containers",
    "object_replication",
    "diagnostic_settings",
    "blob_inventory",
    "edge_caches",
    "backup_vaults",
)
# Resource Graph's own columns, not part of the ARM resource
_GRAPH_COLUMNS = frozenset(
    {"subscriptionId", "resourceGroup", "tenantId", "managedBy", "plan", "zones"}
)


def account_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A Resource Graph row -> the storage account as ARM returns it (pure): Resource Graph's own
    columns and its nulls for absent fields are dropped."""
    return {k: v for k, v in row.items() if k not in _GRAPH_COLUMNS and v is not None}


def _left_out(page: GraphPage) -> list[str]:
    out = []
    if page.subscription_limit_hit:
        out.append("only the first 10,000 subscriptions in scope were answered")
    if page.truncated:
        out.append("the answer was truncated (resultTruncated)")
    return out


def _subscription(row: Mapping[str, Any]) -> str:
    sub = row.get("subscriptionId")
    if sub:
        return str(sub).lower()
    return (subscription_of(str(row.get("id", ""))) or "").lower()


@dataclass
class GraphAnswer:
    """The accounts query's answer, indexed once for every scope."""

    captured: datetime  # when Resource Graph answered the first page
    pages: int = 0
    left_out: tuple[str, ...] = ()  # what the answer says it did not return
    by_subscription: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, row: Mapping[str, Any]) -> None:
        account = account_from_row(row)
        self.by_subscription.setdefault(_subscription(row), []).append(account)
        self.by_id[str(account.get("id", "")).lower()] = account


class GraphSource:
    """Runs the Resource Graph queries once per scan and builds each scope's buckets."""

    def __init__(
        self,
        provider: AzureProvider,
        arm: ArmClient,
        settings: Settings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._provider = provider
        self._arm = arm
        self._settings = settings
        self.clock = clock  # tests move it to make the answer stale
        self._answer: Once[str, GraphAnswer | AzureApiError] = Once()
        self._vaults: Once[str, dict[str, dict[str, str]] | AzureApiError] = Once()
        self._sample_lock = threading.Lock()
        self._sampled: frozenset[str] | None = None

    # -- the queries ----------------------------------------------------------------------------

    def _scope_args(self) -> dict[str, Any]:
        if self._settings.management_group is not None:
            return {"management_groups": (self._settings.management_group,)}
        return {"subscriptions": self._settings.subscriptions}

    def answer(self) -> GraphAnswer:
        def read() -> GraphAnswer | AzureApiError:
            answer: GraphAnswer | None = None
            try:
                for page in self._arm.query_resources(ACCOUNTS_QUERY, **self._scope_args()):
                    if answer is None:
                        answer = GraphAnswer(captured=self.clock())
                    answer.pages += 1
                    for row in page.rows:
                        answer.add(row)
                    answer.left_out = tuple(dict.fromkeys([*answer.left_out, *_left_out(page)]))
            except AzureApiError as exc:
                return exc
            return answer or GraphAnswer(captured=self.clock())

        got = self._answer.get("accounts", read)
        if isinstance(got, AzureApiError):
            raise credential_error(got, self._settings) or CollectionError(
                f"cannot query {SERVICE} for storage accounts: {got}", code=got.code
            ) from got
        return got

    def scopes(self) -> Iterator[Scope]:
        """The subscriptions of the management group that hold storage accounts."""
        for sub in sorted(self.answer().by_subscription):
            yield Scope("azure", sub)

    def vault_regions(self, subscription: str) -> dict[str, str] | AzureApiError:
        """The subscription's vaults by name -> region, from one Resource Graph query for all
        subscriptions; if that query fails or is incomplete, the live listing instead (whose
        own failure is the usual gap), so a vault Resource Graph did not return is never taken
        as missing."""

        def read() -> dict[str, dict[str, str]] | AzureApiError:
            found: dict[str, dict[str, str]] = {}
            try:
                for page in self._arm.query_resources(VAULTS_QUERY, **self._scope_args()):
                    if _left_out(page):  # a vault not returned must not read as "not found"
                        raise AzureApiError(
                            "resources.query", None, "IncompleteAnswer", "; ".join(_left_out(page))
                        )
                    for row in page.rows:
                        names = found.setdefault(_subscription(row), {})
                        names[str(row.get("name", "")).lower()] = str(row.get("location", ""))
            except AzureApiError as exc:
                return exc
            return found

        got = self._vaults.get("vaults", read)
        if isinstance(got, AzureApiError):
            return self._provider.live_vault_regions(subscription)
        return got.get(subscription.lower(), {})

    def _sample(self, answer: GraphAnswer) -> frozenset[str]:
        with self._sample_lock:
            if self._sampled is None:
                k, seed = self._settings.verify_sample, self._settings.verify_seed
                self._sampled = frozenset(sample(answer.by_id, k, seed))
            return self._sampled

    # -- buckets --------------------------------------------------------------------------------

    def buckets(self, scope: Scope) -> Iterator[Item]:
        answer = self.answer()
        accounts = answer.by_subscription.get(scope.id.lower(), [])
        # by id across every subscription Resource Graph answered for; by name only within the
        # scope, as the live listing indexes them (a destination named without its id)
        names = {str(acc.get("name", "")).lower(): acc for acc in accounts}
        index: Mapping[str, dict[str, Any]] = ChainMap(names, answer.by_id)
        sampled = self._sample(answer)
        fallback = Fallback(SERVICE)
        buckets = 0
        # a bounded window of accounts in flight, handed on in order as each is done: the
        # scope's buckets are never all held (100,000 of them would be most of a GiB)
        window = 4 * self._settings.max_workers
        with ThreadPoolExecutor(self._settings.max_workers, "azure-graph-account") as pool:
            pending: deque[Future[list[Item]]] = deque()
            queued = iter(accounts)
            while True:
                for acc in itertools.islice(queued, window - len(pending)):
                    args = (scope, acc, index, answer, sampled)
                    pending.append(pool.submit(self._account, *args))
                if not pending:
                    break
                for item in pending.popleft().result():
                    if isinstance(item, Bucket):  # tallied here, in one thread
                        buckets += 1
                        fallback.record(item.uid, LIVE_FIELDS, "not-recorded")
                        if item.captured is not None and "account" in item.read_live:
                            fallback.record(item.uid, ("account",), "stale")
                    yield item
        if answer.left_out:
            yield CoverageNote(
                kind="inventory-incomplete",
                detail=f"{SERVICE} left storage accounts out: {'; '.join(answer.left_out)}",
                affects_completeness=True,
                buckets_missing=True,
            )
        if not accounts:
            # Resource Graph returns only what the identity may read: an empty subscription and
            # one whose accounts it may not read look alike, so neither is taken as empty
            yield CoverageNote(
                kind="inventory-no-accounts",
                detail=f"{SERVICE} returned no storage accounts for subscription {scope.id}: "
                "it has none, or none this identity may read",
                affects_completeness=True,
            )
            return
        yield source_note(SERVICE, buckets, [answer.captured])
        note = fallback.note(buckets)
        if note is not None:
            yield note

    def _account(
        self,
        scope: Scope,
        account: Mapping[str, Any],
        index: Mapping[str, Mapping[str, Any]],
        answer: GraphAnswer,
        sampled: frozenset[str],
    ) -> list[Item]:
        account_id = str(account.get("id", ""))
        if account_id.lower() in sampled:
            return self._verified(scope, account, index)
        read_live = list(LIVE_FIELDS)
        out: list[Item] = []
        if stale(answer.captured, self.clock(), self._settings.max_age):
            try:
                account = self._arm.get_account(account_id)
                read_live.append("account")
            except (AzureApiError, ValueError) as exc:
                # Resource Graph's copy is all there is: reported, and said to be old
                out.append(
                    CoverageNote(
                        kind="inventory-stale-unread",
                        detail=f"{account.get('name')}: {SERVICE}'s answer is older than "
                        f"max_age and the live re-read failed ({exc}); its copy is reported",
                    )
                )
        items = self._provider._account_items(scope, account, index, self.vault_regions)
        for item in items:
            if isinstance(item, Bucket):
                item = item.model_copy(
                    update={"captured": answer.captured, "read_live": tuple(read_live)}
                )
            out.append(item)
        return out

    def _verified(
        self,
        scope: Scope,
        account: Mapping[str, Any],
        index: Mapping[str, Mapping[str, Any]],
    ) -> list[Item]:
        """``verify_sample``: the account from Resource Graph and read live; every setting they
        disagree on is a note, and the live reading is the one reported."""
        from_graph = self._provider._account_items(scope, account, index, self.vault_regions)
        try:
            live_account = self._arm.get_account(str(account.get("id", "")))
        except (AzureApiError, ValueError) as exc:
            detail = f"{account.get('name')}: the live verification read failed ({exc})"
            return [*from_graph, CoverageNote(kind="inventory-verify-failed", detail=detail)]
        live = self._provider._account_items(scope, live_account, index)
        graph_buckets = {b.uid: b for b in from_graph if isinstance(b, Bucket)}
        out: list[Item] = []
        for item in live:
            if isinstance(item, Bucket):
                if item.uid in graph_buckets:
                    for d in disagreements(graph_buckets[item.uid], item):
                        out.append(disagreement_note(d, SERVICE))
                # read live throughout: no inventory capture time is behind it
                item = item.model_copy(update={"read_live": (*LIVE_FIELDS, "account")})
            out.append(item)
        return out
