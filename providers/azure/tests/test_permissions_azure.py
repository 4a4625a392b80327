"""`residency-audit permissions azure`: the role definition for ``az role definition create``,
assignable only where it is asked for (subscriptions, a management group, or the scan config's
subscriptions) and never with a placeholder. That its actions are exactly those a full scan
sends is checked against the ARM stub's recorded requests in test_readonly.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from residency_audit.errors import InputError
from residency_audit.permission_docs import PermissionRequest, permission_document
from residency_audit_azure import AzureProvider
from residency_audit_azure.permissions import ACTIONS

SUB_A = "3b4c2a57-1f9e-4d8a-9c6b-0a1e2f3d4c5b"
SUB_B = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
# the keys of a role definition file (az role definition create --role-definition @FILE)
ROLE_KEYS = {
    "Name",
    "IsCustom",
    "Description",
    "Actions",
    "NotActions",
    "DataActions",
    "NotDataActions",
    "AssignableScopes",
}


def document(settings: dict[str, Any] | None = None, **request: Any) -> dict[str, Any]:
    provider = AzureProvider.from_settings(settings or {})
    text = permission_document("azure", provider, PermissionRequest(**request))
    assert "<" not in text  # no placeholder, ever
    role: dict[str, Any] = json.loads(text)
    return role


def test_subscriptions_asked_for_are_the_assignable_scopes() -> None:
    role = document(subscriptions=(SUB_A, SUB_B.upper(), SUB_A))
    assert set(role) == ROLE_KEYS
    assert role["AssignableScopes"] == [f"/subscriptions/{SUB_A}", f"/subscriptions/{SUB_B}"]
    assert role["Actions"] == list(ACTIONS)
    assert role["IsCustom"] is True
    assert role["DataActions"] == role["NotActions"] == role["NotDataActions"] == []
    assert role["Name"] == "residency-audit reader"


def test_a_management_group_scope_and_a_role_name() -> None:
    role = document(management_groups=("corp-jp",), subscriptions=(SUB_A,), role_name="監査 reader")
    assert role["AssignableScopes"] == [
        f"/subscriptions/{SUB_A}",
        "/providers/Microsoft.Management/managementGroups/corp-jp",
    ]
    assert role["Name"] == "監査 reader"


def test_the_config_subscriptions_are_taken_and_the_options_win_over_them() -> None:
    config = {"subscriptions": [SUB_B]}
    assert document(config)["AssignableScopes"] == [f"/subscriptions/{SUB_B}"]
    assert document(config, subscriptions=(SUB_A,))["AssignableScopes"] == [
        f"/subscriptions/{SUB_A}"
    ]


@pytest.mark.parametrize(
    ("settings", "request_", "message"),
    [
        ({}, {}, "give --subscription ID"),
        ({}, {"subscriptions": ("sub-a",)}, "'sub-a' is not a subscription id"),
        ({"subscriptions": ["sub-a"]}, {}, r"providers\.azure\.subscriptions: 'sub-a'"),
        ({}, {"management_groups": ("a", "b")}, "only one"),
        ({}, {"management_groups": ("ends.",)}, "not a management group id"),
        ({}, {"subscriptions": (SUB_A,), "role_name": "two\nlines"}, "--role-name"),
        ({}, {"variant": "member-role"}, "--member-role: not offered by the azure plugin"),
        ({}, {"format": "cloudformation"}, "it offers json"),
        ({}, {"external_id": "abc"}, "--external-id: does not apply to azure"),
    ],
)
def test_a_request_that_does_not_fit_is_an_input_error(
    settings: dict[str, Any], request_: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        document(settings, **request_)
