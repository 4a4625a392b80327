"""The inventory source stays read-only: its one POST (Resource Graph's query) is allowed by path
and api-version, any other POST is still refused before it is sent; every request of an
inventory scan has a row in the permissions table, and `permissions azure` prints exactly the
actions that scan used. Settings errors name their key and exit 2."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest
from click.testing import CliRunner

from residency_audit.cli import cli
from residency_audit.errors import CollectionError, ConfigError
from residency_audit.permission_docs import PermissionRequest
from residency_audit_azure import AzureProvider
from residency_audit_azure.client import ReadOnlyViolation, RequestLog
from residency_audit_azure.permissions import action_for, read_for
from residency_audit_azure.testing import ArmStub

GRAPH_ACTION = "Microsoft.ResourceGraph/resources/read"
ARM = "https://management.azure.com"


def _send(log: RequestLog, method: str, url: str) -> None:
    log(PipelineRequest(HttpRequest(method, url), PipelineContext(None)))  # type: ignore[arg-type]


def test_only_the_resource_graph_query_is_a_post_that_passes() -> None:
    log = RequestLog()
    _send(log, "POST", f"{ARM}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01")
    refused = [
        # another api-version of the same path (a version whose semantics we have not read)
        ("POST", "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"),
        ("POST", "/providers/Microsoft.ResourceGraph/resources"),  # none at all
        (
            "POST",
            "/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
            "&api-version=2021-03-01",
        ),
        ("PUT", "/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"),
        ("POST", "/providers/Microsoft.ResourceGraph/resourcesHistory?api-version=2022-10-01"),
        ("POST", "/subscriptions/s/providers/Microsoft.Storage/register?api-version=2022-10-01"),
        (
            "POST",
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a/"
            "listKeys?api-version=2022-10-01",
        ),
    ]
    for method, path in refused:
        with pytest.raises(ReadOnlyViolation):
            _send(log, method, ARM + path)
    assert len(log.entries()) == 1 + len(refused)  # refused ones are recorded too


def test_an_inventory_scan_sends_only_reads_and_exactly_the_role_actions(
    arm_stub: ArmStub, ids: SimpleNamespace
) -> None:
    base = {
        "arm_endpoint": arm_stub.url,
        "credential": "anonymous",
        "retries": 0,
        "source": "inventory",
        "max_age": "1h",
    }
    # one scan reached after its answer went stale (every account re-read live), one that
    # verifies every account against a live read (the live key vault listing too)
    for extra in ({}, {"verify_sample": 100}):
        provider = AzureProvider.from_settings({**base, **extra})
        assert provider.graph is not None
        answered = provider.graph.answer().captured
        if not extra:
            provider.graph.clock = lambda at=answered + timedelta(hours=2): at
        for scope in provider.scopes():
            try:
                list(provider.buckets(scope))
            except CollectionError:
                pytest.fail(f"{scope.id}: an inventory scan fails no scope of this estate")
    assert provider.live_region_listings()  # `catalog check`'s reads belong to the role too
    seen = arm_stub.requests
    assert {r.method for r in seen} == {"GET", "POST"}
    posts = [r for r in seen if r.method == "POST"]
    assert {read_for(r.method, r.path) for r in posts} == {"resources.query"}
    assert all("api-version=2022-10-01" in r.query for r in posts)
    refused = [e for e in provider.request_log.entries() if e.method not in ("GET", "POST")]
    assert refused == []
    used = {action_for(r.method, r.path) for r in seen}
    assert None not in used, [r.path for r in seen if action_for(r.method, r.path) is None]
    assert used == set(provider.required_permissions())
    role = json.loads(provider.permission_document(PermissionRequest(subscriptions=(ids.sub,))))
    assert set(role["Actions"]) == used and GRAPH_ACTION in used


def test_a_live_role_has_no_resource_graph_action() -> None:
    assert GRAPH_ACTION not in AzureProvider.from_settings({}).required_permissions()


def test_permissions_azure_prints_the_inventory_role_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text(
        '[providers.azure]\nsource = "inventory"\nmanagement_group = "mg-japan"\n', "utf-8"
    )
    result = CliRunner().invoke(cli, ["permissions", "azure", "--config", str(config)])
    assert result.exit_code == 0, result.output
    role = json.loads(result.output)
    assert GRAPH_ACTION in role["Actions"]
    assert "Microsoft.Storage/storageAccounts/blobServices/containers/read" in role["Actions"]
    assert role["AssignableScopes"] == ["/providers/Microsoft.Management/managementGroups/mg-japan"]


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"source": "graph"}, "source"),
        ({"source": "inventory", "max_age": "soon"}, "max_age"),
        ({"source": "inventory", "max_age": 0}, "max_age"),
        ({"source": "inventory", "max_age": True}, "max_age"),
        ({"source": "inventory", "verify_sample": -1}, "verify_sample"),
        ({"source": "inventory", "verify_seed": "x"}, "verify_seed"),
        ({"source": "inventory", "management_group": "bad/group"}, "management_group"),
        (
            {"source": "inventory", "management_group": "mg", "subscriptions": ["s1"]},
            "management_group",
        ),
        ({"management_group": "mg"}, "management_group"),  # only read with the inventory
        (
            {"source": "inventory", "connection_string": "AccountName=a;AccountKey=k"},
            "source",
        ),
    ],
)
def test_bad_inventory_settings_name_their_key(extra: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        AzureProvider.from_settings(extra)
    assert f"providers.azure.{key}" in str(err.value)
    assert err.value.exit_code == 2


def test_a_bad_inventory_setting_exits_2_from_the_cli(tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text('[providers.azure]\nsource = "inventory"\nmax_age = "a while"\n', "utf-8")
    result = CliRunner().invoke(cli, ["scan", "--config", str(config), "-q"])
    assert result.exit_code == 2, result.output
    assert "providers.azure.max_age" in result.output
