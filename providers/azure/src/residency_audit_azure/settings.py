"""The ``[providers.azure]`` settings table, validated into a frozen dataclass.

Validation never touches the network and never echoes a secret (connection strings) back in an
error message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from residency_audit.errors import ConfigError

__all__ = ["CLOUDS", "CREDENTIALS", "Cloud", "Settings", "parse_settings"]


@dataclass(frozen=True)
class Cloud:
    name: str
    authority: str  # Microsoft Entra authority host for token requests
    arm_endpoint: str  # Azure Resource Manager endpoint


# Authority and ARM endpoint per sovereign cloud (azure.identity.AzureAuthorityHosts values).
CLOUDS: Mapping[str, Cloud] = {
    "public": Cloud("public", "login.microsoftonline.com", "https://management.azure.com"),
    "china": Cloud("china", "login.chinacloudapi.cn", "https://management.chinacloudapi.cn"),
    "usgov": Cloud("usgov", "login.microsoftonline.us", "https://management.usgovcloudapi.net"),
}

CREDENTIALS = ("default", "cli", "managed-identity", "environment", "anonymous")

_KNOWN_KEYS = frozenset(
    {
        "cloud",
        "subscriptions",
        "credential",
        "client_id",
        "arm_endpoint",
        "verify_anonymous",
        "verify_timeout",
        "blob_endpoint",
        "connection_string",
        "connection_string_env",
        "max_workers",
        "retries",
    }
)
_SUBSCRIPTION_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}$")


@dataclass(frozen=True)
class Settings:
    cloud: Cloud = CLOUDS["public"]
    subscriptions: tuple[str, ...] = ()  # empty = every subscription the identity can see
    credential: str = "default"
    client_id: str | None = None  # user-assigned managed identity
    arm_endpoint: str = CLOUDS["public"].arm_endpoint
    verify_anonymous: bool = False
    verify_timeout: float = 5.0
    blob_endpoint: str | None = None  # template with {account}, overrides primaryEndpoints.blob
    connection_string: str | None = None  # data-plane-only mode (never rendered)
    max_workers: int = 8
    retries: int | None = None  # None = the SDK's own retry policy

    @property
    def data_plane_only(self) -> bool:
        return self.connection_string is not None

    @property
    def credential_scope(self) -> str:
        return self.arm_endpoint.rstrip("/") + "/.default"


def _key(name: str) -> str:
    return f"providers.azure.{name}"


def _str(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("must be a non-empty string", key=_key(name))
    return value.strip()


def _bool(raw: Mapping[str, Any], name: str, default: bool) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise ConfigError("must be true or false", key=_key(name))
    return value


def _int(raw: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"must be an integer from {low} to {high}", key=_key(name))
    return value


def _connection_string(raw: Mapping[str, Any]) -> str | None:
    inline = raw.get("connection_string")
    env_name = _str(raw, "connection_string_env")
    if inline is not None and env_name is not None:
        raise ConfigError(
            "set connection_string or connection_string_env, not both",
            key=_key("connection_string"),
        )
    if env_name is not None:
        value = os.environ.get(env_name)
        if not value:
            raise ConfigError(
                f"environment variable {env_name} is not set", key=_key("connection_string_env")
            )
        inline = value
    if inline is None:
        return None
    # The value is a secret: the message names the problem, never the value.
    if not isinstance(inline, str) or "AccountName=" not in inline:
        raise ConfigError(
            "is not an Azure Storage connection string (no AccountName=)",
            key=_key("connection_string"),
        )
    return inline


def parse_settings(raw: Mapping[str, Any]) -> Settings:
    """Validate the table; every error names its key as ``providers.azure.<key>``."""
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN_KEYS))}",
            key=_key(unknown[0]),
        )
    cloud_name = _str(raw, "cloud") or "public"
    if cloud_name not in CLOUDS:
        raise ConfigError(f"must be one of {', '.join(CLOUDS)}", key=_key("cloud"))
    cloud = CLOUDS[cloud_name]

    subs_raw = raw.get("subscriptions", [])
    if not isinstance(subs_raw, list | tuple) or not all(isinstance(s, str) for s in subs_raw):
        raise ConfigError("must be a list of subscription ids", key=_key("subscriptions"))
    for sub in subs_raw:
        if not _SUBSCRIPTION_ID.match(sub):
            raise ConfigError(f"{sub!r} is not a subscription id", key=_key("subscriptions"))
    subscriptions = tuple(dict.fromkeys(subs_raw))  # de-duplicated, order kept

    credential = _str(raw, "credential") or "default"
    if credential not in CREDENTIALS:
        raise ConfigError(f"must be one of {', '.join(CREDENTIALS)}", key=_key("credential"))

    arm_endpoint = (_str(raw, "arm_endpoint") or cloud.arm_endpoint).rstrip("/")
    if not arm_endpoint.startswith(("https://", "http://")):
        raise ConfigError("must be an http(s) URL", key=_key("arm_endpoint"))
    if arm_endpoint.startswith("http://") and credential != "anonymous":
        # azure-core refuses to send a bearer token over plain http; say so up front.
        raise ConfigError(
            "a plain-http endpoint only works with credential = 'anonymous'",
            key=_key("arm_endpoint"),
        )

    blob_endpoint = _str(raw, "blob_endpoint")
    if blob_endpoint is not None and "{account}" not in blob_endpoint:
        raise ConfigError("must contain the placeholder {account}", key=_key("blob_endpoint"))

    timeout = raw.get("verify_timeout", 5.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 120:
        raise ConfigError("must be a number of seconds from 0 to 120", key=_key("verify_timeout"))

    return Settings(
        cloud=cloud,
        subscriptions=subscriptions,
        credential=credential,
        client_id=_str(raw, "client_id"),
        arm_endpoint=arm_endpoint,
        verify_anonymous=_bool(raw, "verify_anonymous", False),
        verify_timeout=float(timeout),
        blob_endpoint=blob_endpoint,
        connection_string=_connection_string(raw),
        max_workers=_int(raw, "max_workers", 1, 64) or 8,
        retries=_int(raw, "retries", 0, 20),
    )
