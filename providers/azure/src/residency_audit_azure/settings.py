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
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from residency_audit.errors import ConfigError
from residency_audit.inventory_source import DEFAULT_MAX_AGE
from residency_audit.plugin_settings import (
    Count,
    Flag,
    HttpUrl,
    InventoryKeys,
    Number,
    Text,
    parse_table,
)

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


PREFIX = "providers.azure"


def _subscriptions(value: Any) -> Any:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of subscription ids")
    for sub in value:
        if not _SUBSCRIPTION_ID.match(sub):
            raise ValueError(f"{sub!r} is not a subscription id")
    return tuple(dict.fromkeys(value))  # de-duplicated, order kept


def _management_group(value: Any) -> Any:
    if not isinstance(value, str) or not _MANAGEMENT_GROUP.match(value.strip()):
        raise ValueError(
            f"{value!r} is not a management group id"
            if isinstance(value, str)
            else "must be a management group id"
        )
    return value.strip()


def _blob_endpoint(value: str) -> str:
    if "{account}" not in value:
        raise ValueError("must contain the placeholder {account}")
    return value


class AzureTable(InventoryKeys):
    """The ``[providers.azure]`` table."""

    cloud: Literal["public", "china", "usgov"] = "public"
    subscriptions: Annotated[tuple[str, ...], BeforeValidator(_subscriptions)] = ()
    credential: Literal["default", "cli", "managed-identity", "environment", "anonymous"] = (
        "default"
    )
    client_id: Text | None = None
    arm_endpoint: HttpUrl | None = None
    verify_anonymous: Flag = False
    verify_timeout: Annotated[Number, Field(gt=0, le=120)] = 5.0
    blob_endpoint: Annotated[Text, AfterValidator(_blob_endpoint)] | None = None
    # a secret: any message about it names the problem, never the value
    connection_string: Any = None
    connection_string_env: Text | None = None
    max_workers: Annotated[Count, Field(ge=1, le=64)] = Settings.max_workers
    retries: Annotated[Count, Field(ge=0, le=20)] | None = None
    connect_timeout: Annotated[Number, Field(gt=0, le=120)] = 5.0
    read_timeout: Annotated[Number, Field(gt=0, le=300)] = 20.0
    # source = "inventory": Azure Resource Graph (graph_source)
    management_group: Annotated[str, BeforeValidator(_management_group)] | None = None


def _error(name: str, message: str) -> ConfigError:
    return ConfigError(message, key=f"{PREFIX}.{name}")


def _connection_string(table: AzureTable) -> str | None:
    inline, env_name = table.connection_string, table.connection_string_env
    if inline is not None and env_name is not None:
        raise _error(
            "connection_string", "set connection_string or connection_string_env, not both"
        )
    if env_name is not None:
        value = os.environ.get(env_name)
        if not value:
            raise _error("connection_string_env", f"environment variable {env_name} is not set")
        inline = value
    if inline is None:
        return None
    # The value is a secret: the message names the problem, never the value.
    if not isinstance(inline, str) or "AccountName=" not in inline:
        raise _error(
            "connection_string", "is not an Azure Storage connection string (no AccountName=)"
        )
    return inline


def parse_settings(raw: Mapping[str, Any]) -> Settings:
    """Validate the table; every error names its key as ``providers.azure.<key>``."""
    table = parse_table(AzureTable, raw, PREFIX)
    cloud = CLOUDS[table.cloud]
    arm_endpoint = table.arm_endpoint or cloud.arm_endpoint
    if arm_endpoint.startswith("http://") and table.credential != "anonymous":
        # azure-core refuses to send a bearer token over plain http; say so up front.
        raise _error(
            "arm_endpoint", "a plain-http endpoint only works with credential = 'anonymous'"
        )
    connection_string = _connection_string(table)
    if table.source == "inventory" and connection_string is not None:
        raise _error("source", "the inventory source needs ARM, not a connection string")
    if table.verify_sample > _VERIFY_LIMIT:
        raise _error("verify_sample", f"must be at most {_VERIFY_LIMIT}")
    group = table.management_group
    if group is not None and table.subscriptions:
        raise _error("management_group", "set subscriptions or management_group, not both")
    if group is not None and table.source != "inventory":
        raise _error("management_group", "is read only with source = 'inventory'")
    return Settings(
        cloud=cloud,
        subscriptions=table.subscriptions,
        credential=table.credential,
        client_id=table.client_id,
        arm_endpoint=arm_endpoint,
        verify_anonymous=table.verify_anonymous,
        verify_timeout=table.verify_timeout,
        blob_endpoint=table.blob_endpoint,
        connection_string=connection_string,
        max_workers=table.max_workers,
        retries=table.retries,
        connect_timeout=table.connect_timeout,
        read_timeout=table.read_timeout,
        source=table.source,
        max_age=table.max_age,
        verify_sample=table.verify_sample,
        verify_seed=table.verify_seed,
        management_group=group,
    )
