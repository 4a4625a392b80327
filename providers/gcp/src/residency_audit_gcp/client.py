"""The only module that talks to Google Cloud: Cloud Storage and Cloud Resource Manager.

Everything returned is plain API-shaped JSON (dicts); SDK objects never leave this module. Every
failure becomes :class:`GcpApiError` carrying the HTTP status (or a short cause) so callers can
record it as a gap or a failed scope. Only read calls exist here: ``buckets.list``,
``buckets.getIamPolicy``, ``projects.search``, ``folders.search``.

Retries and backoff are the client libraries' own (``google.cloud.storage.retry.DEFAULT_RETRY``;
for Resource Manager, api_core's transient-error predicate), bounded by the ``retry_deadline``
setting, and every attempt by the ``timeout`` setting; paging is followed by their iterators.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import google.auth
import requests
from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud.storage import Client as StorageClient  # type: ignore[import-untyped]
from google.cloud.storage.retry import DEFAULT_RETRY  # type: ignore[import-untyped]
from google.oauth2 import service_account

from residency_audit.redact import mask_secrets

__all__ = [
    "READ_ONLY_SCOPES",
    "BucketListing",
    "CredentialSource",
    "GcpApiError",
    "RequestObserver",
    "ResourceManagerReader",
    "StorageReader",
]

# OAuth scopes narrow the token to reads even if the principal could write.
READ_ONLY_SCOPES = (
    "https://www.googleapis.com/auth/devstorage.read_only",
    "https://www.googleapis.com/auth/cloud-platform.read-only",
)

RequestObserver = Callable[[str, str], None]
"""Called with (method, url) before every HTTP request this module sends (tests, audit)."""


class GcpApiError(Exception):
    """A Google API call failed. ``code`` is the HTTP status ("403") or a short cause."""

    def __init__(self, code: str, message: str) -> None:
        # masked here, where the SDK's text enters our code: it may quote a bearer/ya29 token
        self.code = mask_secrets(code)
        self.message = mask_secrets(message)
        super().__init__(f"{self.code}: {self.message}")


def _translate(exc: Exception) -> GcpApiError:
    if isinstance(exc, api_exceptions.GoogleAPICallError):
        code = str(exc.code) if exc.code is not None else "error"
        reason = getattr(exc, "reason", None)
        message = exc.message or type(exc).__name__
        return GcpApiError(code, f"{message} ({reason})" if reason else message)
    if isinstance(exc, api_exceptions.RetryError):
        # say what kept failing (throttling, a timeout ...), not only that retries ran out
        cause = exc.cause
        last = f"; last error: {_translate(cause)}" if isinstance(cause, Exception) else ""
        return GcpApiError("retry-exhausted", f"{exc.message}{last}")
    if isinstance(exc, auth_exceptions.GoogleAuthError):
        return GcpApiError("credentials", f"{type(exc).__name__}: {exc}")
    if isinstance(exc, requests.RequestException):
        return GcpApiError("connection", type(exc).__name__)
    return GcpApiError("error", f"{type(exc).__name__}: {exc}")


_API_ERRORS = (
    api_exceptions.GoogleAPIError,
    auth_exceptions.GoogleAuthError,
    requests.RequestException,
)


class CredentialSource:
    """Loads credentials once, on first use (never at construction: that may hit the network)."""

    def __init__(self, credentials_file: str | None) -> None:
        self._file = credentials_file
        self._lock = threading.Lock()
        self._loaded: tuple[Credentials, str | None] | None = None

    def get(self) -> tuple[Credentials, str | None]:
        """(credentials, default project id or None)."""
        with self._lock:
            if self._loaded is None:
                try:
                    if self._file:
                        sa = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                            self._file, scopes=READ_ONLY_SCOPES
                        )
                        self._loaded = (sa, sa.project_id)
                    else:
                        creds, project = google.auth.default(scopes=READ_ONLY_SCOPES)
                        self._loaded = (creds, project)
                except (auth_exceptions.GoogleAuthError, OSError, ValueError) as exc:
                    raise GcpApiError("credentials", f"{type(exc).__name__}: {exc}") from exc
            return self._loaded


class _ObservedAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, observer: RequestObserver | None, pool: int) -> None:
        self._observer = observer
        super().__init__(pool_connections=pool, pool_maxsize=pool)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        if self._observer is not None:
            self._observer(str(request.method), str(request.url))
        return super().send(request, *args, **kwargs)


def _instrument(session: requests.Session, observer: RequestObserver | None, pool: int) -> None:
    # A pool as large as the worker count: requests' default (10) is smaller, and urllib3 then
    # opens a connection for each read beyond it and drops it after (a new handshake each time).
    adapter = _ObservedAdapter(observer, pool)
    session.mount("https://", adapter)
    session.mount("http://", adapter)


@dataclass(frozen=True)
class BucketListing:
    items: list[dict[str, Any]]
    unreachable: list[str]  # "projects/_/buckets/NAME" the list could not return
    stopped: GcpApiError | None = None  # a later page failed: buckets after it are missing


class StorageReader:
    """Cloud Storage reads for one project. Thread-safe for concurrent ``get_iam_policy``."""

    def __init__(
        self,
        project: str,
        credentials: Credentials,
        *,
        endpoint: str | None,
        pool: int,
        timeout: float,
        retry_deadline: float,
        observer: RequestObserver | None = None,
    ) -> None:
        self.project = project
        self._timeout = timeout
        self._retry = DEFAULT_RETRY.with_timeout(retry_deadline)
        session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
        _instrument(session, observer, pool)
        options = {"api_endpoint": endpoint} if endpoint else None
        self._client = StorageClient(
            project=project, credentials=credentials, _http=session, client_options=options
        )
        # google-cloud-storage >= 3.x fetches each bucket's metadata again in a background thread
        # for tracing attributes whenever a bucket is used; the list already returned it, so the
        # cache (which every SDK call site guards with a truthiness check) is switched off.
        self._client._bucket_metadata_cache = None

    def list_buckets(self) -> BucketListing:
        """Every bucket of the project in one paged ``buckets.list`` with ``projection=full``.

        The first page failing raises; a later page failing returns what was listed, with
        ``stopped`` set (the buckets after it are missing, which the caller must say).
        """
        items: list[dict[str, Any]] = []
        unreachable: list[str] = []
        pages = 0
        try:
            iterator = self._client.list_buckets(
                project=self.project,
                projection="full",
                return_partial_success=True,
                retry=self._retry,
                timeout=self._timeout,
            )
            for page in iterator.pages:
                pages += 1
                # The SDK wraps each resource; keep only the API JSON it was built from.
                items.extend(dict(b._properties) for b in page)
                unreachable.extend(str(u) for u in getattr(page, "unreachable", []) or [])
        except _API_ERRORS as exc:
            if not pages:
                raise _translate(exc) from exc
            return BucketListing(items, unreachable, stopped=_translate(exc))
        return BucketListing(items, unreachable)

    def get_iam_policy(self, bucket: str) -> dict[str, Any]:
        """The bucket's IAM policy, version 3 (so conditional bindings are returned, not hidden)."""
        try:
            policy = self._client.bucket(bucket).get_iam_policy(
                requested_policy_version=3, retry=self._retry, timeout=self._timeout
            )
        except _API_ERRORS as exc:
            raise _translate(exc) from exc
        return dict(policy.to_api_repr())

    def close(self) -> None:
        self._client.close()


