"""The only module that calls the Azure SDKs. It returns API-shaped JSON (wire names, as in the
REST API specifications) and raises :class:`AzureApiError`; no SDK type leaves it.

Every client built here carries a request hook (:class:`RequestLog`) that records each request and
refuses anything but GET/HEAD before it reaches the network -- except the one POST that only
reads: the Azure Resource Graph query (``READ_POSTS``: that path at that api-version). That
matters beyond our own code: azure-mgmt-core's auto-registration policy answers a
``MissingSubscriptionRegistration`` 409 by POSTing ``.../providers/Microsoft.Storage/register``
-- a write the guard stops.

A connection that cannot be opened to an endpoint that has never answered is not retried (see
:mod:`residency_audit.reach`): an unreachable endpoint fails within one ``connect_timeout``. The
managed-identity endpoint (IMDS, 169.254.169.254) is asked only by ``credential = "default"`` or
``"managed-identity"``, and by the default chain not when ``arm_endpoint`` is set.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ODataV4Format,
    ServiceRequestError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy
from azure.core.pipeline.transport import RequestsTransport
from urllib3.util.retry import Retry

from residency_audit.reach import Reached
from residency_audit.redact import mask_secrets

from .resource_ids import of_type, subscription_of
from .settings import Settings

__all__ = [
    "GRAPH_API_VERSION",
    "GRAPH_PATH",
    "AnonymousProbe",
    "ArmClient",
    "AzureApiError",
    "DataPlaneClient",
    "GraphPage",
    "ListingInterrupted",
    "ReadOnlyViolation",
    "RecordedRequest",
    "RequestLog",
    "arm_transport",
    "parse_account_id",
    "probe_anonymous_listing",
]

READ_METHODS = frozenset({"GET", "HEAD"})
GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
GRAPH_API_VERSION = "2022-10-01"
# POSTs that only read, each as (lower-case path, api-version): Resources - Query answers a KQL
# query and changes nothing (Microsoft.ResourceGraph/resources/read)
READ_POSTS = frozenset({(GRAPH_PATH.lower(), GRAPH_API_VERSION)})
GRAPH_PAGE = 1000  # options.$top: the most Resources - Query returns per page
# api-versions of the reads sent without an SDK of their own (the latest stable ones in
# azure-rest-api-specs, whose examples the test stub follows)
CDN_API_VERSION = "2024-09-01"  # Microsoft.Cdn
FRONT_DOOR_API_VERSION = "2021-06-01"  # Microsoft.Network/frontDoors
DIAGNOSTIC_API_VERSION = "2021-05-01-preview"  # Microsoft.Insights/diagnosticSettings
WORKSPACE_API_VERSION = "2023-09-01"  # Microsoft.OperationalInsights/workspaces
EVENT_HUB_API_VERSION = "2024-01-01"  # Microsoft.EventHub/namespaces
DATA_PROTECTION_API_VERSION = "2025-07-01"  # Microsoft.DataProtection
_MAX_MESSAGE = 300


class AzureApiError(Exception):
    """An Azure call failed. ``code`` is the API's error code (``AuthorizationFailed``, ...).

    ``credential``: the credential gave no token, or ARM refused it (401); ``tried`` then names
    the credentials a chain (DefaultAzureCredential) tried, from its own message."""

    def __init__(
        self,
        operation: str,
        status: int | None,
        code: str | None,
        message: str,
        *,
        credential: bool = False,
        tried: tuple[str, ...] = (),
    ) -> None:
        self.operation = operation
        self.status = status
        self.credential = credential
        self.tried = tried
        # masked before it is cut, where the SDK's text enters our code: a SAS URL (sig=), a
        # connection string (AccountKey=) or a bearer token must not survive even in part
        self.code = mask_secrets(code) if code else code
        self.message = mask_secrets(message)[:_MAX_MESSAGE]
        super().__init__(f"{operation}: {self.code or status or 'error'}: {self.message}")


class ListingInterrupted(AzureApiError):
    """A paged listing failed after some pages: ``items`` holds what was listed before."""

    def __init__(self, cause: AzureApiError, items: list[dict[str, Any]]) -> None:
        super().__init__(
            cause.operation,
            cause.status,
            cause.code,
            cause.message,
            credential=cause.credential,
            tried=cause.tried,
        )
        self.items = items


class ReadOnlyViolation(RuntimeError):
    """A request other than GET/HEAD was about to be sent. Never expected; always a bug."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    host: str
    path: str  # without the query string (api-version, $skipToken) -- never holds a secret


