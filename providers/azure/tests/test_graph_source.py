"""``source = "inventory"``: storage accounts from Azure Resource Graph.

Served by the ARM stub's Resource Graph endpoint (testing/graphstub.py), whose request and
answer shapes are those of azure-rest-api-specs ``specification/resourcegraph/resource-manager/
Microsoft.ResourceGraph/stable/2022-10-01/examples/ResourcesFirstPageQuery.json`` and
``ResourcesNextPageQuery.json`` (``data`` rows, ``$skipToken``, ``totalRecords``, ``count``,
``resultTruncated``); a row is the resource as the ``resources`` table holds it (its
``properties`` are the ARM properties the live listing returns, from the same estate seed).
The last test pages the published examples themselves (data/real, SOURCES.md), unedited.
"""

from __future__ import annotations

import copy
import json
import math
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from residency_audit.errors import CollectionError
from residency_audit.model import Bucket, CoverageNote, Role
from residency_audit.profiles import load_profile
from residency_audit.rules import EvaluationSettings
from residency_audit.scan import collect, evaluate_inventory
from residency_audit_azure import AzureProvider
from residency_audit_azure.client import ArmClient, RequestLog
from residency_audit_azure.graph_source import LIVE_FIELDS
from residency_audit_azure.settings import parse_settings
from residency_audit_azure.testing import DENIED, ArmStub

from .conftest import SUB, estate_seed

GRAPH = "/providers/Microsoft.ResourceGraph/resources"
Item = Bucket | CoverageNote


def _items(provider: AzureProvider) -> list[Item]:
    out: list[Item] = []
    for scope in provider.scopes():
        out.extend(provider.buckets(scope))
    return out


def _buckets(items: list[Item]) -> dict[str, Bucket]:
    return {i.uid: i for i in items if isinstance(i, Bucket)}


def _notes(items: list[Item], kind: str) -> list[CoverageNote]:
    return [i for i in items if isinstance(i, CoverageNote) and i.kind == kind]


def _findings(provider: AzureProvider) -> set[str]:
    inventory = collect({"azure": provider})
    result = evaluate_inventory(
        inventory, load_profile("jp-default"), EvaluationSettings(today=date(2026, 12, 1))
    )
    return {f.fingerprint for f in result.findings}


def _one_subscription(seed: dict[str, Any]) -> dict[str, Any]:
    seed = copy.deepcopy(seed)
    seed["subscriptions"] = [s for s in seed["subscriptions"] if s["subscriptionId"] == SUB]
    return seed


def _settings(stub: ArmStub, **extra: Any) -> dict[str, Any]:
    return {"arm_endpoint": stub.url, "credential": "anonymous", "retries": 0, **extra}


def _accounts(n: int, **props: Any) -> dict[str, Any]:
    accounts = [
        {"name": f"acct{i:05d}", "location": "japaneast", "containers": [{"name": "c"}], **props}
        for i in range(n)
    ]
    return {"page_size": 1000, "subscriptions": [{"subscriptionId": SUB, "accounts": accounts}]}


def test_resource_graph_and_the_live_reads_give_the_same_findings() -> None:
    # the plugin's whole test estate (geo-secondaries, object replication, key vaults, Managed
    # HSMs, refused reads), not shaped for Resource Graph
    with ArmStub(_one_subscription(estate_seed())) as stub:
        live = AzureProvider.from_settings(_settings(stub))
        graph = AzureProvider.from_settings(_settings(stub, source="inventory"))
        live_items, graph_items = _items(live), _items(graph)
        assert _findings(live) == _findings(graph)
    live_buckets, graph_buckets = _buckets(live_items), _buckets(graph_items)
    assert len(live_buckets) == 25
    assert live_buckets.keys() == graph_buckets.keys()
    for uid, bucket in live_buckets.items():
        got = graph_buckets[uid]
        assert (got.locations, got.encryption, got.public_access, got.tags, got.gaps) == (
            bucket.locations,
            bucket.encryption,
            bucket.public_access,
            bucket.tags,
            bucket.gaps,
        ), uid
        assert got.captured is not None and got.read_live == LIVE_FIELDS
    (source,) = _notes(graph_items, "inventory-source")
    assert source.counts == {"buckets": 25}


