"""An endpoint that never accepts a connection fails the scan's scope within one connect timeout:
azure-core alone retries a failed connect 3 times (4 × connect_timeout and backoff), and
azure-storage-blob's retry waits 15 s and more between its attempts."""

from __future__ import annotations

import time

from residency_audit.model import ScopeStatus
from residency_audit.nettest import blackhole
from residency_audit.scan import collect
from residency_audit_azure import AzureProvider


def test_an_unreachable_arm_endpoint_fails_the_scope_within_the_connect_timeout() -> None:
    with blackhole() as url:
        provider = AzureProvider.from_settings(
            {"arm_endpoint": url, "credential": "anonymous", "subscriptions": ["sub-1"]}
        )
        started = time.monotonic()
        inventory = collect({"azure": provider})
        elapsed = time.monotonic() - started
    [scope] = inventory.scopes
    assert scope.status is ScopeStatus.FAILED
    assert 4.5 <= elapsed < 9, elapsed  # connect_timeout 5 s (the default), asked once
    error = scope.error or ""
    assert error.startswith(
        "cannot list storage accounts in subscription sub-1: storageAccounts.list: "
        "ServiceRequestTimeoutError: "
    )
    assert "Connection to 127.0.0.1 timed out. (connect timeout=5.0)" in error


def test_an_unreachable_blob_endpoint_fails_the_connection_string_scope_in_time() -> None:
    with blackhole() as url:
        provider = AzureProvider.from_settings(
            {
                "connection_string": "DefaultEndpointsProtocol=http;AccountName=acct;"
                f"AccountKey=a2V5;BlobEndpoint={url}/acct;",
                "connect_timeout": 2,
            }
        )
        started = time.monotonic()
        inventory = collect({"azure": provider})
        elapsed = time.monotonic() - started
    [scope] = inventory.scopes
    assert scope.status is ScopeStatus.FAILED
    assert 1.5 <= elapsed < 4, elapsed
    assert (scope.error or "").startswith(
        "cannot list containers of acct: listContainers: ServiceRequestTimeoutError: "
    )