class RequestLog:
    """Thread-safe record of every request the plugin's clients send (or tried to send)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []

    def __call__(self, request: PipelineRequest[Any]) -> None:
        http = request.http_request
        parts = urlsplit(http.url)
        entry = RecordedRequest(http.method.upper(), parts.netloc, parts.path)
        with self._lock:
            self._entries.append(entry)
        read = entry.method in READ_METHODS or _read_post(entry.method, parts.path, parts.query)
        if not read:
            raise ReadOnlyViolation(f"refused {entry.method} {entry.path}: the scan is read-only")

    def entries(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._entries)

    def count(self) -> int:
        with self._lock:
            return len(self._entries)

    # azure-core tests the hook for truthiness before calling it: never let an empty log be falsy.
    def __bool__(self) -> bool:
        return True


def _read_post(method: str, path: str, query: str) -> bool:
    """A POST that only reads: exactly a ``READ_POSTS`` path at its api-version."""
    if method != "POST":
        return False
    versions = parse_qs(query).get("api-version") or []
    return len(versions) == 1 and (path.rstrip("/").lower(), versions[0]) in READ_POSTS


# "\tEnvironmentCredential: ..." lines of DefaultAzureCredential's (ChainedTokenCredential's) error
_TRIED = re.compile(r"^\s*(\w+Credential):", re.MULTILINE)


def _api_error(operation: str, exc: AzureError) -> AzureApiError:
    if isinstance(exc, ClientAuthenticationError):
        # no token at all (CredentialUnavailableError and the chain's own error have no
        # response), or a 401 from ARM: the credential's message, one line, the chain's names
        text = str(exc.message or exc)
        code = exc.error.code if exc.error is not None else None
        return AzureApiError(
            operation,
            exc.status_code,
            code or type(exc).__name__,
            " ".join(text.split()),
            credential=True,
            tried=tuple(dict.fromkeys(_TRIED.findall(text))),
        )
    if isinstance(exc, HttpResponseError):
        code = exc.error.code if exc.error is not None else None
        if code is None:
            code = _code(getattr(exc, "error_code", None))  # azure-storage-blob sets this
        message = exc.error.message if exc.error is not None and exc.error.message else exc.reason
        return AzureApiError(operation, exc.status_code, code, str(message or exc.message))
    return AzureApiError(operation, None, type(exc).__name__, str(exc.message))


@contextlib.contextmanager
def _translated(operation: str) -> Iterator[None]:
    """SDK errors -> AzureApiError. A refused write (e.g. the SDK's provider auto-registration
    after a 409 MissingSubscriptionRegistration) becomes an error of the read that caused it."""
    try:
        yield
    except AzureError as exc:
        raise _api_error(operation, exc) from exc
    except ReadOnlyViolation as exc:
        raise AzureApiError(operation, None, "WriteRefused", str(exc)) from exc


def _answer_behind(exc: TypeError) -> HttpResponseError | None:
    """The HTTP error azure-storage-blob was handling when its own error handling failed.

    Its ``process_storage_error`` raises TypeError on an XML error body without ``<Message>``
    (a gateway's answer, say): that is still a failed read with a status, not a crash.
    """
    seen = exc.__context__
    while seen is not None:
        if isinstance(seen, HttpResponseError):
            return seen
        seen = seen.__context__
    return None


@contextlib.contextmanager
def _storage_translated(operation: str) -> Iterator[None]:
    """``_translated`` for the data plane (see ``_answer_behind``)."""
    with _translated(operation):
        try:
            yield
        except TypeError as exc:
            answer = _answer_behind(exc)
            if answer is None:
                raise
            raise _api_error(operation, answer) from exc


def _code(value: Any) -> str | None:
    """Storage error codes arrive as str-enums; render the wire value, not the enum's repr."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


def parse_account_id(account_id: str) -> tuple[str, str, str]:
    """``/subscriptions/S/resourceGroups/G/providers/Microsoft.Storage/storageAccounts/N`` ->
    (S, G, N). Raises ValueError on anything else."""
    parsed = of_type(account_id, "Microsoft.Storage", "storageAccounts")
    if parsed is None:
        raise ValueError(f"not a storage account resource id: {account_id!r}")
    return parsed.subscription, parsed.resource_group, parsed.name


class _NoToken:
    """Credential for ``credential = "anonymous"``: its token is never sent (no auth policy)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo("", int(time.time()) + 3600)


def _explicit_endpoint(settings: Settings) -> bool:
    return settings.arm_endpoint.rstrip("/") != settings.cloud.arm_endpoint.rstrip("/")


def _make_credential(settings: Settings) -> TokenCredential:
    if settings.credential == "anonymous":
        return _NoToken()
    from azure import identity  # imported late: only a scan with a real credential needs it

    authority = settings.cloud.authority
    if settings.credential == "cli":
        return identity.AzureCliCredential()
    if settings.credential == "managed-identity":
        return identity.ManagedIdentityCredential(client_id=settings.client_id)
    if settings.credential == "environment":
        return identity.EnvironmentCredential(authority=authority)
    return identity.DefaultAzureCredential(
        authority=authority,
        managed_identity_client_id=settings.client_id,
        # an ARM endpoint of the user's own (a stub, a private endpoint): never ask IMDS
        exclude_managed_identity_credential=_explicit_endpoint(settings),
    )


class _FirstContactRetry(RetryPolicy[Any, Any]):
    """azure-core's retry policy, except that a connection that cannot be opened to an endpoint
    that has never answered is final (residency_audit.reach). On a failed send azure-core passes
    the request as ``response``."""

    def __init__(self, reached: Reached, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._reached = reached

    def increment(
        self, settings: dict[str, Any], response: Any = None, error: Exception | None = None
    ) -> bool:
        more = super().increment(settings, response=response, error=error)
        if isinstance(error, ServiceRequestError) and isinstance(response, PipelineRequest):
            return more and self._reached.ever_answered(response.http_request.url)
        return more


def _answered_hook(reached: Reached) -> Callable[[PipelineResponse[Any, Any]], None]:
    """A ``raw_response_hook``: it runs for every attempt's answer, after the retry policy."""

    def hook(response: PipelineResponse[Any, Any]) -> None:
        reached.answered(response.http_request.url)

    return hook


def _storage_retry(reached: Reached, retries: int | None) -> Any:
    """azure-storage-blob's ExponentialRetry (its default) with the same first-contact rule;
    imported late, as the data plane is."""
    from azure.storage.blob import ExponentialRetry

    class FirstContactStorageRetry(ExponentialRetry):
        def increment(
            self,
            settings: dict[str, Any],
            request: Any,
            response: Any = None,
            error: AzureError | None = None,
        ) -> bool:
            more = bool(super().increment(settings, request, response=response, error=error))
            if isinstance(error, ServiceRequestError):
                return more and reached.ever_answered(str(request.url))
            return more

    return (
        FirstContactStorageRetry()
        if retries is None
        else FirstContactStorageRetry(retry_total=retries)
    )


def arm_transport(settings: Settings) -> RequestsTransport:
    """azure-core's own transport, on a session whose pool keeps one connection per worker.

    requests keeps 10 connections per host by default: with more workers than that, whenever more
    than ten are idle together (workers waiting on a shared read, the end of a subscription) the
    rest are closed, and the next burst opens them again, a TCP and TLS handshake each at ARM's
    distance. Everything else is as azure-core sets up its own session: urllib3 retries off
    (azure-core's retry policy retries), proxies from the environment.
    """
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        pool_maxsize=settings.max_workers,
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(
        session=session,
        session_owner=True,  # the client's close() closes it
        connection_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
    )


class ArmClient:
    """Management-plane reads, one SDK client per subscription, shared by worker threads."""

    def __init__(self, settings: Settings, log: RequestLog) -> None:
        self._settings = settings
        self._log = log
        self.reached = Reached()  # endpoints that have answered (see _FirstContactRetry)
        self._lock = threading.Lock()
        self._credential: TokenCredential | None = None
        self._clients: dict[tuple[str, str], Any] = {}

    def _common_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "base_url": self._settings.arm_endpoint,
            "credential_scopes": [self._settings.credential_scope],
            "raw_request_hook": self._log,
            "raw_response_hook": _answered_hook(self.reached),
            "transport": arm_transport(self._settings),  # timeouts and pool size live there
        }
        if self._settings.credential == "anonymous":
            kwargs["authentication_policy"] = SansIOHTTPPolicy()  # no Authorization header
        retry: dict[str, Any] = {}
        if self._settings.retries is not None:
            retry["retry_total"] = self._settings.retries
        kwargs["retry_policy"] = _FirstContactRetry(self.reached, **retry)
        return kwargs

    def _client(self, kind: str, subscription: str) -> Any:
        with self._lock:
            if self._credential is None:
                self._credential = _make_credential(self._settings)
            client = self._clients.get((kind, subscription))
            if client is None:
                client = self._build(kind, subscription, self._credential)
                self._clients[(kind, subscription)] = client
            return client

    def _build(self, kind: str, subscription: str, credential: TokenCredential) -> Any:
        kwargs = self._common_kwargs()
        if kind == "storage":
            from azure.mgmt.storage import StorageManagementClient

            return StorageManagementClient(credential, subscription, **kwargs)
        if kind == "keyvault":
            from azure.mgmt.keyvault import KeyVaultManagementClient

            return KeyVaultManagementClient(credential, subscription, **kwargs)
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return SubscriptionClient(credential, **kwargs)

    @staticmethod
    def _collect(operation: str, call: Callable[[], Iterable[Any]]) -> list[dict[str, Any]]:
        """Every page; a failure after the first page keeps what was listed (ListingInterrupted),
        so the caller can report those and say that the rest is missing."""
        items: list[dict[str, Any]] = []
        try:
            with _translated(operation):
                for item in call():
                    # SDK models, or the plain JSON of a GET sent without a model (_pages)
                    items.append(dict(item) if isinstance(item, dict) else dict(item.as_dict()))
        except AzureApiError as exc:
            if items:
                raise ListingInterrupted(exc, items) from exc
            raise
        return items

    def list_subscriptions(self) -> list[dict[str, Any]]:
        client = self._client("subscriptions", "")
        return self._collect("subscriptions.list", client.subscriptions.list)

    def list_accounts(self, subscription: str) -> list[dict[str, Any]]:
        client = self._client("storage", subscription)
        return self._collect("storageAccounts.list", client.storage_accounts.list)

    def get_account(self, account_id: str) -> dict[str, Any]:
        subscription, group, name = parse_account_id(account_id)
        client = self._client("storage", subscription)
        with _translated("storageAccounts.getProperties"):
            return dict(client.storage_accounts.get_properties(group, name).as_dict())

    def list_containers(self, account_id: str) -> list[dict[str, Any]]:
        subscription, group, name = parse_account_id(account_id)
        client = self._client("storage", subscription)
        return self._collect(
            "blobContainers.list", lambda: client.blob_containers.list(group, name)
        )

    def list_object_replication_policies(self, account_id: str) -> list[dict[str, Any]]:
        subscription, group, name = parse_account_id(account_id)
        client = self._client("storage", subscription)
        return self._collect(
            "objectReplicationPolicies.list",
            lambda: client.object_replication_policies.list(group, name),
        )

    def list_vaults(self, subscription: str) -> list[dict[str, Any]]:
        client = self._client("keyvault", subscription)
        return self._collect("vaults.listBySubscription", client.vaults.list_by_subscription)

    def list_managed_hsms(self, subscription: str) -> list[dict[str, Any]]:
        client = self._client("keyvault", subscription)
        return self._collect(
            "managedHsms.listBySubscription", client.managed_hsms.list_by_subscription
        )

    def list_managed_hsm_regions(self, pool_id: str) -> list[dict[str, Any]]:
        """``/subscriptions/S/resourceGroups/G/providers/Microsoft.KeyVault/managedHSMs/N``."""
        pool = of_type(pool_id, "Microsoft.KeyVault", "managedHSMs")
        if pool is None:
            raise ValueError(f"not a Managed HSM resource id: {pool_id!r}")
        client = self._client("keyvault", pool.subscription)
        return self._collect(
            "mhsmRegions.listByResource",
            lambda: client.mhsm_regions.list_by_resource(pool.resource_group, pool.name),
        )

    def query_resources(
        self,
        query: str,
        subscriptions: Sequence[str] = (),
        management_groups: Sequence[str] = (),
    ) -> Iterator[GraphPage]:
        """Azure Resource Graph, Resources - Query (2022-10-01): one page of rows per request,
        ``options.$top`` 1000, the next page by the answer's ``$skipToken``. No scope = every
        subscription the identity can see. Sent through the subscriptions client's pipeline
        (the same credential, retries, timeouts and request hook as every other ARM read)."""
        from azure.core.rest import HttpRequest

        client = self._client("subscriptions", "")
        body: dict[str, Any] = {"query": query, "options": {"$top": GRAPH_PAGE}}
        if subscriptions:
            body["subscriptions"] = list(subscriptions)
        if management_groups:
            body["managementGroups"] = list(management_groups)
        url = f"{GRAPH_PATH}?api-version={GRAPH_API_VERSION}"
        while True:
            with _translated("resources.query"):
                response = client.send_request(HttpRequest("POST", url, json=body))
                response.read()
            answer = _json(response.text())
            if response.status_code >= 400:
                found = answer.get("error")
                error: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
                raise AzureApiError(
                    "resources.query",
                    response.status_code,
                    str(error.get("code") or response.reason or "error"),
                    str(error.get("message") or response.text()[:_MAX_MESSAGE]),
                )
            rows = answer.get("data")
            if not isinstance(rows, list):
                raise AzureApiError(
                    "resources.query",
                    response.status_code,
                    "UnexpectedAnswer",
                    "the answer has no data rows (a table format was not asked for)",
                )
            yield GraphPage(
                [dict(row) for row in rows if isinstance(row, Mapping)],
                # more than 10,000 subscriptions in scope: only the first 10,000 answered
                subscription_limit_hit=str(
                    response.headers.get("x-ms-tenant-subscription-limit-hit", "")
                ).lower()
                == "true",
                truncated=str(answer.get("resultTruncated", "")).lower() == "true",
            )
            token = answer.get("$skipToken")
            if not token:
                return
            body = {**body, "options": {"$top": GRAPH_PAGE, "$skipToken": token}}

    # -- reads of the resources that copy an account's data elsewhere (around.py) ------------
    # Sent as plain GETs through the pipeline of the subscription's storage client (the same
    # credential, retries, timeouts, request hook and connection pool as the account reads they
    # run beside): no SDK of their own is needed for a list and a get.

    def _pipeline(self, path: str) -> Any:
        return self._client("storage", subscription_of(path) or "")

    def _pages(self, path: str, api_version: str) -> Iterator[dict[str, Any]]:
        """Each ``value`` item of an ARM listing, following ``nextLink`` as given."""
        from azure.core.rest import HttpRequest

        client = self._pipeline(path)
        url: str | None = f"{path}?api-version={api_version}"
        while url:
            answer = self._get_json(client, HttpRequest("GET", url))
            for item in answer.get("value") or []:
                if isinstance(item, Mapping):
                    yield dict(item)
            link = answer.get("nextLink")
            url = str(link) if link else None

    @staticmethod
    def _get_json(client: Any, request: Any) -> dict[str, Any]:
        response = client.send_request(request)
        response.read()
        if response.status_code >= 400:
            # ARM's {"error": {"code", "message"}} is OData v4's error format
            raise HttpResponseError(response=response, error_format=ODataV4Format)
        return _json(response.text())

    def _get(self, path: str, api_version: str) -> dict[str, Any]:
        from azure.core.rest import HttpRequest

        client = self._pipeline(path)
        return self._get_json(client, HttpRequest("GET", f"{path}?api-version={api_version}"))

    def list_cdn_profiles(self, subscription: str) -> list[dict[str, Any]]:
        """Microsoft.Cdn profiles: Front Door Standard/Premium and classic CDN alike."""
        path = f"/subscriptions/{subscription}/providers/Microsoft.Cdn/profiles"
        return self._collect("cdnProfiles.list", lambda: self._pages(path, CDN_API_VERSION))

    def list_afd_origin_groups(self, profile_id: str) -> list[dict[str, Any]]:
        path = f"{profile_id.rstrip('/')}/originGroups"
        return self._collect(
            "afdOriginGroups.listByProfile", lambda: self._pages(path, CDN_API_VERSION)
        )

    def list_afd_origins(self, origin_group_id: str) -> list[dict[str, Any]]:
        path = f"{origin_group_id.rstrip('/')}/origins"
        return self._collect(
            "afdOrigins.listByOriginGroup", lambda: self._pages(path, CDN_API_VERSION)
        )

    def list_cdn_endpoints(self, profile_id: str) -> list[dict[str, Any]]:
        """A classic CDN profile's endpoints, each with its origins and geo filters inline."""
        path = f"{profile_id.rstrip('/')}/endpoints"
        return self._collect(
            "cdnEndpoints.listByProfile", lambda: self._pages(path, CDN_API_VERSION)
        )

    def list_front_doors(self, subscription: str) -> list[dict[str, Any]]:
        """Classic Front Door (Microsoft.Network/frontDoors), backends inline."""
        path = f"/subscriptions/{subscription}/providers/Microsoft.Network/frontDoors"
        return self._collect("frontDoors.list", lambda: self._pages(path, FRONT_DOOR_API_VERSION))

    def list_diagnostic_settings(self, account_id: str) -> list[dict[str, Any]]:
        """The blob service's diagnostic settings (StorageRead/Write/Delete logs live there)."""
        path = (
            f"{account_id.rstrip('/')}/blobServices/default/providers/"
            "microsoft.insights/diagnosticSettings"
        )
        return self._collect(
            "diagnosticSettings.list", lambda: self._pages(path, DIAGNOSTIC_API_VERSION)
        )

    def get_workspace(self, workspace_id: str) -> dict[str, Any]:
        with _translated("workspaces.get"):
            return self._get(workspace_id.rstrip("/"), WORKSPACE_API_VERSION)

    def get_event_hub_namespace(self, namespace_id: str) -> dict[str, Any]:
        with _translated("eventHubNamespaces.get"):
            return self._get(namespace_id.rstrip("/"), EVENT_HUB_API_VERSION)

    def get_inventory_policy(self, account_id: str) -> dict[str, Any] | None:
        """The account's blob inventory policy; None when it has none (404)."""
        subscription, group, name = parse_account_id(account_id)
        client = self._client("storage", subscription)
        try:
            with _translated("blobInventoryPolicies.get"):
                policy = client.blob_inventory_policies.get(group, name, "default")
        except AzureApiError as exc:
            if exc.status == 404:
                return None
            raise
        return dict(policy.as_dict())

    def list_backup_vaults(self, subscription: str) -> list[dict[str, Any]]:
        path = f"/subscriptions/{subscription}/providers/Microsoft.DataProtection/backupVaults"
        return self._collect(
            "backupVaults.list", lambda: self._pages(path, DATA_PROTECTION_API_VERSION)
        )

    def list_backup_instances(self, vault_id: str) -> list[dict[str, Any]]:
        path = f"{vault_id.rstrip('/')}/backupInstances"
        return self._collect(
            "backupInstances.list", lambda: self._pages(path, DATA_PROTECTION_API_VERSION)
        )

    def list_backup_policies(self, vault_id: str) -> list[dict[str, Any]]:
        path = f"{vault_id.rstrip('/')}/backupPolicies"
        return self._collect(
            "backupPolicies.list", lambda: self._pages(path, DATA_PROTECTION_API_VERSION)
        )

    def list_locations(self, subscription: str) -> list[dict[str, Any]]:
        """Subscriptions - List Locations, Edge Zones included."""
        client = self._client("subscriptions", "")
        return self._collect(
            "subscriptions.listLocations",
            lambda: client.subscriptions.list_locations(
                subscription, include_extended_locations=True
            ),
        )


