"""A local Azure Resource Manager stub for tests, the demo and the benchmark.

Azurite has no management plane, so this stdlib ``ThreadingHTTPServer`` serves the handful of ARM
reads the plugin makes, driven through the *unmodified* Azure SDK clients. Response bodies follow
the examples in Azure's published REST API specifications (azure-rest-api-specs, Microsoft.Storage
``StorageAccountList`` / ``StorageAccountGetProperties`` / ``BlobContainersList`` /
``StorageAccountListObjectReplicationPolicies``; Microsoft.KeyVault ``listVaultBySubscription``,
``ManagedHsm_ListBySubscription``, ``ManagedHsm_ListRegionsByResource``; Microsoft.Resources
``GetSubscriptions``, ``GetLocationsWithExtendedLocations``): wire names such as
``properties.networkAcls``, ``nextLink`` paging, and ``{"error": {"code", "message"}}`` bodies on
failure.

The estate is a compact JSON document (see ``fixtures/demo/azure.json``)::

    {"page_size": 2,
     "faults": {"subscriptions": {"status": 403, "code": "AuthorizationFailed"}},
     "subscriptions": [{"subscriptionId": "...", "displayName": "...",
        "faults": {"storageAccounts": {...}, "vaults": {...}, "managedHsms": {...},
                   "locations": {...}},
        "vaults": [{"name": "kv", "resourceGroup": "rg", "location": "japaneast"}],
        "managedHsms": [{"name": "hsm", "location": "japaneast", "regions": [...],
                         "regionList": [...], "faults": {"regions": {...}}}],
        "locations": [... List Locations entries, as returned ...],
        "accounts": [{"name": "acct", "resourceGroup": "rg", "location": "eastasia",
                      "sku": "Standard_GRS", "kind": "StorageV2", "tags": {...},
                      "properties": {... wire properties merged over the defaults ...},
                      "containers": [{"name": "c", "publicAccess": "None"}],
                      "objectReplicationPolicies": [{"destinationAccount": "...", "rules": [...]}],
                      "faults": {"get": {...}, "containers": {...},
                                 "objectReplicationPolicies": {...}}}]}]}

The resources around the accounts that copy their data (Front Door / CDN, diagnostic settings,
blob inventory, Backup vaults) are served by :mod:`.copystub`, whose docstring gives their seed.

Every request is recorded (:attr:`ArmStub.requests`), and every client connection counted
(:attr:`ArmStub.connections`); anything but GET is answered 405, except Azure Resource Graph's
query, a POST that only reads (:mod:`.graphstub`). A ``nextLink`` names the host
the client asked for, so paging through a proxy in front of the stub stays on the proxy.

Faults can also be injected while the stub runs, on every request a predicate accepts
(:meth:`ArmStub.inject`): :data:`DENIED` (403 AuthorizationFailed), :data:`THROTTLED` (429
SubscriptionRequestsThrottled, as ARM answers an exhausted read quota) or a :class:`Fault` with
``stall`` (no answer for that long, then the connection is closed: a client read timeout).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .copystub import CopyResources
from .graphstub import GRAPH_PATH, GraphTables, graph_rows

__all__ = ["DENIED", "THROTTLED", "ArmStub", "Fault", "StubRequest"]

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"  # the tenant id used in the published examples
_CREATED = "2023-06-01T02:42:41.7633306Z"


@dataclass(frozen=True)
class StubRequest:
    method: str
    path: str
    query: str


@dataclass(frozen=True)
class Fault:
    """An injected answer: an ARM error body, or (``stall`` > 0) no answer at all."""

    status: int = 403
    code: str = "AuthorizationFailed"
    message: str = (
        "The client 'auditor@example.com' with object id '00000000-0000-0000-0000-000000000001' "
        "does not have authorization to perform this action or the scope is invalid."
    )
    retry_after: str | None = None  # the Retry-After header, in seconds
    stall: float = 0.0  # seconds without an answer before the connection is closed


DENIED = Fault()
THROTTLED = Fault(
    status=429,
    code="SubscriptionRequestsThrottled",
    message="Number of 'read' requests for subscription exceeded. Please try again after '0' "
    "seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling",
    retry_after="0",  # ARM sends the wait; 0 keeps a test's retries instant
)

# whether the injected fault answers this request (path without, query with the paging token)
FaultFilter = Callable[[StubRequest], bool]


class _Estate:
    """The seed rendered once into API-shaped bodies, indexed by lower-case path."""

    def __init__(self, seed: Mapping[str, Any], blob_endpoint: str | None) -> None:
        self.page_size = int(seed.get("page_size", 1000))
        self.faults: dict[str, Any] = dict(seed.get("faults", {}))
        self.subscriptions: list[dict[str, Any]] = []
        self.sub_faults: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, list[dict[str, Any]]] = {}  # sub -> account bodies
        self.account_by_id: dict[str, dict[str, Any]] = {}
        self.account_faults: dict[str, dict[str, Any]] = {}
        self.containers: dict[str, list[dict[str, Any]]] = {}  # account id -> container bodies
        self.policies: dict[str, list[dict[str, Any]]] = {}  # account id -> policy bodies
        self.vaults: dict[str, list[dict[str, Any]]] = {}  # sub -> vault bodies
        self.hsms: dict[str, list[dict[str, Any]]] = {}  # sub -> Managed HSM pool bodies
        self.hsm_regions: dict[str, list[dict[str, Any]]] = {}  # pool id -> region list
        self.hsm_faults: dict[str, dict[str, Any]] = {}  # pool id -> {"regions": fault}
        self.locations: dict[str, list[dict[str, Any]]] = {}  # sub -> List Locations body
        self.copies = CopyResources()  # edges, log/inventory exports, Backup vaults
        for sub in seed.get("subscriptions", []):
            sub_id = str(sub["subscriptionId"])
            self.subscriptions.append(_subscription_body(sub))
            self.sub_faults[sub_id.lower()] = dict(sub.get("faults", {}))
            self.accounts[sub_id.lower()] = []
            self.vaults[sub_id.lower()] = [_vault_body(sub_id, v) for v in sub.get("vaults", [])]
            self.locations[sub_id.lower()] = [copy.deepcopy(x) for x in sub.get("locations", [])]
            self.copies.add_subscription(sub_id, sub)
            self.hsms[sub_id.lower()] = []
            for hsm in sub.get("managedHsms", []):
                body = _hsm_body(sub_id, hsm)
                self.hsms[sub_id.lower()].append(body)
                self.hsm_regions[body["id"].lower()] = list(hsm.get("regionList", []))
                self.hsm_faults[body["id"].lower()] = dict(hsm.get("faults", {}))
            for acc in sub.get("accounts", []):
                body = _account_body(sub_id, acc, blob_endpoint)
                key = body["id"].lower()
                self.accounts[sub_id.lower()].append(body)
                self.account_by_id[key] = body
                self.account_faults[key] = dict(acc.get("faults", {}))
                self.copies.add_account(body, acc)
                self.containers[key] = [
                    _container_body(body["id"], c) for c in acc.get("containers", [])
                ]
                self.policies.setdefault(key, [])
                for pol in acc.get("objectReplicationPolicies", []):
                    self._add_policy(body, pol)
        self.graph = GraphTables(seed, self.accounts, self.vaults, TENANT)

    def _add_policy(self, source: Mapping[str, Any], seed: Mapping[str, Any]) -> None:
        policy_id = str(seed.get("policyId") or uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(seed)))
        props = {
            "policyId": policy_id,
            "enabledTime": _CREATED,
            "sourceAccount": seed.get("sourceAccount", source["name"]),
            "destinationAccount": seed["destinationAccount"],
            "rules": [
                {
                    "ruleId": rule.get(
                        "ruleId", str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(rule)))
                    ),
                    "sourceContainer": rule["sourceContainer"],
                    "destinationContainer": rule["destinationContainer"],
                    "filters": rule.get("filters", {"prefixMatch": []}),
                }
                for rule in seed.get("rules", [])
            ],
        }
        self.policies.setdefault(source["id"].lower(), []).append(_policy_body(source["id"], props))
        # The destination account lists the same policy (incoming); the plugin must skip it.
        dest = str(seed["destinationAccount"]).lower()
        for acc_id, acc in self.account_by_id.items():
            if dest in (acc_id, acc["name"].lower()) and acc_id != source["id"].lower():
                self.policies.setdefault(acc_id, []).append(_policy_body(acc["id"], props))


def _subscription_body(sub: Mapping[str, Any]) -> dict[str, Any]:
    sub_id = sub["subscriptionId"]
    return {
        "id": f"/subscriptions/{sub_id}",
        "authorizationSource": "RoleBased",
        "subscriptionId": sub_id,
        "tenantId": sub.get("tenantId", TENANT),
        "displayName": sub.get("displayName", sub_id),
        "state": sub.get("state", "Enabled"),
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "Internal_2014-09-01",
            "spendingLimit": "Off",
        },
    }


def _group_id(sub_id: str, group: str) -> str:
    return f"/subscriptions/{sub_id}/resourceGroups/{group}"


def _vault_body(sub_id: str, vault: Mapping[str, Any]) -> dict[str, Any]:
    name, group = vault["name"], vault.get("resourceGroup", "rg-keys")
    return {
        "id": f"{_group_id(sub_id, group)}/providers/Microsoft.KeyVault/vaults/{name}",
        "name": name,
        "type": "Microsoft.KeyVault/vaults",
        "location": vault["location"],
        "tags": vault.get("tags", {}),
        "properties": {
            "tenantId": TENANT,
            "sku": {"family": "A", "name": "standard"},
            "accessPolicies": [],
            "enableRbacAuthorization": True,
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": 90,
            "vaultUri": f"https://{name}.vault.azure.net/",
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Enabled",
        },
    }


def _hsm_body(sub_id: str, hsm: Mapping[str, Any]) -> dict[str, Any]:
    """A pool as ManagedHsm_ListBySubscription.json (Microsoft.KeyVault 2024-11-01) shows it;
    ``regions`` (multi-region replication) only when the seed gives it."""
    name, group = hsm["name"], hsm.get("resourceGroup", "hsm-group")
    props: dict[str, Any] = {
        "tenantId": TENANT,
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "enablePurgeProtection": False,
        "hsmUri": f"https://{name}.managedhsm.azure.net",
        "provisioningState": "Succeeded",
        "statusMessage": "ManagedHsm is functional.",
    }
    if "regions" in hsm:
        props["regions"] = hsm["regions"]
    return {
        "id": f"{_group_id(sub_id, group)}/providers/Microsoft.KeyVault/managedHSMs/{name}",
        "name": name,
        "type": "Microsoft.KeyVault/managedHSMs",
        "location": hsm["location"],
        "sku": {"family": "B", "name": "Standard_B1"},
        "tags": {},
        "properties": props,
    }


def _account_body(sub_id: str, acc: Mapping[str, Any], blob_endpoint: str | None) -> dict[str, Any]:
    name, group = acc["name"], acc.get("resourceGroup", "rg-storage")
    location = acc["location"]
    sku = acc.get("sku", "Standard_LRS")
    blob = (blob_endpoint or "https://{account}.blob.core.windows.net/").format(account=name)
    props: dict[str, Any] = {
        "keyCreationTime": {"key1": _CREATED, "key2": _CREATED},
        "creationTime": _CREATED,
        "primaryEndpoints": {
            "dfs": f"https://{name}.dfs.core.windows.net/",
            "web": f"https://{name}.z11.web.core.windows.net/",
            "blob": blob if blob.endswith("/") else blob + "/",
            "queue": f"https://{name}.queue.core.windows.net/",
            "table": f"https://{name}.table.core.windows.net/",
            "file": f"https://{name}.file.core.windows.net/",
        },
        "primaryLocation": location,
        "statusOfPrimary": "available",
        "provisioningState": "Succeeded",
        "encryption": {
            "services": {
                "file": {"keyType": "Account", "enabled": True, "lastEnabledTime": _CREATED},
                "blob": {"keyType": "Account", "enabled": True, "lastEnabledTime": _CREATED},
            },
            "keySource": "Microsoft.Storage",
        },
        "networkAcls": {
            "bypass": "AzureServices",
            "virtualNetworkRules": [],
            "ipRules": [],
            "defaultAction": "Allow",
        },
        "accessTier": "Hot",
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
        "allowSharedKeyAccess": True,
        "publicNetworkAccess": "Enabled",
        "supportsHttpsTrafficOnly": True,
    }
    for key, value in acc.get("properties", {}).items():
        if value is None:
            props.pop(key, None)  # the seed can drop a field the API may omit
        elif isinstance(value, dict) and isinstance(props.get(key), dict):
            props[key] = {**props[key], **value}
        else:
            props[key] = value
    if "secondaryLocation" in props:
        props.setdefault("statusOfSecondary", "available")
    body: dict[str, Any] = {
        "id": f"{_group_id(sub_id, group)}/providers/Microsoft.Storage/storageAccounts/{name}",
        "name": name,
        "type": "Microsoft.Storage/storageAccounts",
        "location": location,
        "kind": acc.get("kind", "StorageV2"),
        "sku": {"name": sku, "tier": "Premium" if sku.startswith("Premium") else "Standard"},
        "tags": acc.get("tags", {}),
        "properties": props,
    }
    if "extendedLocation" in acc:  # an Edge Zone account, as StorageAccountCreate.json shows it
        body["extendedLocation"] = dict(acc["extendedLocation"])
    if props["encryption"].get("keySource") == "Microsoft.Keyvault":
        body["identity"] = {
            "principalId": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
            "tenantId": TENANT,
            "type": "SystemAssigned",
        }
    return body


def _container_body(account_id: str, c: Mapping[str, Any]) -> dict[str, Any]:
    props = {
        "publicAccess": c.get("publicAccess", "None"),
        "leaseStatus": "Unlocked",
        "leaseState": "Available",
        "lastModifiedTime": "2024-03-14T08:20:47Z",
        "hasImmutabilityPolicy": False,
        "hasLegalHold": False,
        "defaultEncryptionScope": c.get("defaultEncryptionScope", "$account-encryption-key"),
        "denyEncryptionScopeOverride": False,
    }
    return {
        "id": f"{account_id}/blobServices/default/containers/{c['name']}",
        "name": c["name"],
        "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
        "etag": '"0x8D589847D51C7DE"',
        "properties": props,
    }


def _policy_body(account_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{account_id}/objectReplicationPolicies/{props['policyId']}",
        "name": props["policyId"],
        "type": "Microsoft.Storage/storageAccounts/objectReplicationPolicies",
        "properties": copy.deepcopy(dict(props)),
    }


_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_ACC = (
    _SUB
    + r"/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Storage/storageAccounts/(?P<name>[^/]+)"
)
_ROUTES = (
    ("subscriptions", re.compile(r"^/subscriptions/?$", re.I)),
    (
        "storageAccounts",
        re.compile(_SUB + r"/providers/Microsoft\.Storage/storageAccounts/?$", re.I),
    ),
    ("vaults", re.compile(_SUB + r"/providers/Microsoft\.KeyVault/vaults/?$", re.I)),
    ("managedHsms", re.compile(_SUB + r"/providers/Microsoft\.KeyVault/managedHSMs/?$", re.I)),
    (
        "hsmRegions",
        re.compile(
            _SUB + r"/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/managedHSMs/[^/]+"
            r"/regions/?$",
            re.I,
        ),
    ),
    ("locations", re.compile(_SUB + r"/locations/?$", re.I)),
    ("get", re.compile(_ACC + r"/?$", re.I)),
    ("containers", re.compile(_ACC + r"/blobServices/default/containers/?$", re.I)),
    ("objectReplicationPolicies", re.compile(_ACC + r"/objectReplicationPolicies/?$", re.I)),
)


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of new connections beyond that (every
    # worker reconnecting after a read timeout) has its SYNs dropped and the clients time out
    # connecting, a fault of the stub and not of the read under test
    request_queue_size = 128


class ArmStub:
    """Serve an estate on a free 127.0.0.1 port. Use as a context manager."""

    def __init__(
        self,
        estate: Mapping[str, Any],
        *,
        blob_endpoint: str | None = None,
        latency: float = 0.0,
    ) -> None:
        self._estate = _Estate(estate, blob_endpoint)
        self._latency = latency  # seconds added to every response (benchmark round trip)
        self._lock = threading.Lock()
        self._requests: list[StubRequest] = []
        self._connections = 0  # TCP connections accepted: a client's pool reuse shows here
        self._injected: list[tuple[FaultFilter, Fault]] = []
        self._stopping = threading.Event()  # ends every stall when the stub stops
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stub is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[StubRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def connections(self) -> int:
        """Client connections accepted since the start (or the last :meth:`clear_requests`)."""
        with self._lock:
            return self._connections

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._connections = 0

    def inject(self, applies: FaultFilter, fault: Fault) -> None:
        """Answer every request ``applies`` accepts with ``fault`` (every attempt, so the
        client's retries give up) until :meth:`clear_faults`."""
        with self._lock:
            self._injected.append((applies, fault))

    def clear_faults(self) -> None:
        with self._lock:
            self._injected.clear()

    def start(self) -> ArmStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each keep-alive response waits ~40 ms

            def log_message(self, format: str, *args: Any) -> None:
                """Silence the default stderr access log."""

            def setup(self) -> None:  # once per connection (keep-alive serves many requests)
                super().setup()
                with stub._lock:
                    stub._connections += 1

            def _any(self) -> None:
                stub._handle(self)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _any

        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ArmStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling -----------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        request = StubRequest(req.command, parts.path, parts.query)
        with self._lock:
            self._requests.append(request)
            injected = next((f for applies, f in self._injected if applies(request)), None)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        if self._latency:
            time.sleep(self._latency)
        headers: dict[str, str] = {}
        if injected is not None and injected.stall > 0:
            self._stopping.wait(injected.stall)
            req.close_connection = True  # closed without an answer
            return
        if injected is not None:
            status, body = injected.status, _error(injected.code, injected.message)
            if injected.retry_after is not None:
                headers["Retry-After"] = injected.retry_after
        elif req.command == "POST" and parts.path.rstrip("/").lower() == GRAPH_PATH:
            status, body, headers = graph_rows(self._estate.graph, raw)  # a read
        elif req.command != "GET":
            status, body = (
                405,
                _error("MethodNotAllowed", f"{req.command} is not served: read-only stub"),
            )
        else:
            # nextLink on the host the client asked, so paging goes back through a proxy in
            # front of the stub (the benchmark's latency proxy), as ARM's names its own host
            host = req.headers.get("Host")
            base = f"http://{host}" if host else self.url
            status, body = self._route(parts.path, parse_qs(parts.query), base)
        data = json.dumps(body).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        req.send_header("x-ms-request-id", str(uuid.uuid4()))
        for name, value in headers.items():
            req.send_header(name, value)
        if status >= 400:
            req.send_header("x-ms-failure-cause", "gateway")
        req.end_headers()
        req.wfile.write(data)

    def _route(self, path: str, query: Mapping[str, list[str]], base: str) -> tuple[int, Any]:
        es = self._estate
        found = es.copies.lookup(path)
        if found is not None:
            kind, value = found
            if kind == "fault":
                return self._fault(value) or (500, _error("InternalError", "bad fault seed"))
            if kind == "list":
                return self._page(base, path, value, query)
            if kind == "get":
                return 200, value
            return 404, _error("ResourceNotFound", f"The resource {path} was not found.")
        for kind, pattern in _ROUTES:
            m = pattern.match(path)
            if m is None:
                continue
            groups = m.groupdict()
            sub = (groups.get("sub") or "").lower()
            if kind == "subscriptions":
                return self._fault(es.faults.get("subscriptions")) or self._page(
                    base, path, es.subscriptions, query
                )
            if sub not in es.accounts:
                return 404, _error(
                    "SubscriptionNotFound",
                    f"The subscription '{groups['sub']}' could not be found.",
                )
            if kind in ("storageAccounts", "vaults", "managedHsms", "locations"):
                fault = self._fault(es.sub_faults[sub].get(kind))
                lists = {
                    "storageAccounts": es.accounts,
                    "vaults": es.vaults,
                    "managedHsms": es.hsms,
                    "locations": es.locations,
                }
                return fault or self._page(base, path, lists[kind][sub], query)
            if kind == "hsmRegions":
                pool = path.rstrip("/").rsplit("/regions", 1)[0].lower()
                if pool not in es.hsm_regions:
                    return 404, _error("ResourceNotFound", f"Managed HSM {pool} not found")
                fault = self._fault(es.hsm_faults[pool].get("regions"))
                return fault or self._page(base, path, es.hsm_regions[pool], query)
            account_id = path.split("/blobServices")[0].split("/objectReplicationPolicies")[0]
            key = account_id.rstrip("/").lower()
            if key not in es.account_by_id:
                return 404, _error(
                    "ResourceNotFound",
                    f"The Resource 'Microsoft.Storage/storageAccounts/{groups['name']}' under "
                    f"resource group '{groups['rg']}' was not found. For more details please go "
                    "to https://aka.ms/ARMResourceNotFoundFix",
                )
            fault = self._fault(es.account_faults[key].get(kind))
            if fault:
                return fault
            if kind == "get":
                return 200, es.account_by_id[key]
            items = es.containers[key] if kind == "containers" else es.policies[key]
            return self._page(base, path, items, query)
        return 404, _error("InvalidResourceType", f"The resource type could not be found: {path}")

    @staticmethod
    def _fault(fault: Mapping[str, Any] | None) -> tuple[int, Any] | None:
        if not fault:
            return None
        code = fault.get("code", DENIED.code)
        message = fault.get("message", DENIED.message)
        return int(fault.get("status", DENIED.status)), _error(code, message)

    def _page(
        self, base: str, path: str, items: list[dict[str, Any]], query: Mapping[str, list[str]]
    ) -> tuple[int, Any]:
        start = int((query.get("$skipToken") or ["0"])[0])
        size = self._estate.page_size
        body: dict[str, Any] = {"value": items[start : start + size]}
        if start + size < len(items):
            version = (query.get("api-version") or [""])[0]
            body["nextLink"] = f"{base}{path}?api-version={version}&$skipToken={start + size}"
        return 200, body


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
