"""The ``[providers.gcp]`` settings table, validated without any network call."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from residency_audit.inventory_source import DEFAULT_MAX_AGE, parse_max_age
from residency_audit.plugin_settings import SettingsReader

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
_KNOWN_KEYS = frozenset(
    {
        "projects",
        "organization",
        "folder",
        "credentials_file",
        "endpoint",
        "project_endpoints",
        "resource_manager_endpoint",
        # the services that copy a bucket (copies_client.py): a stub or private endpoint each
        "compute_endpoint",
        "transfer_endpoint",
        "insights_endpoint",
        "max_workers",
        "timeout",
        "retry_deadline",
        "connect_timeout",
        # source = "inventory": Cloud Asset Inventory (asset_source.py)
        "source",
        "max_age",
        "verify_sample",
        "verify_seed",
        "asset_endpoint",
    }
)
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


def _parent(table: SettingsReader, kind: str, name: str) -> str | None:
    value = table.string(name)
    if value is None:
        return None
    ident = value.removeprefix(f"{kind}/")
    if not _NUMERIC_ID.match(ident):
        raise table.error(name, f"must be a numeric id or '{kind}/<id>', got {value!r}")
    return f"{kind}/{ident}"


def _projects(table: SettingsReader) -> tuple[str, ...]:
    value = table.string_list("projects", "project ids") or ()
    for p in value:
        if not _PROJECT_ID.match(p):
            raise table.error("projects", f"{p!r} is not a valid project id")
    if len(set(value)) != len(value):
        raise table.error("projects", "lists a project more than once")
    return value


def _endpoints(table: SettingsReader) -> dict[str, str]:
    endpoints = table.table("project_endpoints", message="must be a table of project id = URL")
    if endpoints is None:
        return {}
    out: dict[str, str] = {}
    for project, value in endpoints.raw.items():
        url = endpoints.url(project) if isinstance(value, str) else None
        if url is None:
            raise table.error("project_endpoints", f"{project}: must be a URL")
        out[project] = url
    return out


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


def parse_settings(raw: Mapping[str, Any]) -> GcpSettings:
    table = SettingsReader(raw, "providers.gcp", _KNOWN_KEYS)
    projects = _projects(table)
    organization = _parent(table, "organizations", "organization")
    folder = _parent(table, "folders", "folder")
    chosen = [
        n
        for n, v in (("projects", projects), ("organization", organization), ("folder", folder))
        if v
    ]
    if len(chosen) > 1:
        raise table.error(
            chosen[1], f"set only one of projects, organization, folder (got {', '.join(chosen)})"
        )
    return GcpSettings(
        projects=projects,
        organization=organization,
        folder=folder,
        credentials_file=table.string("credentials_file"),
        endpoint=table.url("endpoint"),
        project_endpoints=_endpoints(table),
        resource_manager_endpoint=table.url("resource_manager_endpoint"),
        compute_endpoint=table.url("compute_endpoint"),
        transfer_endpoint=table.url("transfer_endpoint"),
        insights_endpoint=table.url("insights_endpoint"),
        max_workers=table.integer("max_workers", DEFAULT_MAX_WORKERS, 1, _MAX_WORKERS_LIMIT),
        timeout=table.number("timeout", DEFAULT_TIMEOUT, high=600),
        retry_deadline=table.number("retry_deadline", DEFAULT_RETRY_DEADLINE, high=3600),
        connect_timeout=table.number("connect_timeout", DEFAULT_CONNECT_TIMEOUT, high=120),
        source=table.choice("source", "live", ("live", "inventory")),
        max_age=_max_age(table),
        verify_sample=table.integer("verify_sample", 0, 0, _VERIFY_LIMIT),
        verify_seed=table.integer("verify_seed", None, 0, 2**63 - 1),
        asset_endpoint=table.url("asset_endpoint"),
    )
