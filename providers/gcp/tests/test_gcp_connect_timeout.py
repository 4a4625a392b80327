"""An endpoint that never accepts a connection fails the scan's scope within one connect timeout:
the client libraries alone wait their 60 s read timeout on the connect and retry for 120 s."""

from __future__ import annotations

import time

import pytest

from residency_audit.model import ScopeStatus
from residency_audit.nettest import blackhole
from residency_audit.scan import collect
from residency_audit_gcp import GcpProvider


@pytest.fixture(autouse=True)
def _no_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)


def test_an_unreachable_storage_endpoint_fails_the_scope_within_the_connect_timeout() -> None:
    with blackhole() as url:
        provider = GcpProvider.from_settings({"projects": ["proj-alpha"], "endpoint": url})
        started = time.monotonic()
        inventory = collect({"gcp": provider})
        elapsed = time.monotonic() - started
    [scope] = inventory.scopes
    assert scope.status is ScopeStatus.FAILED
    assert 4.5 <= elapsed < 9, elapsed  # connect_timeout 5 s (the default), asked once
    assert scope.error == (
        f"gcp: cannot list buckets in project proj-alpha: connection: cannot connect to {url} "
        "within 5 s (ConnectTimeout)"
    )


def test_an_unreachable_resource_manager_fails_the_walk_within_the_connect_timeout() -> None:
    with blackhole() as url:
        provider = GcpProvider.from_settings(
            {"organization": "100", "resource_manager_endpoint": url, "connect_timeout": 2}
        )
        started = time.monotonic()
        inventory = collect({"gcp": provider})
        elapsed = time.monotonic() - started
    [scope] = inventory.scopes
    assert (scope.scope, scope.status) == ("*", ScopeStatus.FAILED)
    # two searches (projects, folders), each given the connect timeout once
    assert 3.5 <= elapsed < 6, elapsed
    assert f"cannot connect to {url} within 2 s" in (scope.error or "")
