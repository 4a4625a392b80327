"""The ``[providers.gcp]`` settings table, validated without any network call."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from residency_audit.errors import ConfigError

__all__ = ["DEFAULT_MAX_WORKERS", "GcpSettings", "parse_settings"]

DEFAULT_MAX_WORKERS = 16
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
        "max_workers",
    }
)


@dataclass(frozen=True)
class GcpSettings:
    projects: tuple[str, ...] = ()
    organization: str | None = None  # "organizations/123"
    folder: str | None = None  # "folders/456"
    credentials_file: str | None = None
    endpoint: str | None = None  # Cloud Storage JSON API endpoint (emulator); anonymous
    project_endpoints: Mapping[str, str] = field(default_factory=dict)  # per-project endpoint
    resource_manager_endpoint: str | None = None  # Cloud Resource Manager REST endpoint
    max_workers: int = DEFAULT_MAX_WORKERS

    def storage_endpoint(self, project: str) -> str | None:
        """The endpoint for one project: per-project override, setting, STORAGE_EMULATOR_HOST."""
        return (
            self.project_endpoints.get(project)
            or self.endpoint
            or os.environ.get("STORAGE_EMULATOR_HOST")
            or None
        )


def _key(name: str) -> str:
    return f"providers.gcp.{name}"


def _string(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("must be a non-empty string", key=_key(name))
    return value.strip()


def _url(value: str, name: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"must be an http(s) URL, got {value!r}", key=_key(name))
    return value.rstrip("/")


def _parent(value: str | None, kind: str, name: str) -> str | None:
    if value is None:
        return None
    ident = value.removeprefix(f"{kind}/")
    if not _NUMERIC_ID.match(ident):
        raise ConfigError(f"must be a numeric id or '{kind}/<id>', got {value!r}", key=_key(name))
    return f"{kind}/{ident}"


def _projects(raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = raw.get("projects", [])
    if not isinstance(value, list | tuple) or not all(isinstance(p, str) for p in value):
        raise ConfigError("must be a list of project ids", key=_key("projects"))
    for p in value:
        if not _PROJECT_ID.match(p):
            raise ConfigError(f"{p!r} is not a valid project id", key=_key("projects"))
    if len(set(value)) != len(value):
        raise ConfigError("lists a project more than once", key=_key("projects"))
    return tuple(value)


def _endpoints(raw: Mapping[str, Any]) -> dict[str, str]:
    value = raw.get("project_endpoints", {})
    if not isinstance(value, Mapping):
        raise ConfigError("must be a table of project id = URL", key=_key("project_endpoints"))
    out: dict[str, str] = {}
    for project, url in value.items():
        if not isinstance(url, str):
            raise ConfigError(f"{project}: must be a URL", key=_key("project_endpoints"))
        out[str(project)] = _url(url, f"project_endpoints.{project}")
    return out


def _max_workers(raw: Mapping[str, Any]) -> int:
    value = raw.get("max_workers", DEFAULT_MAX_WORKERS)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError("must be an integer", key=_key("max_workers"))
    if not 1 <= value <= _MAX_WORKERS_LIMIT:
        raise ConfigError(f"must be between 1 and {_MAX_WORKERS_LIMIT}", key=_key("max_workers"))
    return value


def parse_settings(raw: Mapping[str, Any]) -> GcpSettings:
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN_KEYS))}",
            key=_key(unknown[0]),
        )
    projects = _projects(raw)
    organization = _parent(_string(raw, "organization"), "organizations", "organization")
    folder = _parent(_string(raw, "folder"), "folders", "folder")
    chosen = [
        n
        for n, v in (("projects", projects), ("organization", organization), ("folder", folder))
        if v
    ]
    if len(chosen) > 1:
        raise ConfigError(
            f"set only one of projects, organization, folder (got {', '.join(chosen)})",
            key=_key(chosen[1]),
        )
    credentials_file = _string(raw, "credentials_file")
    endpoint = _string(raw, "endpoint")
    rm_endpoint = _string(raw, "resource_manager_endpoint")
    return GcpSettings(
        projects=projects,
        organization=organization,
        folder=folder,
        credentials_file=credentials_file,
        endpoint=_url(endpoint, "endpoint") if endpoint else None,
        project_endpoints=_endpoints(raw),
        resource_manager_endpoint=_url(rm_endpoint, "resource_manager_endpoint")
        if rm_endpoint
        else None,
        max_workers=_max_workers(raw),
    )
