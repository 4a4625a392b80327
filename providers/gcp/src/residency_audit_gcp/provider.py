"""The Google Cloud provider: scopes are projects, buckets come from one list per project."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, ClassVar

from google.auth.credentials import Credentials

from residency_audit.catalog import load_catalog
from residency_audit.errors import CollectionError, ConfigError, CredentialError
from residency_audit.model import Bucket, CoverageNote
from residency_audit.permission_docs import PermissionRequest
from residency_audit.plugins import Scope
from residency_audit.reach import Reached

from . import normalize
from .asset_client import AssetReader
from .asset_source import AssetSource
from .client import (
    CredentialSource,
    GcpApiError,
    RequestObserver,
    ResourceManagerReader,
    StorageReader,
    anonymous,
)
from .copies_client import CopyServicesReader
from .copies_scan import CopyCollector, ProjectCopies
from .permissions import INVENTORY_PERMISSIONS, PERMISSIONS, custom_role, permission_document
from .settings import GcpSettings, parse_settings

__all__ = ["GcpProvider"]

_IamResult = tuple[dict[str, Any] | None, tuple[str, str] | None]


def _searched(
    search: Callable[[str], Iterator[dict[str, Any]]], parent: str
) -> tuple[list[dict[str, Any]], GcpApiError | None]:
    """The results of one Resource Manager search under ``parent``, and the error that stopped it
    (the pages before a failing one are kept)."""
    found: list[dict[str, Any]] = []
    try:
        for item in search(parent):
            found.append(item)
    except GcpApiError as exc:
        return found, exc
    return found, None


def _catalog_members(code: str) -> tuple[str, ...]:
    # load_catalog() reads its data files on the first call (never at import) and caches them.
    return load_catalog().dual_region_members("gcp", code)


class GcpProvider:
    """Every Cloud Storage bucket in the configured projects (or under an organization/folder)."""

    name: ClassVar[str] = "gcp"
    # `scan --project` (residency_audit.plugins.CommandLineScoped): named projects replace the
    # config's organization or folder
    command_line_settings: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "project": ("projects", "organization", "folder")
    }

    def __init__(self, settings: GcpSettings, *, observer: RequestObserver | None = None) -> None:
        self.settings = settings
        self._observer = observer
        self._credentials = CredentialSource(
            settings.credentials_file, metadata=not settings.has_endpoint
        )
        self._reached = Reached()  # endpoints that have answered (client.EndpointUnreachable)
        # the services that copy a bucket, read once a project; destinations once a scan
        self._copies = CopyCollector(self._copy_services, self._storage_reader, _catalog_members)

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
        if s.source == "inventory":
            return self._inventory_scopes()
        if s.projects:
            return [Scope(self.name, p, p) for p in s.projects]
        parent = s.organization or s.folder
        if parent:
            return list(self._walk(parent))
        return [self._default_project()]

    def _inventory_scopes(self) -> list[Scope]:
        """The projects, as a live scan has them: each listed project is its own Cloud Asset
        Inventory parent (``projects/P``); an organization's or folder's active projects come
        from its Project assets and share one read of its buckets."""
        s = self.settings
        parent = s.organization or s.folder
        if not parent:
            return [
                Scope(self.name, p, p, context={"assets": self._asset_source(f"projects/{p}")})
                for p in (s.projects or (self._default_project().id,))
            ]
        source = self._asset_source(parent)
        try:
            projects = source.projects()
        except CollectionError as exc:
            denied = self._credential_error_of(exc)
            if denied is not None:
                raise denied from exc
            raise
        return [
            Scope(self.name, p.project_id, p.name, context={"assets": source, "number": p.number})
            for p in projects
        ]

    def _asset_source(self, parent: str) -> AssetSource:
        s = self.settings
        assets = AssetReader(
            anonymous() if s.asset_endpoint else self._load_credentials()[0],
            endpoint=s.asset_endpoint,
            timeout=s.timeout,
            retry_deadline=s.retry_deadline,
            connect_timeout=s.connect_timeout,
            reached=self._reached,
            observer=self._observer,
        )
        return AssetSource(
            parent,
            assets,
            self._storage_reader,
            _catalog_members,
            now=lambda: datetime.now(UTC),
            max_age=s.max_age,
            verify_sample=s.verify_sample,
            verify_seed=s.verify_seed,
            workers=s.max_workers,
            copies=self._copies,
        )

    def _credential_error_of(self, exc: CollectionError) -> CredentialError | None:
        cause = exc.__cause__
        return self._credential_error(cause) if isinstance(cause, GcpApiError) else None

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

        Each parent's two searches stand alone: one failing leaves the other's answer in use, and
        the parent becomes a scope of its own whose listing fails (the scan reports it FAILED, so
        the projects it may hide are unverified). Only the root failing both ways, when no scope
        at all can be named, is a CollectionError.
        """
        endpoint = self.settings.resource_manager_endpoint
        reader = ResourceManagerReader(
            anonymous() if endpoint else self._load_credentials()[0],
            endpoint=endpoint,
            timeout=self.settings.timeout,
            retry_deadline=self.settings.retry_deadline,
            connect_timeout=self.settings.connect_timeout,
            reached=self._reached,
            observer=self._observer,
        )
        seen: set[str] = set()
        pending = [root]
        while pending:
            parent = pending.pop(0)
            projects, project_error = _searched(reader.search_projects, parent)
            folders, folder_error = _searched(reader.search_folders, parent)
            if project_error and folder_error and parent == root:
                denied = self._credential_error(project_error)
                if denied is not None:
                    raise denied from project_error
                raise CollectionError(
                    f"gcp: cannot list projects under {parent}: {project_error}",
                    code=project_error.code,
                ) from project_error
            for p in projects:
                pid = p["projectId"]
                if p["state"] == "ACTIVE" and pid not in seen:
                    seen.add(pid)
                    yield Scope(self.name, pid, p["displayName"] or pid, context={"parent": parent})
            failures = [
                f"{what} under {parent}: {err}"
                for what, err in (("projects", project_error), ("folders", folder_error))
                if err is not None
            ]
            if failures:
                error = project_error or folder_error
                yield Scope(
                    self.name,
                    parent,
                    parent,
                    context={"error": "; ".join(failures), "code": error.code if error else None},
                )
            pending += [f["name"] for f in folders if f["state"] == "ACTIVE"]

    # -- buckets ---------------------------------------------------------------------------

    def buckets(self, scope: Scope) -> Iterator[Bucket | CoverageNote]:
        if "error" in scope.context:
            raise CollectionError(
                f"gcp: could not search the projects and folders in {scope.id}: "
                f"{scope.context['error']}",
                code=scope.context.get("code"),
            )
        if "assets" in scope.context:
            source: AssetSource = scope.context["assets"]
            yield from source.buckets(scope.id, scope.context.get("number"))
            return
        reader = self._storage_reader(scope.id)
        try:
            try:
                listing = reader.list_buckets()
            except GcpApiError as exc:
                raise self._credential_error(exc) or CollectionError(
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
            if listing.stopped is not None:
                yield CoverageNote(
                    kind="listing-stopped",
                    detail=f"buckets.list in {scope.id} stopped after {len(listing.items)} "
                    f"bucket(s): {listing.stopped}; the buckets after them are missing",
                    affects_completeness=True,
                    buckets_missing=True,
                )
            copies = self._copies.project(scope.id, listing.items)
            if listing.items:
                copies.read()  # before the IAM reads start, not among them
            yield from self._normalized(scope.id, reader, listing.items, copies)
            yield from copies.notes()
        finally:
            reader.close()

    def _normalized(
        self,
        project: str,
        reader: StorageReader,
        items: list[dict[str, Any]],
        copies: ProjectCopies,
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
                    project,
                    resource,
                    _catalog_members,
                    policy,
                    error,
                    around=copies.around(str(resource.get("name")), resource),
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
            timeout=self.settings.timeout,
            retry_deadline=self.settings.retry_deadline,
            connect_timeout=self.settings.connect_timeout,
            reached=self._reached,
            observer=self._observer,
        )

    def _copy_services(self, project: str) -> CopyServicesReader:
        endpoints = self.settings.copies_endpoints(project)
        return CopyServicesReader(
            anonymous() if all(endpoints) else self._load_credentials()[0],
            endpoints=endpoints,
            timeout=self.settings.timeout,
            retry_deadline=self.settings.retry_deadline,
            connect_timeout=self.settings.connect_timeout,
            reached=self._reached,
            observer=self._observer,
        )

    def _load_credentials(self) -> tuple[Credentials, str | None]:
        """(credentials, default project); unloadable credentials fail the scope."""
        try:
            return self._credentials.get()
        except GcpApiError as exc:
            raise self._credential_error(exc) or CollectionError(
                f"gcp: cannot load credentials: {exc}", code=exc.code
            ) from exc

    def _credential_error(self, exc: GcpApiError) -> CredentialError | None:
        """The one-line CredentialError for a credentials failure (None for any other): what was
        tried and what fixes it; the SDK's words go to ``detail`` (logged at -v)."""
        file = self.settings.credentials_file
        if exc.code == "credentials-refused":
            message = (
                "gcp: the credentials were refused or have expired (RefreshError); run "
                "`gcloud auth application-default login` again, or set "
                "GOOGLE_APPLICATION_CREDENTIALS / [providers.gcp] credentials_file to a "
                "service-account key"
            )
        elif exc.code != "credentials":
            return None
        elif file:
            message = (
                f"gcp: the key in [providers.gcp] credentials_file ({file}) could not be used; "
                "point it at a service-account key JSON (`gcloud iam service-accounts keys "
                "create`), or remove it to use `gcloud auth application-default login`"
            )
        else:
            metadata = "" if self.settings.has_endpoint else ", the GCE metadata server"
            message = (
                "gcp: no usable credentials found (tried GOOGLE_APPLICATION_CREDENTIALS, gcloud "
                f"application-default credentials{metadata}); run `gcloud auth "
                "application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS / "
                "[providers.gcp] credentials_file"
            )
        return CredentialError(message, code=exc.code, detail=exc.message)

    # -- permissions -----------------------------------------------------------------------

    @property
    def _inventory(self) -> bool:
        return self.settings.source == "inventory"

    def required_permissions(self) -> Sequence[str]:
        return INVENTORY_PERMISSIONS if self._inventory else PERMISSIONS

    def permission_policy(self) -> Mapping[str, Any]:
        return custom_role(self._inventory)

    # `residency-audit permissions gcp --format gcloud`
    # (residency_audit.permission_docs.PermissionDocuments)
    permission_variants: ClassVar[Sequence[str]] = ("default",)
    permission_formats: ClassVar[Sequence[str]] = ("json", "gcloud")
    permission_options: ClassVar[frozenset[str]] = frozenset({"role_name"})

    def permission_document(self, request: PermissionRequest) -> str:
        """The custom role as JSON, or as the YAML file ``gcloud iam roles create`` takes (its
        commands name the organization these settings scan, when they scan one)."""
        return permission_document(request, self.settings.organization, self._inventory)
