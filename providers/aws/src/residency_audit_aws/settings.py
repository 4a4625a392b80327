"""The ``[providers.aws]`` settings table, validated without any network call.

Credentials are never settings: they come from the standard boto3 chain (environment, shared
config/credentials files, SSO, instance/container roles), selected by ``profile``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator

from residency_audit.errors import ConfigError
from residency_audit.plugin_settings import (
    Count,
    Flag,
    HttpUrl,
    Number,
    Text,
    parse_table,
)
from residency_audit.validation import StrictModel

from .inventory_settings import InventorySettings, InventoryTable, inventory_settings
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
PREFIX = "providers.aws"

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z]+)+-\d+$")
_ROLE = re.compile(r"^[\w+=,.@/-]{1,64}$")
_ACCOUNTS = "12-digit account ids (as strings)"
_REGIONS = "region codes like 'ap-northeast-1'"


def _account_list(value: Any) -> Any:
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str) and _ACCOUNT.match(v) for v in value
    ):
        raise ValueError(f"must be a list of {_ACCOUNTS}")
    return tuple(value)


def _region_list(value: Any) -> Any:
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str) and _REGION.match(v) for v in value)
    ):
        raise ValueError(f"must be a non-empty list of {_REGIONS}")
    return tuple(value)


def _role_name(value: Any) -> Any:
    if not isinstance(value, str) or not _ROLE.match(value):
        raise ValueError("must be an IAM role name (or path/name)")
    return value.strip("/")


def _partition_name(value: Any) -> Any:
    if value not in known_partitions():
        raise ValueError(f"unknown partition (expected one of {', '.join(known_partitions())})")
    return value


def _partitions_table() -> str:
    return f"must be a table of partitions ({', '.join(known_partitions())})"


Accounts = Annotated[tuple[str, ...], BeforeValidator(_account_list)]
Regions = Annotated[tuple[str, ...], BeforeValidator(_region_list)]
RoleName = Annotated[str, BeforeValidator(_role_name)]
PartitionName = Annotated[str, BeforeValidator(_partition_name)]


class PartitionTable(StrictModel):
    """The keys a ``[providers.aws.partitions.<name>]`` table may override."""

    profile: Text | None = None
    regions: Regions | None = None
    organization: Flag = False
    role_name: RoleName = DEFAULT_ROLE_NAME
    external_id: Text | None = None
    include_accounts: Accounts = ()
    exclude_accounts: Accounts = ()
    endpoint_url: HttpUrl | None = None


class AwsTable(PartitionTable, InventoryTable):
    """The whole ``[providers.aws]`` table."""

    partitions: dict[PartitionName, PartitionTable | None] | None = None
    max_workers: Annotated[Count, Field(ge=1, le=128)] = 32
    max_requests_per_second: Annotated[Number, Field(gt=0)] | None = None
    retry_mode: Literal["standard", "adaptive"] = "adaptive"
    max_attempts: Annotated[Count, Field(ge=1, le=20)] = 5
    retry_quota: Annotated[Count, Field(ge=14, le=1_000_000)] = 500
    connect_timeout: Annotated[Number, Field(gt=0, le=120)] = 5.0
    read_timeout: Annotated[Number, Field(gt=0, le=300)] = 20.0
    bucket_read_timeout: Annotated[Number, Field(gt=0, le=300)] = 2.0

    @field_validator("partitions", mode="before")
    @classmethod
    def _some(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not value:
            raise ValueError(_partitions_table())
        return value


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


def _own_regions(
    name: str, regions: tuple[str, ...] | None, key: str, inherited: bool
) -> tuple[str, ...] | None:
    if regions is None:
        return None
    own = tuple(r for r in dict.fromkeys(regions) if partition_of(r) == name)
    if inherited:
        # a top-level list serves every partition: each takes its own regions, and one that
        # names none of them reads every region enabled for the account
        return own or None
    foreign = [r for r in regions if partition_of(r) != name]
    if foreign:
        raise ConfigError(f"names regions outside partition {name}: {', '.join(foreign)}", key=key)
    return own


def _partition(
    name: str, table: PartitionTable, key: str, inherited_regions: bool = False
) -> PartitionSettings:
    return PartitionSettings(
        name=name,
        profile=table.profile,
        regions=_own_regions(name, table.regions, f"{key}.regions", inherited_regions),
        organization=table.organization,
        role_name=table.role_name,
        external_id=table.external_id,
        include_accounts=frozenset(table.include_accounts),
        exclude_accounts=frozenset(table.exclude_accounts),
        endpoint_url=table.endpoint_url,
    )


def parse_settings(raw: Mapping[str, Any]) -> AwsSettings:
    """Validate the table; every error names its key (``providers.aws.<key>``).

    A ``[providers.aws.partitions.<name>]`` table inherits the top-level values it does not set.
    """
    top = parse_table(AwsTable, raw, PREFIX)
    partitions: list[PartitionSettings] = []
    if top.partitions is None:
        partitions.append(_partition("aws", top, PREFIX))
    else:
        inherited = {
            k: getattr(top, k) for k in PartitionTable.model_fields if k in top.model_fields_set
        }
        for name, own in top.partitions.items():
            key = f"{PREFIX}.partitions.{name}"
            overrides = own.model_dump(exclude_unset=True) if own is not None else {}
            merged = PartitionTable.model_validate({**inherited, **overrides})
            partitions.append(_partition(name, merged, key, "regions" not in overrides))
    return AwsSettings(
        partitions=tuple(partitions),
        max_workers=top.max_workers,
        max_requests_per_second=top.max_requests_per_second,
        retry_mode=top.retry_mode,
        max_attempts=top.max_attempts,
        retry_quota=top.retry_quota,
        connect_timeout=top.connect_timeout,
        read_timeout=top.read_timeout,
        bucket_read_timeout=top.bucket_read_timeout,
        inventory=inventory_settings(top, PREFIX),
    )