class ResourceManagerReader:
    """Cloud Resource Manager v3 searches over REST (so the same request observer sees them)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        endpoint: str | None,
        timeout: float,
        retry_deadline: float,
        observer: RequestObserver | None = None,
    ) -> None:
        # Imported here, not at the top: it is a third of the plugin's import time (proto-plus
        # types, two clients), and a scan of listed projects never searches.
        from google.cloud import resourcemanager_v3

        options = {"api_endpoint": endpoint} if endpoint else None
        # The searches have no default retry: throttling (429) and 5xx are retried like Storage's.
        self._call: dict[str, Any] = {
            "timeout": timeout,
            "retry": api_retry.Retry(
                predicate=api_retry.if_transient_error, timeout=retry_deadline
            ),
        }
        self._projects = resourcemanager_v3.ProjectsClient(
            credentials=credentials, transport="rest", client_options=options
        )
        self._folders = resourcemanager_v3.FoldersClient(
            credentials=credentials, transport="rest", client_options=options
        )
        for client in (self._projects, self._folders):
            # The REST transport keeps its session private; instrumenting it is the only way
            # to observe its requests.
            session = cast(requests.Session, client.transport._session)  # type: ignore[union-attr]
            _instrument(session, observer, 4)

    def search_projects(self, parent: str) -> Iterator[dict[str, Any]]:
        """Projects whose direct parent is ``parent`` (organizations/N or folders/N)."""
        try:
            # Several query fields are OR-ed by the API, so filter state client-side.
            for p in self._projects.search_projects(query=f"parent:{parent}", **self._call):
                yield {
                    "name": p.name,
                    "projectId": p.project_id,
                    "displayName": p.display_name,
                    "parent": p.parent,
                    "state": p.state.name,
                }
        except _API_ERRORS as exc:
            raise _translate(exc) from exc

    def search_folders(self, parent: str) -> Iterator[dict[str, Any]]:
        try:
            for f in self._folders.search_folders(query=f"parent={parent}", **self._call):
                yield {
                    "name": f.name,
                    "displayName": f.display_name,
                    "parent": f.parent,
                    "state": f.state.name,
                }
        except _API_ERRORS as exc:
            raise _translate(exc) from exc


def anonymous() -> Credentials:
    """Credentials for a local emulator endpoint."""
    return AnonymousCredentials()  # type: ignore[no-untyped-call]
