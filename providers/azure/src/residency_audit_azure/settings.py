"""The ``[providers.azure]`` settings table, validated into a frozen dataclass.

Validation never touches the network and never echoes a secret (connection strings) back in an
error message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from residency_audit.inventory_source import DEFAULT_MAX_AGE, parse_max_age
from residency_audit.plugin_settings import SettingsReader

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
        "connect_timeout",
        "read_timeout",
        # source = "inventory": Azure Resource Graph (graph_source)
        "source",
        "max_age",
        "verify_sample",
        "verify_seed",
        "management_group",
    }
)
_SUBSCRIPTION_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}$")
# Azure's naming rule for a management group id: up to 90 of these, not ending with a period
_MANAGEMENT_GROUP = re.compile(r"^[A-Za-z0-9_().-]{0,89}[A-Za-z0-9_()-]$")
_VERIFY_LIMIT = 10_000


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
    # accounts read at once per subscription: sized for ARM's distance (a raw 32-thread loop is
    # the benchmark's floor); each SDK client's connection pool is as large (client.arm_transport)
    max_workers: int = 32
    retries: int | None = None  # None = the SDK's own retry policy
    connect_timeout: float = 5.0  # seconds per attempt (the SDK's own default is 300)
    read_timeout: float = 20.0  # seconds per attempt; a stalled read is then retried
    source: str = "live"  # or "inventory": account settings from Azure Resource Graph
    max_age: timedelta = DEFAULT_MAX_AGE  # an older Resource Graph answer is read live again
    verify_sample: int = 0  # accounts read from Resource Graph also read live and compared
    verify_seed: int | None = None
    management_group: str | None = None  # Resource Graph scope instead of the subscriptions

    @property
    def data_plane_only(self) -> bool:
        return self.connection_string is not None

    @property
    def credential_scope(self) -> str:
        return self.arm_endpoint.rstrip("/") + "/.default"


def _connection_string(table: SettingsReader) -> str | None:
    inline = table.raw.get("connection_string")
    env_name = table.string("connection_string_env")
    if inline is not None and env_name is not None:
        raise table.error(
            "connection_string", "set connection_string or connection_string_env, not both"
        )
    if env_name is not None:
        value = os.environ.get(env_name)
        if not value:
            raise table.error(
                "connection_string_env", f"environment variable {env_name} is not set"
            )
        inline = value
    if inline is None:
        return None
    # The value is a secret: the message names the problem, never the value.
    if not isinstance(inline, str) or "AccountName=" not in inline:
        raise table.error(
            "connection_string", "is not an Azure Storage connection string (no AccountName=)"
        )
    return inline


def _max_age(table: SettingsReader) -> timedelta:
    value = table.raw.get("max_age")
    if value is None:
        return DEFAULT_MAX_AGE
    if not isinstance(value, str | int):
        raise table.error("max_age", 'must be a duration such as "24h", "90m" or "2d"')
    try:
        return parse_max_age(value)
    except ValueError as exc:
        raise table.error("max_age", str(exc)) from None


def _management_group(table: SettingsReader, subscriptions: tuple[str, ...]) -> str | None:
    group = table.string("management_group")
    if group is None:
        return None
    if not _MANAGEMENT_GROUP.match(group):
        raise table.error("management_group", f"{group!r} is not a management group id")
    if subscriptions:
        raise table.error("management_group", "set subscriptions or management_group, not both")
    return group


def parse_settings(raw: Mapping[str, Any]) -> Settings:
    """Validate the table; every error names its key as ``providers.azure.<key>``."""
    table = SettingsReader(raw, "providers.azure", _KNOWN_KEYS)
    cloud = CLOUDS[table.choice("cloud", "public", CLOUDS)]

    subs = table.string_list("subscriptions", "subscription ids") or ()
    for sub in subs:
        if not _SUBSCRIPTION_ID.match(sub):
            raise table.error("subscriptions", f"{sub!r} is not a subscription id")
    subscriptions = tuple(dict.fromkeys(subs))  # de-duplicated, order kept

    credential = table.choice("credential", "default", CREDENTIALS)

    arm_endpoint = table.url("arm_endpoint") or cloud.arm_endpoint
    if arm_endpoint.startswith("http://") and credential != "anonymous":
        # azure-core refuses to send a bearer token over plain http; say so up front.
        raise table.error(
            "arm_endpoint", "a plain-http endpoint only works with credential = 'anonymous'"
        )

    blob_endpoint = table.string("blob_endpoint")
    if blob_endpoint is not None and "{account}" not in blob_endpoint:
        raise table.error("blob_endpoint", "must contain the placeholder {account}")

    source = table.choice("source", "live", ("live", "inventory"))
    connection_string = _connection_string(table)
    if source == "inventory" and connection_string is not None:
        raise table.error("source", "the inventory source needs ARM, not a connection string")
    management_group = _management_group(table, subscriptions)
    if management_group is not None and source != "inventory":
        raise table.error("management_group", "is read only with source = 'inventory'")
    return Settings(
        cloud=cloud,
        subscriptions=subscriptions,
        credential=credential,
        client_id=table.string("client_id"),
        arm_endpoint=arm_endpoint,
        verify_anonymous=table.boolean("verify_anonymous", False),
        verify_timeout=table.number("verify_timeout", 5.0, high=120),
        blob_endpoint=blob_endpoint,
        connection_string=connection_string,
        max_workers=table.integer("max_workers", Settings.max_workers, 1, 64),
        retries=table.integer("retries", None, 0, 20),
        connect_timeout=table.number("connect_timeout", 5.0, high=120),
        read_timeout=table.number("read_timeout", 20.0, high=300),
        source=source,
        max_age=_max_age(table),
        verify_sample=table.integer("verify_sample", 0, 0, _VERIFY_LIMIT),
        verify_seed=table.integer("verify_seed", None, 0, 2**63 - 1),
        management_group=management_group,
    )