def test_pages_follow_the_skip_token_and_the_calls_are_counted() -> None:
    n = 1001
    with ArmStub(_accounts(n)) as stub:
        provider = AzureProvider.from_settings(
            _settings(stub, source="inventory", subscriptions=[SUB])
        )
        items = _items(provider)
        sent = stub.requests
    buckets = _buckets(items)
    assert len(buckets) == n  # every page read once: no account lost or repeated
    posts = [r for r in sent if r.method == "POST"]
    assert len(posts) == math.ceil(n / 1000) == 2
    assert {r.path for r in posts} == {GRAPH}
    # what Resource Graph does not hold, read live per account: the containers, the object
    # replication policies, the diagnostic settings and the inventory policy (".../default");
    # per subscription the CDN profiles, classic Front Doors and Backup vaults; nothing else
    gets = Counter(r.path.rsplit("/", 1)[-1] for r in sent if r.method == "GET")
    per_account = ["containers", "default", "diagnosticSettings", "objectReplicationPolicies"]
    per_subscription = ["backupVaults", "frontDoors", "profiles"]
    assert sorted(gets) == sorted(per_account + per_subscription)
    assert all(gets[name] == n for name in per_account)
    assert all(gets[name] == 1 for name in per_subscription)
    assert len(sent) == math.ceil(n / 1000) + 4 * n + 3
    (fallback,) = _notes(items, "inventory-fallback")
    assert fallback.counts["buckets"] == n
    assert all(fallback.counts[f"field.{name}"] == n for name in LIVE_FIELDS)
    assert fallback.counts["reason.not-recorded"] == n


def _lagging_seed() -> dict[str, Any]:
    """Resource Graph's copy of `hkgrs` lags a change: it still says LRS, ARM says GRS."""
    seed = _accounts(3)
    acc = seed["subscriptions"][0]["accounts"][1]
    acc.update(sku="Standard_GRS", properties={"secondaryLocation": "japanwest"})
    acc["graph"] = {"sku": {"name": "Standard_LRS"}, "properties": {"secondaryLocation": None}}
    return seed


def _roles(bucket: Bucket) -> list[str]:
    return sorted(f"{loc.role.value}:{loc.region}" for loc in bucket.locations)


def test_a_stale_answer_is_read_live_again_and_counted() -> None:
    with ArmStub(_lagging_seed()) as stub:
        fresh = AzureProvider.from_settings(_settings(stub, source="inventory"))
        fresh_items = _items(fresh)
        stub.clear_requests()
        old = AzureProvider.from_settings(_settings(stub, source="inventory", max_age="1h"))
        assert old.graph is not None
        answered = old.graph.answer().captured
        old.graph.clock = lambda: answered + timedelta(hours=2)  # reached 2 h after the answer
        old_items = _items(old)
        reread = [r for r in stub.requests if r.path.lower().endswith("/acct00001")]
    # fresh: Resource Graph's copy is reported (no secondary); stale: the live one (Japan West)
    fresh_b = next(b for b in _buckets(fresh_items).values() if b.name == "acct00001/c")
    old_b = next(b for b in _buckets(old_items).values() if b.name == "acct00001/c")
    assert "geo-secondary:japanwest" not in _roles(fresh_b)
    assert "geo-secondary:japanwest" in _roles(old_b)
    assert len(reread) == 1 and reread[0].method == "GET"
    assert old_b.read_live == (*LIVE_FIELDS, "account")
    (fallback,) = _notes(old_items, "inventory-fallback")
    assert fallback.counts["reason.stale"] == 3 and fallback.counts["field.account"] == 3
    assert "older than max_age: 3 buckets" in fallback.detail


def test_verify_sample_reports_the_planted_disagreement_and_reports_the_live_reading() -> None:
    with ArmStub(_lagging_seed()) as stub:
        provider = AzureProvider.from_settings(
            _settings(stub, source="inventory", verify_sample=3, verify_seed=7)
        )
        items = _items(provider)
    (note,) = _notes(items, "inventory-disagreement")
    assert "acct00001/c" in note.detail and "locations differs" in note.detail
    assert "japanwest" in note.detail
    reported = next(b for b in _buckets(items).values() if b.name == "acct00001/c")
    assert "geo-secondary:japanwest" in _roles(reported)  # the live reading is reported
    assert reported.captured is None