@dataclass(frozen=True)
class GraphPage:
    """One page of a Resource Graph answer, and what the answer says it left out."""

    rows: list[dict[str, Any]]
    subscription_limit_hit: bool = False  # x-ms-tenant-subscription-limit-hit: true
    truncated: bool = False  # resultTruncated: "true" (rows past the limit not returned)


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class AnonymousProbe:
    """Outcome of one anonymous container listing."""

    succeeded: bool
    status: int | None = None
    code: str | None = None


def probe_anonymous_listing(
    blob_endpoint: str, container: str, timeout: float, log: RequestLog
) -> AnonymousProbe:
    """Try to list one blob of ``container`` with no credential at all (a GET, no retries)."""
    from azure.storage.blob import ContainerClient

    client = ContainerClient(
        blob_endpoint.rstrip("/"),
        container,
        credential=None,
        retry_total=0,
        connection_timeout=timeout,
        read_timeout=timeout,
        raw_request_hook=log,
    )
    try:
        with client:
            next(iter(client.list_blobs(results_per_page=1).by_page()), None)
    except HttpResponseError as exc:
        return AnonymousProbe(False, exc.status_code, _code(getattr(exc, "error_code", None)))
    except AzureError as exc:
        return AnonymousProbe(False, None, type(exc).__name__)
    except TypeError as exc:
        answer = _answer_behind(exc)
        if answer is None:
            raise
        return AnonymousProbe(False, answer.status_code, None)
    return AnonymousProbe(True, 200)


