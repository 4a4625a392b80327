"""The ``[providers.aws]`` settings table, validated without any network call.

Credentials are never settings: they come from the standard boto3 chain (environment, shared
config/credentials files, SSO, instance/container roles), selected by ``profile``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from residency_audit.plugin_settings import SettingsReader

from .inventory_settings import INVENTORY_KEYS, InventorySettings, inventory_settings
from .partitions import partition, partition_of
from .partitions import partitions as known_partitions

__all__ = [
    "DEFAULT_ROLE_NAME",
    "AwsSettings",
    "PartitionSettings",
    "parse_settings",
    "partition_of",
]

DEFAULT_ROLE_NAME = "ResidencyAuditReadOnly"

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z]+)+-\d+$")
_ROLE = re.compile(r"^[\w+=,.@/-]{1,64}$")
# keys a [providers.aws.partitions.<name>] table may override
_PARTITION_KEYS = frozenset(
    {
        "profile",
        "regions",
        "organization",
        "role_name",
        "external_id",
        "include_accounts",
        "exclude_accounts",
        "endpoint_url",
    }
)
_TOP_KEYS = _PARTITION_KEYS | {
    "partitions",
    "max_workers",
    "max_requests_per_second",
    "retry_mode",
    "max_attempts",
    "retry_quota",
    "connect_timeout",
    "read_timeout",
    "bucket_read_timeout",
    *INVENTORY_KEYS,  # source = "inventory": inventory_settings.py
}


@dataclass(frozen=True)
class PartitionSettings:
    name: str  # a botocore partition: aws, aws-cn, aws-us-gov, aws-iso*, aws-eusc ...
    profile: str | None
    regions: tuple[str, ...] | None  # None = every region enabled for the account
    organization: bool
    role_name: str
    external_id: str | None
    include_accounts: frozenset[str]
    exclude_accounts: frozenset[str]
    endpoint_url: str | None

    @property
    def home_region(self) -> str:
        """Where global/control-plane calls (STS, Organizations, S3 Control) go: botocore's
        ``implicitGlobalRegion`` of the partition."""
        return partition(self.name).home_region


@dataclass(frozen=True)
class AwsSettings:
    partitions: tuple[PartitionSettings, ...]
    max_workers: int
    max_requests_per_second: float | None
    retry_mode: str
    max_attempts: int
    retry_quota: int = 500  # botocore's per-client capacity; refilled by answered calls
    connect_timeout: float = 5.0  # seconds per attempt
    read_timeout: float = 20.0  # seconds per attempt; a stalled read is then retried
    # per-bucket configuration reads on the first pass: a read stalled past this is retried at
    # once, and a bucket whose reads still failed transiently is read again at the end with
    # read_timeout (collector.py), so a stall costs seconds, not read_timeout
    bucket_read_timeout: float = 2.0
    inventory: InventorySettings | None = None  # source = "inventory" (an AWS Config aggregator)

    @property
    def organization(self) -> bool:
        return any(p.organization for p in self.partitions)


_ACCOUNTS = "12-digit account ids (as strings)"
_REGIONS = "region codes like 'ap-northeast-1'"


def _partitions_table() -> str:
    return f"must be a table of partitions ({', '.join(known_partitions())})"


def _accounts(table: SettingsReader, name: str) -> frozenset[str]:
    value = table.string_list(name, _ACCOUNTS) or ()
    if not all(_ACCOUNT.match(v) for v in value):
        raise table.error(name, f"must be a list of {_ACCOUNTS}")
    return frozenset(value)


def _regions(name: str, table: SettingsReader, inherited: bool) -> tuple[str, ...] | None:
    value = table.string_list("regions", _REGIONS, non_empty=True)
    if value is None:
        return None
    if not all(_REGION.match(v) for v in value):
        raise table.error("regions", f"must be a non-empty list of {_REGIONS}")
    own = tuple(r for r in dict.fromkeys(value) if partition_of(r) == name)
    if inherited:
        # a top-level list serves every partition: each takes its own regions, and one that
        # names none of them reads every region enabled for the account
        return own or None
    foreign = [r for r in value if partition_of(r) != name]
    if foreign:
        raise table.error(
            "regions", f"names regions outside partition {name}: {', '.join(foreign)}"
        )
    return own


def _partition(
    name: str, table: SettingsReader, inherited_regions: bool = False
) -> PartitionSettings:
    role_name = table.raw.get("role_name", DEFAULT_ROLE_NAME)
    if not isinstance(role_name, str) or not _ROLE.match(role_name):
        raise table.error("role_name", "must be an IAM role name (or path/name)")
    include = _accounts(table, "include_accounts")
    exclude = _accounts(table, "exclude_accounts")
    return PartitionSettings(
        name=name,
        profile=table.string("profile"),
        regions=_regions(name, table, inherited_regions),
        organization=table.boolean("organization", False),
        role_name=role_name.strip("/"),
        external_id=table.string("external_id"),
        include_accounts=include,
        exclude_accounts=exclude,
        endpoint_url=table.url("endpoint_url"),
    )


def parse_settings(raw: Mapping[str, Any]) -> AwsSettings:
    """Validate the table; every error names its key (``providers.aws.<key>``).

    A ``[providers.aws.partitions.<name>]`` table inherits the top-level values it does not set;
    an error in an inherited value is named under the partition that uses it.
    """
    top = SettingsReader(raw, "providers.aws", _TOP_KEYS)
    tables = top.table("partitions", message=_partitions_table())
    partitions: list[PartitionSettings] = []
    if tables is None:
        partitions.append(_partition("aws", top))
    else:
        if not tables.raw:
            raise top.error("partitions", _partitions_table())
        inherited = {k: v for k, v in raw.items() if k in _PARTITION_KEYS}
        for name in tables.raw:
            if name not in known_partitions():
                raise tables.error(
                    name, f"unknown partition (expected one of {', '.join(known_partitions())})"
                )
            own = tables.table(name)
            overrides = own.raw if own is not None else {}
            # only partition keys are inherited, so an unknown key can only be the table's own
            merged = {**inherited, **overrides}
            reader = SettingsReader(merged, tables.key(name), _PARTITION_KEYS)
            partitions.append(_partition(name, reader, "regions" not in overrides))
    rate = top.number("max_requests_per_second", None)
    retry_mode = top.choice("retry_mode", "adaptive", ("standard", "adaptive"))
    return AwsSettings(
        partitions=tuple(partitions),
        max_workers=top.integer("max_workers", 32, 1, 128),
        max_requests_per_second=rate,
        retry_mode=retry_mode,
        max_attempts=top.integer("max_attempts", 5, 1, 20),
        retry_quota=top.integer("retry_quota", 500, 14, 1_000_000),
        connect_timeout=top.number("connect_timeout", 5.0, high=120),
        read_timeout=top.number("read_timeout", 20.0, high=300),
        bucket_read_timeout=top.number("bucket_read_timeout", 2.0, high=300),
        inventory=inventory_settings(top),
    )
