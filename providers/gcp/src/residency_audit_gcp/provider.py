"""The Google Cloud provider: scopes are projects, buckets come from one list per project."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from google.auth.credentials import Credentials

from residency_audit.catalog import load_catalog
from residency_audit.errors import CollectionError, ConfigError
from residency_audit.model import Bucket, CoverageNote
from residency_audit.plugins import Scope

from . import normalize
from .client import (
    CredentialSource,
    GcpApiError,
    RequestObserver,
    ResourceManagerReader,
    StorageReader,
    anonymous,
)
from .permissions import PERMISSIONS, custom_role
from .settings import GcpSettings, parse_settings

__all__ = ["GcpProvider"]

_IamResult = tuple[dict[str, Any] | None, tuple[str, str] | None]


def _catalog_members(code: str) -> tuple[str, ...]:
    # load_catalog() reads its data files on the first call (never at import) and caches them.
    return load_catalog().dual_region_members("gcp", code)


class GcpProvider:
    """Every Cloud Storage bucket in the configured projects (or under an organization/folder)."""

    name: ClassVar[str] = "gcp"

    def __init__(self, settings: GcpSettings, *, observer: RequestObserver | None = None) -> None:
        self.settings = settings
        self._observer = observer
        self._credentials = CredentialSource(settings.credentials_file)

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, Any], *, observer: RequestObserver | None = None
    ) -> GcpProvider:
        parsed = parse_settings(settings)
        if parsed.credentials_file and not os.path.isfile(parsed.credentials_file):
            raise ConfigError(
                f"file not found: {parsed.credentials_file}", key="providers.gcp.credentials_file"
            )
        return cls(parsed, observer=observer)

    # -- scopes ----------------------------------------------------------------------------

    def scopes(self) -> Iterable[Scope]:
        s = self.settings
        if s.projects:
            return [Scope(self.name, p, p) for p in s.projects]
        parent = s.organization or s.folder
        if parent:
            return list(self._walk(parent))
        return [self._default_project()]

    def _default_project(self) -> Scope:
        project = os.environ.get("GOOGLE_CLOUD_PROJECT")
        if not project and not self._uses_emulator_only():
            project = self._load_credentials()[1]
        if not project:
            raise ConfigError(
                "no project to scan: set projects, organization or folder "
                "(the credentials name no default project)",
                key="providers.gcp.projects",
            )
        return Scope(self.name, project, project)

    def _walk(self, root: str) -> Iterator[Scope]:
        """Every ACTIVE project under ``root``, through nested folders.

        The root failing means no scope can be named: CollectionError. A sub-folder failing
        becomes a scope of its own whose listing fails, so the scan reports it as FAILED.
        """
        endpoint = self.settings.resource_manager_endpoint
        reader = ResourceManagerReader(
            anonymous() if endpoint else self._load_credentials()[0],
            endpoint=endpoint,
            observer=self._observer,
        )
        seen: set[str] = set()
        pending = [root]
        while pending:
            parent = pending.pop(0)
            try:
                projects = list(reader.search_projects(parent))
                folders = list(reader.search_folders(parent))
            except GcpApiError as exc:
                if parent == root:
                    raise CollectionError(
                        f"gcp: cannot list projects under {parent}: {exc}", code=exc.code
                    ) from exc
                yield Scope(
                    self.name, parent, parent, context={"error": str(exc), "code": exc.code}
                )
                continue
            for p in projects:
                pid = p["projectId"]
                if p["state"] == "ACTIVE" and pid not in seen:
                    seen.add(pid)
                    yield Scope(self.name, pid, p["displayName"] or pid, context={"parent": parent})
            pending += [f["name"] for f in folders if f["state"] == "ACTIVE"]

    # -- buckets ---------------------------------------------------------------------------

    def buckets(self, scope: Scope) -> Iterator[Bucket | CoverageNote]:
        if "error" in scope.context:
            raise CollectionError(
                f"gcp: could not list the projects in {scope.id}: {scope.context['error']}",
                code=scope.context.get("code"),
            )
        reader = self._storage_reader(scope.id)
        try:
            try:
                listing = reader.list_buckets()
            except GcpApiError as exc:
                raise CollectionError(
                    f"gcp: cannot list buckets in project {scope.id}: {exc}", code=exc.code
                ) from exc
            for resource_name in listing.unreachable:
                yield normalize.unreachable_bucket(scope.id, resource_name)
            if listing.unreachable:
                yield CoverageNote(
                    kind="buckets-unreachable",
                    detail=f"{len(listing.unreachable)} bucket(s) in {scope.id} could not be read "
                    "(their location is unavailable)",
                    affects_completeness=True,
                )
            yield from self._normalized(scope.id, reader, listing.items)
        finally:
            reader.close()

    def _normalized(
        self, project: str, reader: StorageReader, items: list[dict[str, Any]]
    ) -> Iterator[Bucket]:
        def read_iam(resource: dict[str, Any]) -> _IamResult:
            try:
                return reader.get_iam_policy(str(resource.get("name"))), None
            except GcpApiError as exc:
                return None, (exc.code, exc.message)

        if not items:
            return
        workers = min(self.settings.max_workers, len(items))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gcp-iam")
        try:
            # map() keeps list order and reads at most `workers` policies at a time.
            for resource, (policy, error) in zip(items, pool.map(read_iam, items), strict=True):
                yield normalize.bucket_from_resource(
                    project, resource, _catalog_members, policy, error
                )
        finally:
            # a consumer that stops early must not wait for every queued IAM read
            pool.shutdown(wait=True, cancel_futures=True)

    def _uses_emulator_only(self) -> bool:
        return bool(self.settings.endpoint or os.environ.get("STORAGE_EMULATOR_HOST"))

    def _storage_reader(self, project: str) -> StorageReader:
        endpoint = self.settings.storage_endpoint(project)
        return StorageReader(
            project,
            anonymous() if endpoint else self._load_credentials()[0],
            endpoint=endpoint,
            pool=self.settings.max_workers,
            observer=self._observer,
        )

    def _load_credentials(self) -> tuple[Credentials, str | None]:
        """(credentials, default project); unloadable credentials fail the scope."""
        try:
            return self._credentials.get()
        except GcpApiError as exc:
            raise CollectionError(f"gcp: cannot load credentials: {exc}", code=exc.code) from exc

    # -- permissions -----------------------------------------------------------------------

    def required_permissions(self) -> Sequence[str]:
        return PERMISSIONS

    def permission_policy(self) -> Mapping[str, Any]:
        return custom_role()