def test_verify_sample_draws_k_accounts_reproducibly() -> None:
    def reread(seed: int) -> list[str]:
        with ArmStub(_accounts(20)) as stub:
            provider = AzureProvider.from_settings(
                _settings(stub, source="inventory", verify_sample=2, verify_seed=seed)
            )
            items = _items(provider)
            assert not _notes(items, "inventory-disagreement")  # the same estate: no noise
            return sorted(r.path for r in stub.requests if r.path.count("/") == 8)

    first = reread(1)
    assert len(first) == 2 and first == reread(1)  # two accounts read live, the same each run
    assert first != reread(2)


def test_a_management_group_names_the_scopes() -> None:
    other = "0f0f0f0f-2e2e-4d4d-8c8c-7b7b7b7b7b7b"
    seed = _accounts(2)
    seed["subscriptions"][0]["managementGroup"] = "mg-japan"
    seed["subscriptions"].append(
        {
            "subscriptionId": other,
            "managementGroup": "mg-elsewhere",
            "accounts": [{"name": "far", "location": "brazilsouth", "containers": [{"name": "c"}]}],
        }
    )
    with ArmStub(seed) as stub:
        provider = AzureProvider.from_settings(
            _settings(stub, source="inventory", management_group="mg-japan")
        )
        scopes = [s.id for s in provider.scopes()]
        names = sorted(b.name for b in _buckets(_items(provider)).values())
        paths = {r.path for r in stub.requests}
    assert scopes == [SUB.lower()]
    assert names == ["acct00000/c", "acct00001/c"]
    assert not any(p.rstrip("/") == "/subscriptions" for p in paths)  # no subscription listing


def _vault_query_refused() -> dict[str, Any]:
    """The plugin's estate, with Resource Graph refusing only the key vaults' query."""
    seed = _one_subscription(estate_seed())
    seed["faults"] = {
        **seed.get("faults", {}),
        "resourceGraph": {"status": 403, "type": "microsoft.keyvault/vaults"},
    }
    return seed


def test_a_failed_vault_query_falls_back_to_the_live_vault_listing() -> None:
    # Resource Graph answers for the storage accounts but refuses the key vaults' query: each
    # subscription's vaults are listed live instead, and the keys' places are as in a live scan
    with ArmStub(_one_subscription(estate_seed())) as stub:
        live = _findings(AzureProvider.from_settings(_settings(stub)))
    with ArmStub(_vault_query_refused()) as stub:
        graph = AzureProvider.from_settings(_settings(stub, source="inventory"))
        assert _findings(graph) == live
        listed = [r.path for r in stub.requests if r.path.lower().endswith("keyvault/vaults")]
    assert listed  # the live listing answered what Resource Graph did not


def test_a_vault_neither_source_can_list_leaves_the_key_unknown() -> None:
    # both the vault query and the live listing refused: a key in a vault is in an unknown place
    with ArmStub(_vault_query_refused()) as stub:
        stub.inject(
            lambda r: r.method == "GET" and r.path.lower().endswith("keyvault/vaults"), DENIED
        )
        items = _items(AzureProvider.from_settings(_settings(stub, source="inventory")))
    in_vault = [
        b
        for b in _buckets(items).values()
        if b.encryption.key_id and ".vault." in b.encryption.key_id.lower()
    ]
    assert in_vault
    for bucket in in_vault:
        keys = [loc for loc in bucket.locations if loc.role is Role.KEY]
        assert keys and all(loc.unknown_reason for loc in keys), bucket.name


def test_an_unreadable_resource_graph_fails_each_scope_naming_the_read() -> None:
    seed = _accounts(1)
    seed["faults"] = {"resourceGraph": {"status": 403, "code": "AuthorizationFailed"}}
    with ArmStub(seed) as stub:
        provider = AzureProvider.from_settings(
            _settings(stub, source="inventory", subscriptions=[SUB])
        )
        (scope,) = provider.scopes()
        with pytest.raises(CollectionError) as err:
            list(provider.buckets(scope))
        with pytest.raises(CollectionError):
            list(provider.buckets(scope))  # asked once per scan, not once per scope
        posts = [r for r in stub.requests if r.method == "POST"]
    assert err.value.code == "AuthorizationFailed"
    assert "Resource Graph" in str(err.value) and "resources.query" in str(err.value)
    assert len(posts) == 1


