"""`residency-audit permissions gcp`: the custom role as JSON, and as the YAML role file
``gcloud iam roles create ROLE_ID --file`` reads. That the role's permissions are exactly those a
full scan uses is checked against recorded requests in test_provider_emulator.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from residency_audit.errors import InputError
from residency_audit.permission_docs import PermissionRequest, permission_document
from residency_audit_gcp import GcpProvider
from residency_audit_gcp.permissions import PERMISSIONS

# the fields of IAM's Role resource that gcloud's --file takes for a new role
ROLE_KEYS = {"title", "description", "stage", "includedPermissions"}


def document(settings: dict[str, Any] | None = None, **request: Any) -> str:
    provider = GcpProvider.from_settings(settings or {})
    return permission_document("gcp", provider, PermissionRequest(**request))


def test_role_file_has_exactly_the_gcloud_keys_and_the_declared_permissions() -> None:
    text = document(format="gcloud")
    role = yaml.safe_load(text)
    assert set(role) == ROLE_KEYS
    assert role["includedPermissions"] == list(PERMISSIONS)
    assert role["stage"] == "GA"
    # IAM's limits: a title of 100 characters, a description of 256
    assert 0 < len(role["title"]) <= 100 and 0 < len(role["description"]) <= 256
    assert text.startswith("# ")
    assert "gcloud iam roles create residencyAuditReader --organization=" in text
    assert "--file=role.yaml" in text


def test_role_file_names_the_configured_organization_and_the_role_id_asked_for() -> None:
    text = document(
        {"organization": "organizations/123456789012"}, format="gcloud", role_name="a.b_c"
    )
    commands = [line for line in text.splitlines() if line.startswith("#")]
    assert any(
        "gcloud iam roles create a.b_c --organization=123456789012 --file=role.yaml" in c
        for c in commands
    )
    assert any("--role=organizations/123456789012/roles/a.b_c" in c for c in commands)
    assert yaml.safe_load(text)["includedPermissions"] == list(PERMISSIONS)


def test_json_is_the_same_role_as_the_library_policy() -> None:
    role = json.loads(document())
    assert role == GcpProvider.from_settings({}).permission_policy()
    assert set(role) == ROLE_KEYS


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"format": "gcloud", "role_name": "no"}, "3-64"),
        ({"format": "gcloud", "role_name": "x\ny: 1"}, "role id"),
        ({"role_name": "residencyAuditReader"}, "add --format gcloud"),
        ({"format": "cloudformation"}, "it offers json, gcloud"),
        ({"variant": "organization"}, "not offered by the gcp plugin"),
        ({"subscriptions": ("s",)}, "--subscription: does not apply to gcp"),
    ],
)
def test_a_request_that_does_not_fit_is_an_input_error(
    request_: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        document(**request_)
