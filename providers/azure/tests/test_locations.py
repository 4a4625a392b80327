"""The `catalog check` hook: Subscriptions - List Locations per subscription, through the
unmodified SubscriptionClient against the ARM stub (bodies from GetLocationsWithExtendedLocations
of azure-rest-api-specs, see data/real/SOURCES.md)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from residency_audit.errors import CollectionError
from residency_audit_azure import AzureProvider
from residency_audit_azure.permissions import read_for
from residency_audit_azure.testing import DENIED, ArmStub


def test_one_unreadable_subscription_is_a_problem_not_a_failure(
    arm_stub: ArmStub, stub_settings: Callable[..., dict[str, Any]], ids: SimpleNamespace
) -> None:
    arm_stub.inject(
        lambda r: (
            read_for(r.method, r.path) == "subscriptions.listLocations" and ids.sub_denied in r.path
        ),
        DENIED,
    )
    provider = AzureProvider.from_settings(stub_settings(subscriptions=[ids.sub, ids.sub_denied]))
    (listing,) = provider.live_region_listings()
    assert {r.code for r in listing.regions} >= {"eastus", "eastus2"}
    (problem,) = listing.problems
    assert ids.sub_denied in problem and "AuthorizationFailed" in problem
    # only GETs of the locations path were sent
    assert {(r.method, read_for(r.method, r.path)) for r in arm_stub.requests} == {
        ("GET", "subscriptions.listLocations")
    }


def test_no_readable_subscription_raises(
    arm_stub: ArmStub, stub_settings: Callable[..., dict[str, Any]], ids: SimpleNamespace
) -> None:
    arm_stub.inject(lambda r: read_for(r.method, r.path) == "subscriptions.listLocations", DENIED)
    provider = AzureProvider.from_settings(stub_settings(subscriptions=[ids.sub]))
    with pytest.raises(CollectionError, match="AuthorizationFailed"):
        provider.live_region_listings()


def test_only_physical_locations_are_listed(
    stub_settings: Callable[..., dict[str, Any]], ids: SimpleNamespace
) -> None:
    logical = {
        "id": f"/subscriptions/{ids.sub}/locations/asia",
        "name": "asia",
        "type": "Region",
        "displayName": "Asia",
        "metadata": {"regionType": "Logical", "regionCategory": "Other"},
    }
    unpaired = {
        "id": f"/subscriptions/{ids.sub}/locations/polandcentral",
        "name": "polandcentral",
        "type": "Region",
        "displayName": "Poland Central",
        "metadata": {"regionType": "Physical", "physicalLocation": "Warsaw", "pairedRegion": []},
    }
    estate = {"subscriptions": [{"subscriptionId": ids.sub, "locations": [logical, unpaired]}]}
    with ArmStub(estate) as stub:
        provider = AzureProvider.from_settings(
            {"arm_endpoint": stub.url, "credential": "anonymous", "retries": 0}
        )
        (listing,) = provider.live_region_listings()
    (poland,) = listing.regions
    assert (poland.code, poland.physical_location, poland.paired_region) == (
        "polandcentral",
        "Warsaw",
        None,
    )
