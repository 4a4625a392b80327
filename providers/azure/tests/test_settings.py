"""Settings validation and the no-network construction the CLI's `permissions` command relies on."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from residency_audit.errors import ConfigError
from residency_audit.plugins import load_provider_class
from residency_audit_azure import AzureProvider
from residency_audit_azure.permissions import ACTIONS
from residency_audit_azure.settings import parse_settings


def test_provider_is_registered_under_azure() -> None:
    assert load_provider_class("azure") is AzureProvider


def test_from_empty_settings_makes_no_network_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network call during construction")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    provider = AzureProvider.from_settings({})
    policy = provider.permission_policy()
    assert policy["Actions"] == list(ACTIONS)
    assert policy["DataActions"] == []
    assert policy["AssignableScopes"] == ["/subscriptions/<subscription-id>"]


@pytest.mark.parametrize(
    ("cloud", "authority", "arm"),
    [
        ("public", "login.microsoftonline.com", "https://management.azure.com"),
        ("china", "login.chinacloudapi.cn", "https://management.chinacloudapi.cn"),
        ("usgov", "login.microsoftonline.us", "https://management.usgovcloudapi.net"),
    ],
)
def test_cloud_selects_authority_and_arm_endpoint(cloud: str, authority: str, arm: str) -> None:
    s = parse_settings({"cloud": cloud})
    assert (s.cloud.authority, s.arm_endpoint, s.credential_scope) == (
        authority,
        arm,
        f"{arm}/.default",
    )


def test_assignable_scopes_follow_the_subscription_list() -> None:
    provider = AzureProvider.from_settings({"subscriptions": ["sub-a", "sub-b", "sub-a"]})
    assert provider.permission_policy()["AssignableScopes"] == [
        "/subscriptions/sub-a",
        "/subscriptions/sub-b",
    ]


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"cloud": "mars"}, "providers.azure.cloud"),
        ({"credential": "password"}, "providers.azure.credential"),
        ({"subscriptions": "abc"}, "providers.azure.subscriptions"),
        ({"subscriptions": ["not a sub/../x"]}, "providers.azure.subscriptions"),
        ({"arm_endpoint": "http://127.0.0.1:1"}, "providers.azure.arm_endpoint"),
        ({"arm_endpoint": "ftp://x"}, "providers.azure.arm_endpoint"),
        ({"max_workers": 0}, "providers.azure.max_workers"),
        ({"max_workers": True}, "providers.azure.max_workers"),
        ({"verify_anonymous": "yes"}, "providers.azure.verify_anonymous"),
        ({"verify_timeout": 0}, "providers.azure.verify_timeout"),
        ({"read_timeout": 0}, "providers.azure.read_timeout"),
        ({"connect_timeout": 500}, "providers.azure.connect_timeout"),
        ({"blob_endpoint": "http://127.0.0.1:1/x"}, "providers.azure.blob_endpoint"),
        ({"subscription": []}, "providers.azure.subscription"),
    ],
)
def test_invalid_settings_name_their_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        AzureProvider.from_settings(raw)
    assert err.value.key == key


def test_bad_connection_string_never_echoes_the_secret() -> None:
    secret = "AccountKey=c2VjcmV0LWtleS1kby1ub3QtcHJpbnQ=;BlobEndpoint=http://x"
    with pytest.raises(ConfigError) as err:
        AzureProvider.from_settings({"connection_string": secret})
    assert "c2VjcmV0" not in str(err.value)
    assert err.value.key == "providers.azure.connection_string"


def test_connection_string_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "RA_TEST_CS", "AccountName=acct1;AccountKey=eA==;BlobEndpoint=http://h/acct1"
    )
    provider = AzureProvider.from_settings({"connection_string_env": "RA_TEST_CS"})
    assert provider.settings.data_plane_only
    assert [s.id for s in provider.scopes()] == ["acct1"]
    monkeypatch.delenv("RA_TEST_CS")
    with pytest.raises(ConfigError) as err:
        AzureProvider.from_settings({"connection_string_env": "RA_TEST_CS"})
    assert err.value.key == "providers.azure.connection_string_env"


def test_timeouts_default_to_bounded_per_attempt_values() -> None:
    default = parse_settings({})
    assert (default.connect_timeout, default.read_timeout) == (5.0, 20.0)
    tuned = parse_settings({"connect_timeout": 2, "read_timeout": 0.5})
    assert (tuned.connect_timeout, tuned.read_timeout) == (2.0, 0.5)
