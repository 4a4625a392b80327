"""The only module that talks to Google Cloud: Cloud Storage and Cloud Resource Manager.

Everything returned is plain API-shaped JSON (dicts); SDK objects never leave this module. Every
failure becomes :class:`GcpApiError` carrying the HTTP status (or a short cause) so callers can
record it as a gap or a failed scope. Only read calls exist here: ``buckets.list``,
``buckets.getIamPolicy``, ``buckets.get`` (a destination bucket's location), ``projects.search``,
``folders.search``; the services that copy a bucket are read in :mod:`.copies_client`.

Retries and backoff are the client libraries' own (``google.cloud.storage.retry.DEFAULT_RETRY``;
for Resource Manager, api_core's transient-error predicate), bounded by the ``retry_deadline``
setting, and every attempt by the ``connect_timeout`` and ``timeout`` settings; paging is followed
by their iterators. One exception to their retries: a connection that cannot be opened to an
endpoint that has never answered is final (:class:`EndpointUnreachable`, see
:mod:`residency_audit.reach`), so an unreachable endpoint fails within one connect timeout.

Credentials: anonymous for an emulator endpoint (the caller's choice), only ``credentials_file``
when it is set, else Application Default Credentials -- without the GCE metadata server when an
endpoint is configured (:class:`CredentialSource`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import google.auth
import requests
import urllib3
from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.auth import _cloud_sdk, environment_vars
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud.storage import Client as StorageClient  # type: ignore[import-untyped]
from google.cloud.storage.retry import DEFAULT_RETRY  # type: ignore[import-untyped]
from google.oauth2 import service_account

from residency_audit.reach import Reached, endpoint_of
from residency_audit.redact import mask_secrets

__all__ = [
    "READ_ONLY_SCOPES",
    "BucketListing",
    "CredentialSource",
    "EndpointUnreachable",
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


class EndpointUnreachable(requests.ConnectionError):
    """A connection to an endpoint that has never answered could not be opened: not retried."""


def _retry_unless_unreachable(base: Callable[[Exception], bool]) -> Callable[[Exception], bool]:
    def predicate(exc: Exception) -> bool:
        return not isinstance(exc, EndpointUnreachable) and base(exc)

    return predicate


# google-cloud-storage's own predicate (retry.py _should_retry), kept but for EndpointUnreachable
_STORAGE_RETRY = DEFAULT_RETRY.with_predicate(_retry_unless_unreachable(DEFAULT_RETRY._predicate))


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
    if isinstance(exc, auth_exceptions.TransportError):  # the token endpoint, not the token
        return GcpApiError("connection", f"{type(exc).__name__}: {exc}")
    if isinstance(exc, auth_exceptions.RefreshError):  # refused: expired, revoked, reauth
        return GcpApiError("credentials-refused", f"{type(exc).__name__}: {exc}")
    if isinstance(exc, auth_exceptions.GoogleAuthError):
        return GcpApiError("credentials", f"{type(exc).__name__}: {exc}")
    if isinstance(exc, EndpointUnreachable):
        return GcpApiError("connection", str(exc))
    if isinstance(exc, requests.RequestException):
        return GcpApiError("connection", type(exc).__name__)
    return GcpApiError("error", f"{type(exc).__name__}: {exc}")


_API_ERRORS = (
    api_exceptions.GoogleAPIError,
    auth_exceptions.GoogleAuthError,
    requests.RequestException,
)


def _application_default(scopes: tuple[str, ...]) -> tuple[Credentials, str | None]:
    """Application Default Credentials from their files only: GOOGLE_APPLICATION_CREDENTIALS,
    else gcloud's application-default file -- google.auth.default's first two steps, without
    the last (asking the GCE metadata server, which waits on 169.254.169.254)."""
    path = os.environ.get(environment_vars.CREDENTIALS) or (
        _cloud_sdk.get_application_default_credentials_path()  # type: ignore[no-untyped-call]
    )
    if not os.path.isfile(path):
        raise auth_exceptions.DefaultCredentialsError(  # type: ignore[no-untyped-call]
            "no GOOGLE_APPLICATION_CREDENTIALS and no application-default credentials file "
            f"({path}); the metadata server is not asked when an endpoint is configured"
        )
    creds, project = google.auth.load_credentials_from_file(  # type: ignore[no-untyped-call]
        path, scopes=list(scopes)
    )
    return creds, project or os.environ.get(environment_vars.PROJECT)


class CredentialSource:
    """Loads credentials once, on first use (never at construction: that may hit the network).

    ``credentials_file`` set: only that file. Else Application Default Credentials, and with
    ``metadata=False`` (an endpoint is configured) without the GCE metadata server."""

    def __init__(self, credentials_file: str | None, *, metadata: bool = True) -> None:
        self._file = credentials_file
        self._metadata = metadata
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
                    elif not self._metadata:
                        self._loaded = _application_default(READ_ONLY_SCOPES)
                    else:
                        creds, project = google.auth.default(scopes=READ_ONLY_SCOPES)
                        self._loaded = (creds, project)
                except (auth_exceptions.GoogleAuthError, OSError, ValueError) as exc:
                    raise GcpApiError("credentials", f"{type(exc).__name__}: {exc}") from exc
            return self._loaded


def _not_connected(exc: requests.ConnectionError) -> bool:
    """Whether the connection was never opened (refused, no such host, connect timeout), as
    opposed to one that broke after it was open."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.ProxyError):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # NewConnectionError (refused, NameResolutionError) is a ConnectTimeoutError in urllib3 2
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError)