class DataPlaneClient:
    """Connection-string mode: container listing through azure-storage-blob only (no ARM)."""

    def __init__(
        self,
        connection_string: str,
        log: RequestLog,
        retries: int | None,
        timeouts: tuple[float, float],  # (connect, read) seconds per attempt
    ) -> None:
        from azure.storage.blob import BlobServiceClient

        reached = Reached()
        kwargs: dict[str, Any] = {
            "raw_request_hook": log,
            "raw_response_hook": _answered_hook(reached),
            "retry_policy": _storage_retry(reached, retries),
        }
        kwargs["connection_timeout"], kwargs["read_timeout"] = timeouts
        self._service = BlobServiceClient.from_connection_string(connection_string, **kwargs)

    @property
    def url(self) -> str:
        return str(self._service.url)

    def account_information(self) -> dict[str, Any]:
        with _storage_translated("getAccountInformation"):
            info: Mapping[str, Any] = self._service.get_account_information()
        return {"skuName": info.get("sku_name"), "accountKind": info.get("account_kind")}

    def list_containers(self) -> list[dict[str, Any]]:
        with _storage_translated("listContainers"):
            items = list(self._service.list_containers())
        # Same wire names as ARM's ListContainerItem; the data plane's level is lower-case.
        return [
            {"name": c.name, "properties": {"publicAccess": _level(c.public_access)}} for c in items
        ]


def _level(value: Any) -> str:
    text = str(value or "none").lower()
    return {"blob": "Blob", "container": "Container"}.get(text, "None")
