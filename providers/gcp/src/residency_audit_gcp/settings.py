"""The ``[providers.gcp]`` settings table, validated without any network call."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError

from residency_audit.errors import ConfigError
from residency_audit.inventory_source import DEFAULT_MAX_AGE
from residency_audit.plugin_settings import (
    Count,
    HttpUrl,
    InventoryKeys,
    Number,
    Text,
    parse_table,
)

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_WORKERS",
    "DEFAULT_RETRY_DEADLINE",
    "DEFAULT_TIMEOUT",
    "GcpSettings",
    "parse_settings",
]

# IAM-policy reads in flight per project, sized for latency: a read is one round trip, so at
# ~150 ms to Cloud Storage 32 in flight read ~200 buckets a second. The HTTP connection pool is
# sized to match (client.StorageReader), so every worker keeps a connection of its own.
DEFAULT_MAX_WORKERS = 32
# The client libraries' own defaults: 60 s per attempt (google-cloud-storage, Resource Manager)
# and 120 s of retries in all (google.cloud.storage.retry.DEFAULT_RETRY).
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRY_DEADLINE = 120.0
# Opening a connection takes a round trip; 5 s covers TCP's own SYN retransmissions (1 s, 3 s)
# and is what the AWS and Azure plugins use. The libraries have none apart from ``timeout``.
DEFAULT_CONNECT_TIMEOUT = 5.0
_MAX_WORKERS_LIMIT = 256
# https://cloud.google.com/resource-manager/docs/creating-managing-projects (6-30 chars);
# legacy domain-scoped ids ("example.com:proj") are allowed too.
_PROJECT_ID = re.compile(r"^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_NUMERIC_ID = re.compile(r"^\d+$")
_VERIFY_LIMIT = 100_000


@dataclass(frozen=True)
class GcpSettings:
    projects: tuple[str, ...] = ()
    organization: str | None = None  # "organizations/123"
    folder: str | None = None  # "folders/456"
    credentials_file: str | None = None
    endpoint: str | None = None  # Cloud Storage JSON API endpoint (emulator); anonymous
    project_endpoints: Mapping[str, str] = field(default_factory=dict)  # per-project endpoint
    resource_manager_endpoint: str | None = None  # Cloud Resource Manager REST endpoint
    compute_endpoint: str | None = None  # Compute Engine REST endpoint (Cloud CDN backends)
    transfer_endpoint: str | None = None  # Storage Transfer Service REST endpoint
    insights_endpoint: str | None = None  # Storage Insights REST endpoint
    max_workers: int = DEFAULT_MAX_WORKERS
    timeout: float = DEFAULT_TIMEOUT  # seconds per HTTP attempt (a stalled answer then fails)
    retry_deadline: float = DEFAULT_RETRY_DEADLINE  # seconds of retries per read, in all
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT  # seconds to open a connection
    source: str = "live"  # "live" (Cloud Storage) or "inventory" (Cloud Asset Inventory)
    max_age: timedelta = DEFAULT_MAX_AGE  # an inventory record older than this is read live
    verify_sample: int = 0  # buckets per inventory read also read live and compared
    verify_seed: int | None = None
    asset_endpoint: str | None = None  # Cloud Asset Inventory REST endpoint (a stub); anonymous

    @property
    def has_endpoint(self) -> bool:
        """An endpoint is configured (an emulator, a private endpoint): the user said where to
        go, so the GCE metadata server is never asked for credentials."""
        return bool(
            self.endpoint
            or self.project_endpoints
            or self.resource_manager_endpoint
            or self.asset_endpoint
            or self.compute_endpoint
            or self.transfer_endpoint
            or self.insights_endpoint
            or os.environ.get("STORAGE_EMULATOR_HOST")
        )

    def storage_endpoint(self, project: str) -> str | None:
        """The endpoint for one project: per-project override, setting, STORAGE_EMULATOR_HOST."""
        return (
            self.project_endpoints.get(project)
            or self.endpoint
            or os.environ.get("STORAGE_EMULATOR_HOST")
            or None
        )

    def copies_endpoints(self, project: str) -> tuple[str | None, str | None, str | None]:
        """(Compute, Storage Transfer, Storage Insights) endpoints for one project. Unset, each
        is the project's Cloud Storage endpoint when that is an emulator: a local setup serves
        them all (``testing.serve_emulator`` does), and a scan that talks to an emulator
        anonymously never sends those reads to Google. None: Google's own endpoint."""
        local = self.storage_endpoint(project)
        return (
            self.compute_endpoint or local,
            self.transfer_endpoint or local,
            self.insights_endpoint or local,
        )