def test_a_subscription_without_rows_is_not_taken_as_empty(
    arm_stub: ArmStub, stub_settings: Callable[..., dict[str, Any]], ids: SimpleNamespace
) -> None:
    provider = AzureProvider.from_settings(
        stub_settings(source="inventory", subscriptions=[ids.sub_denied])
    )
    (scope,) = provider.scopes()
    items = list(provider.buckets(scope))
    assert not _buckets(items)
    (note,) = _notes(items, "inventory-no-accounts")
    assert note.affects_completeness and "none this identity may read" in note.detail


def test_an_answer_limited_to_10000_subscriptions_says_buckets_are_missing() -> None:
    # Resource Graph's throttling guidance: past 10,000 subscriptions in scope it answers the
    # first 10,000 and sends x-ms-tenant-subscription-limit-hit: true
    seed = _accounts(2)
    seed["graph_subscription_limit_hit"] = True
    with ArmStub(seed) as stub:
        provider = AzureProvider.from_settings(_settings(stub, source="inventory"))
        items = _items(provider)
    assert len(_buckets(items)) == 2
    (note,) = _notes(items, "inventory-incomplete")
    assert note.buckets_missing and note.affects_completeness
    assert "10,000 subscriptions" in note.detail


class _ExampleServer:
    """Answers Resources - Query with the published examples, in order (data/real/SOURCES.md):
    ResourcesNextPageQuery.json's answer (it carries a $skipToken), then ResourcesBasicQuery.json's
    (none); records each request body."""

    def __init__(self) -> None:
        real = Path(__file__).parent / "data" / "real"
        self.examples = [
            json.loads((real / name).read_text("utf-8"))
            for name in ("ResourcesNextPageQuery.json", "ResourcesBasicQuery.json")
        ]
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Silent."""

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.bodies.append(json.loads(self.rfile.read(length)))
                server.paths.append(self.path)
                example = server.examples[min(len(server.bodies), 2) - 1]
                data = json.dumps(example["responses"]["200"]["body"]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


def test_the_client_pages_the_published_examples_as_they_are() -> None:
    server = _ExampleServer()
    try:
        settings = parse_settings({"arm_endpoint": server.url, "credential": "anonymous"})
        arm = ArmClient(settings, RequestLog())
        pages = list(arm.query_resources("resources | project id", subscriptions=["s1"]))
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
    next_page, basic = (e["responses"]["200"]["body"] for e in server.examples)
    assert [p.rows for p in pages] == [next_page["data"], basic["data"]]
    assert not any(p.truncated or p.subscription_limit_hit for p in pages)
    first, second = server.bodies
    # the request keys are the examples' own: subscriptions, query, options.$top/$skipToken
    example_request = server.examples[0]["parameters"]["query"]
    assert set(first) == set(example_request) == {"subscriptions", "query", "options"}
    assert first["options"] == {"$top": 1000}
    assert second["options"] == {"$top": 1000, "$skipToken": next_page["$skipToken"]}
    assert (
        server.paths == ["/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"] * 2
    )


def test_a_stale_answer_whose_live_re_read_fails_says_so() -> None:
    with ArmStub(_lagging_seed()) as stub:
        provider = AzureProvider.from_settings(
            _settings(stub, source="inventory", max_age="1h", subscriptions=[SUB])
        )
        assert provider.graph is not None
        answered = provider.graph.answer().captured
        provider.graph.clock = lambda: answered + timedelta(hours=2)
        stub.inject(lambda r: r.path.lower().endswith("/acct00001"), DENIED)
        items = _items(provider)
    (note,) = _notes(items, "inventory-stale-unread")
    assert "acct00001" in note.detail and "AuthorizationFailed" in note.detail
    # Resource Graph's copy is still reported, and not counted as read live
    reported = next(b for b in _buckets(items).values() if b.name == "acct00001/c")
    assert reported.read_live == LIVE_FIELDS
    (fallback,) = _notes(items, "inventory-fallback")
    assert fallback.counts["reason.stale"] == 2