class _ObservedAdapter(requests.adapters.HTTPAdapter):
    """Observes every request, keeps the connect timeout apart from the read timeout, and makes
    a failed first contact an EndpointUnreachable."""

    def __init__(
        self, observer: RequestObserver | None, pool: int, reached: Reached, connect: float
    ) -> None:
        self._observer = observer
        self._reached = reached
        self._connect = connect
        super().__init__(pool_connections=pool, pool_maxsize=pool)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        url = str(request.url)
        if self._observer is not None:
            self._observer(str(request.method), url)
        timeout = kwargs.get("timeout")
        if isinstance(timeout, int | float):
            # The client libraries pass one number (60 s, or what is left of the deadline), which
            # requests applies to the connect as well: a dropped SYN would wait all of it.
            timeout = kwargs["timeout"] = (min(self._connect, timeout), timeout)
        try:
            response = super().send(request, *args, **kwargs)
        except requests.ConnectionError as exc:
            if _not_connected(exc) and not self._reached.ever_answered(url):
                within = timeout[0] if isinstance(timeout, tuple) else timeout
                raise EndpointUnreachable(
                    f"cannot connect to {endpoint_of(url)}"
                    + (f" within {within:g} s" if isinstance(within, int | float) else "")
                    + f" ({type(exc).__name__})",
                    request=request,
                ) from exc
            raise
        self._reached.answered(url)
        return response


def _instrument(
    session: requests.Session,
    observer: RequestObserver | None,
    pool: int,
    reached: Reached,
    connect_timeout: float,
) -> None:
    # A pool as large as the worker count: requests' default (10) is smaller, and urllib3 then
    # opens a connection for each read beyond it and drops it after (a new handshake each time).
    adapter = _ObservedAdapter(observer, pool, reached, connect_timeout)
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
        connect_timeout: float,
        reached: Reached,
        observer: RequestObserver | None = None,
    ) -> None:
        self.project = project
        self._timeout = timeout
        self._retry = _STORAGE_RETRY.with_timeout(retry_deadline)
        session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
        _instrument(session, observer, pool, reached, connect_timeout)
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

    def get_bucket(self, bucket: str) -> dict[str, Any]:
        """Another bucket's resource (``projection=noAcl``): where a copy sent to it is held."""
        try:
            found = self._client.bucket(bucket)
            found.reload(projection="noAcl", retry=self._retry, timeout=self._timeout)
        except _API_ERRORS as exc:
            raise _translate(exc) from exc
        return dict(found._properties)

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
        connect_timeout: float,
        reached: Reached,
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
                predicate=_retry_unless_unreachable(api_retry.if_transient_error),
                timeout=retry_deadline,
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
            _instrument(session, observer, 4, reached, connect_timeout)

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