PREFIX = "providers.gcp"


def _parent(kind: str) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"must be a numeric id or '{kind}/<id>'")
        ident = value.strip().removeprefix(f"{kind}/")
        if not _NUMERIC_ID.match(ident):
            raise ValueError(f"must be a numeric id or '{kind}/<id>', got {value!r}")
        return f"{kind}/{ident}"

    return BeforeValidator(check)


def _projects(value: Any) -> Any:
    if not isinstance(value, list | tuple) or not all(isinstance(p, str) for p in value):
        raise ValueError("must be a list of project ids")
    for p in value:
        if not _PROJECT_ID.match(p):
            raise ValueError(f"{p!r} is not a valid project id")
    if len(set(value)) != len(value):
        raise ValueError("lists a project more than once")
    return tuple(value)


_URL: TypeAdapter[str] = TypeAdapter(HttpUrl)


def _endpoints(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("must be a table of project id = URL")
    out: dict[str, str] = {}
    for project, url in value.items():
        try:
            out[project] = _URL.validate_python(url)
        except ValidationError:
            raise ValueError(f"{project}: must be a URL") from None
    return out


class GcpTable(InventoryKeys):
    """The ``[providers.gcp]`` table."""

    projects: Annotated[tuple[str, ...], BeforeValidator(_projects)] = ()
    organization: Annotated[str, _parent("organizations")] | None = None
    folder: Annotated[str, _parent("folders")] | None = None
    credentials_file: Text | None = None
    endpoint: HttpUrl | None = None
    project_endpoints: Annotated[dict[str, str], BeforeValidator(_endpoints)] = Field(
        default_factory=dict
    )
    resource_manager_endpoint: HttpUrl | None = None
    # the services that copy a bucket (copies_client.py): a stub or private endpoint each
    compute_endpoint: HttpUrl | None = None
    transfer_endpoint: HttpUrl | None = None
    insights_endpoint: HttpUrl | None = None
    max_workers: Annotated[Count, Field(ge=1, le=_MAX_WORKERS_LIMIT)] = DEFAULT_MAX_WORKERS
    timeout: Annotated[Number, Field(gt=0, le=600)] = DEFAULT_TIMEOUT
    retry_deadline: Annotated[Number, Field(gt=0, le=3600)] = DEFAULT_RETRY_DEADLINE
    connect_timeout: Annotated[Number, Field(gt=0, le=120)] = DEFAULT_CONNECT_TIMEOUT
    # source = "inventory": Cloud Asset Inventory (asset_source.py)
    asset_endpoint: HttpUrl | None = None


def parse_settings(raw: Mapping[str, Any]) -> GcpSettings:
    table = parse_table(GcpTable, raw, PREFIX)
    chosen = [
        n
        for n, v in (
            ("projects", table.projects),
            ("organization", table.organization),
            ("folder", table.folder),
        )
        if v
    ]
    if len(chosen) > 1:
        raise ConfigError(
            f"set only one of projects, organization, folder (got {', '.join(chosen)})",
            key=f"{PREFIX}.{chosen[1]}",
        )
    if table.verify_sample > _VERIFY_LIMIT:
        raise ConfigError(f"must be at most {_VERIFY_LIMIT}", key=f"{PREFIX}.verify_sample")
    return GcpSettings(
        projects=table.projects,
        organization=table.organization,
        folder=table.folder,
        credentials_file=table.credentials_file,
        endpoint=table.endpoint,
        project_endpoints=table.project_endpoints,
        resource_manager_endpoint=table.resource_manager_endpoint,
        compute_endpoint=table.compute_endpoint,
        transfer_endpoint=table.transfer_endpoint,
        insights_endpoint=table.insights_endpoint,
        max_workers=table.max_workers,
        timeout=table.timeout,
        retry_deadline=table.retry_deadline,
        connect_timeout=table.connect_timeout,
        source=table.source,
        max_age=table.max_age,
        verify_sample=table.verify_sample,
        verify_seed=table.verify_seed,
        asset_endpoint=table.asset_endpoint,
    )
