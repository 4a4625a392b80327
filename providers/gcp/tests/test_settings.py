"""Settings validation: errors name the key; building the provider makes no network call."""

from __future__ import annotations

import json
from typing import Any

import pytest

from residency_audit.errors import ConfigError
from residency_audit.plugins import load_provider_class
from residency_audit_gcp import GcpProvider
from residency_audit_gcp.settings import parse_settings


def test_entry_point_loads_and_defaults_need_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*a: Any, **k: Any) -> None:
        raise AssertionError("network call while building the provider")

    monkeypatch.setattr("socket.socket.connect", no_network)
    monkeypatch.setattr("google.auth.default", no_network)
    cls = load_provider_class("gcp")
    provider = cls.from_settings({})
    policy = provider.permission_policy()
    json.dumps(policy)  # the CLI prints it as JSON
    assert set(policy["includedPermissions"]) == set(provider.required_permissions())


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"projects": "proj-a1"}, "providers.gcp.projects"),
        ({"projects": ["Bad_Project"]}, "providers.gcp.projects"),
        ({"projects": ["proj-a1", "proj-a1"]}, "providers.gcp.projects"),
        ({"projects": ["proj-a1"], "organization": "1"}, "providers.gcp.organization"),
        ({"organization": "acme"}, "providers.gcp.organization"),
        ({"folder": "folders/x"}, "providers.gcp.folder"),
        ({"endpoint": "localhost:9023"}, "providers.gcp.endpoint"),
        ({"project_endpoints": {"p": 3}}, "providers.gcp.project_endpoints"),
        ({"max_workers": 0}, "providers.gcp.max_workers"),
        ({"max_workers": True}, "providers.gcp.max_workers"),
        ({"timeout": 0}, "providers.gcp.timeout"),
        ({"timeout": "5"}, "providers.gcp.timeout"),
        ({"retry_deadline": 7200}, "providers.gcp.retry_deadline"),
        ({"credentials_file": "/nonexistent/key.json"}, "providers.gcp.credentials_file"),
        ({"region": "asia"}, "providers.gcp.region"),
    ],
)
def test_invalid_settings_name_the_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        GcpProvider.from_settings(settings)
    assert err.value.key == key


def test_timeouts_default_to_the_client_libraries_own_and_can_be_shortened() -> None:
    assert GcpProvider.from_settings({}).settings.timeout == 60
    assert GcpProvider.from_settings({}).settings.retry_deadline == 120
    s = GcpProvider.from_settings({"timeout": 2.5, "retry_deadline": 10}).settings
    assert (s.timeout, s.retry_deadline) == (2.5, 10)


def test_parent_ids_are_normalized() -> None:
    assert GcpProvider.from_settings({"organization": "123"}).settings.organization == (
        "organizations/123"
    )
    assert GcpProvider.from_settings({"folder": "folders/9"}).settings.folder == "folders/9"


def test_storage_emulator_host_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    s = GcpProvider.from_settings({"project_endpoints": {"proj-b2": "http://127.0.0.1:8"}}).settings
    assert s.storage_endpoint("proj-a1") == "http://127.0.0.1:9"
    assert s.storage_endpoint("proj-b2") == "http://127.0.0.1:8"


def test_no_project_anywhere_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    with pytest.raises(ConfigError) as err:
        list(GcpProvider.from_settings({}).scopes())
    assert err.value.key == "providers.gcp.projects"


def test_the_copy_services_go_where_cloud_storage_goes_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    # no endpoint at all: Google's own (None), with real credentials
    assert parse_settings({"projects": ["proj-a1"]}).copies_endpoints("proj-a1") == (
        None,
        None,
        None,
    )
    # an emulator for Cloud Storage: never Google's endpoints with anonymous credentials
    local = parse_settings(
        {
            "projects": ["proj-a1"],
            "project_endpoints": {"proj-a1": "http://127.0.0.1:9"},
            "transfer_endpoint": "http://127.0.0.1:8",
        }
    )
    assert local.copies_endpoints("proj-a1") == (
        "http://127.0.0.1:9",
        "http://127.0.0.1:8",
        "http://127.0.0.1:9",
    )
    assert local.has_endpoint


@pytest.mark.parametrize("key", ["compute_endpoint", "transfer_endpoint", "insights_endpoint"])
def test_a_copy_service_endpoint_must_be_a_url(key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings({key: "not a url"})
    assert err.value.key == f"providers.gcp.{key}"
