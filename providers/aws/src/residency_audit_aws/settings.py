"""The ``[providers.aws]`` settings table, validated without any network call.

Credentials are never settings: they come from the standard boto3 chain (environment, shared
config/credentials files, SSO, instance/container roles), selected by ``profile``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from residency_audit.errors import ConfigError

__all__ = [
    "DEFAULT_ROLE_NAME",
    "PARTITIONS",
    "AwsSettings",
    "PartitionSettings",
    "parse_settings",
]

# Home region of each partition: where global/control-plane calls (STS, Organizations, S3 Control)
# go, and the region whose endpoint lists the partition's regions.
PARTITIONS: dict[str, str] = {
    "aws": "us-east-1",
    "aws-cn": "cn-north-1",
    "aws-us-gov": "us-gov-west-1",
}
DEFAULT_ROLE_NAME = "ResidencyAuditReadOnly"

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ROLE = re.compile(r"^[\w+=,.@/-]{1,64}$")
_TOP_KEYS = {
    "profile",
    "regions",
    "organization",
    "role_name",
    "external_id",
    "include_accounts",
    "exclude_accounts",
    "partitions",
    "endpoint_url",
    "max_workers",
    "max_requests_per_second",
    "retry_mode",
    "max_attempts",
}
# keys a [providers.aws.partitions.<name>] table may override
_PARTITION_KEYS = {
    "profile",
    "regions",
    "organization",
    "role_name",
    "external_id",
    "include_accounts",
    "exclude_accounts",
    "endpoint_url",
}


@dataclass(frozen=True)
class PartitionSettings:
    name: str  # aws / aws-cn / aws-us-gov
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
        return PARTITIONS[self.name]


@dataclass(frozen=True)
class AwsSettings:
    partitions: tuple[PartitionSettings, ...]
    max_workers: int
    max_requests_per_second: float | None
    retry_mode: str
    max_attempts: int

    @property
    def organization(self) -> bool:
        return any(p.organization for p in self.partitions)


def _key(name: str) -> str:
    return f"providers.aws.{name}"


def _opt_str(raw: Mapping[str, Any], name: str, where: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("must be a non-empty string", key=_key(f"{where}{name}"))
    return value


def _bool(raw: Mapping[str, Any], name: str, where: str, default: bool) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise ConfigError("must be true or false", key=_key(f"{where}{name}"))
    return value


def _accounts(raw: Mapping[str, Any], name: str, where: str) -> frozenset[str] | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, str) and _ACCOUNT.match(v) for v in value
    ):
        raise ConfigError(
            "must be a list of 12-digit account ids (as strings)", key=_key(f"{where}{name}")
        )
    return frozenset(value)


def _regions(raw: Mapping[str, Any], where: str) -> tuple[str, ...] | None:
    value = raw.get("regions")
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and _REGION.match(v) for v in value)
    ):
        raise ConfigError(
            "must be a non-empty list of region codes like 'ap-northeast-1'",
            key=_key(f"{where}regions"),
        )
    return tuple(dict.fromkeys(value))


def _endpoint(raw: Mapping[str, Any], where: str) -> str | None:
    value = _opt_str(raw, "endpoint_url", where)
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError("must be an http(s) URL", key=_key(f"{where}endpoint_url"))
    return value


def _partition(
    name: str, raw: Mapping[str, Any], base: Mapping[str, Any], where: str
) -> PartitionSettings:
    unknown = sorted(set(raw) - _PARTITION_KEYS)
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r}", key=_key(f"{where}{unknown[0]}"))
    merged = {**{k: v for k, v in base.items() if k in _PARTITION_KEYS}, **raw}
    role_name = merged.get("role_name", DEFAULT_ROLE_NAME)
    if not isinstance(role_name, str) or not _ROLE.match(role_name):
        raise ConfigError("must be an IAM role name (or path/name)", key=_key(f"{where}role_name"))
    include = _accounts(merged, "include_accounts", where)
    exclude = _accounts(merged, "exclude_accounts", where) or frozenset()
    return PartitionSettings(
        name=name,
        profile=_opt_str(merged, "profile", where),
        regions=_regions(merged, where),
        organization=_bool(merged, "organization", where, False),
        role_name=role_name.strip("/"),
        external_id=_opt_str(merged, "external_id", where),
        include_accounts=include or frozenset(),
        exclude_accounts=exclude,
        endpoint_url=_endpoint(merged, where),
    )


def _int(raw: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"must be an integer from {low} to {high}", key=_key(name))
    return value


def parse_settings(raw: Mapping[str, Any]) -> AwsSettings:
    """Validate the table; every error names its key (``providers.aws.<key>``)."""
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r}", key=_key(unknown[0]))
    tables = raw.get("partitions")
    partitions: list[PartitionSettings] = []
    if tables is None:
        partitions.append(_partition("aws", {}, raw, ""))
    else:
        if not isinstance(tables, Mapping) or not tables:
            raise ConfigError(
                "must be a table of partitions (aws, aws-cn, aws-us-gov)", key=_key("partitions")
            )
        for name, table in tables.items():
            where = f"partitions.{name}."
            if name not in PARTITIONS:
                raise ConfigError(
                    f"unknown partition (expected one of {', '.join(PARTITIONS)})",
                    key=_key(f"partitions.{name}"),
                )
            if not isinstance(table, Mapping):
                raise ConfigError("must be a table", key=_key(f"partitions.{name}"))
            partitions.append(_partition(name, table, raw, where))
    rate = raw.get("max_requests_per_second")
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0
    ):
        raise ConfigError("must be a positive number", key=_key("max_requests_per_second"))
    retry_mode = raw.get("retry_mode", "standard")
    if retry_mode not in ("standard", "adaptive"):
        raise ConfigError("must be 'standard' or 'adaptive'", key=_key("retry_mode"))
    return AwsSettings(
        partitions=tuple(partitions),
        max_workers=_int(raw, "max_workers", 8, 1, 64),
        max_requests_per_second=float(rate) if rate is not None else None,
        retry_mode=str(retry_mode),
        max_attempts=_int(raw, "max_attempts", 5, 1, 20),
    )
