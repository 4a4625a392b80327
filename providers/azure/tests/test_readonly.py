"""Read-only proof: every request of a full scan is recorded (stub log + the plugin's azure-core
hook), none is a write, and the custom role lists exactly the actions those requests need."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from residency_audit.errors import CollectionError
from residency_audit.permission_docs import PermissionRequest
from residency_audit_azure import AzureProvider
from residency_audit_azure.permissions import action_for
from residency_audit_azure.testing import ArmStub


def full_scan(provider: AzureProvider) -> list[str]:
    """Every scope; returns the scope ids that failed."""
    failed = []
    for scope in provider.scopes():
        try:
            list(provider.buckets(scope))
        except CollectionError:
            failed.append(scope.id)
    return failed


def test_full_scan_sends_only_reads_and_exactly_the_role_actions(
    arm_stub: ArmStub, stub_settings: Callable[..., dict[str, Any]], ids: SimpleNamespace
) -> None:
    provider = AzureProvider.from_settings(stub_settings())
    assert full_scan(provider) == [ids.sub_denied, ids.sub_unregistered]
    assert provider.live_region_listings()  # `catalog check`'s reads belong to the role too

    seen = arm_stub.requests
    assert seen, "the stub recorded nothing"
    assert {r.method for r in seen} == {"GET"}

    sent = provider.request_log.entries()
    # the plugin's hook saw every request the stub saw, plus the refused registration POST
    assert sorted((e.method, e.path) for e in sent if e.method == "GET") == sorted(
        (r.method, r.path) for r in seen
    )
    refused = [e for e in sent if e.method != "GET"]
    assert [(e.method, e.path) for e in refused] == [
        ("POST", f"/subscriptions/{ids.sub_unregistered}/providers/Microsoft.Storage/register")
    ]

    used = {action_for(r.method, r.path) for r in seen}
    assert None not in used, [r.path for r in seen if action_for(r.method, r.path) is None]
    assert used == set(provider.permission_policy()["Actions"])
    # the role definition `permissions azure --subscription ...` prints: the same actions,
    # assignable in exactly the subscriptions scanned
    scanned = tuple(scope.id for scope in provider.scopes())
    role = json.loads(provider.permission_document(PermissionRequest(subscriptions=scanned)))
    assert set(role["Actions"]) == used
    assert role["AssignableScopes"] == [f"/subscriptions/{s}" for s in scanned]


def test_sdk_auto_registration_is_refused_before_it_reaches_azure(
    arm_stub: ArmStub, stub_settings: Callable[..., dict[str, Any]], ids: SimpleNamespace
) -> None:
    provider = AzureProvider.from_settings(stub_settings(subscriptions=[ids.sub_unregistered]))
    (scope,) = provider.scopes()
    with pytest.raises(CollectionError) as err:
        list(provider.buckets(scope))
    assert err.value.code == "WriteRefused"
    assert "register" in str(err.value)
    assert [r.method for r in arm_stub.requests] == ["GET"]


def test_the_stub_would_catch_a_write(arm_stub: ArmStub) -> None:
    request = urllib.request.Request(f"{arm_stub.url}/subscriptions/x", data=b"{}", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 405
    assert [r.method for r in arm_stub.requests] == ["PUT"]


def test_permissions_command_prints_the_custom_role(ids: SimpleNamespace) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "residency_audit",
            "permissions",
            "azure",
            "--subscription",
            ids.sub,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    role = json.loads(out)
    assert role["IsCustom"] is True and role["DataActions"] == []
    assert role["Actions"] == list(AzureProvider.from_settings({}).required_permissions())
    assert role["AssignableScopes"] == [f"/subscriptions/{ids.sub}"]
