"""The reads of the services that copy a bucket's data elsewhere, over REST with google-auth.

* Compute Engine ``backendBuckets.list`` (``GET /compute/v1/projects/P/global/backendBuckets``):
  Cloud CDN serves a bucket through a global backend bucket (regional backend buckets have no
  Cloud CDN).
* Storage Transfer Service ``transferJobs.list`` (``GET /v1/transferJobs``), twice: with
  ``filter={"projectId":"P"}`` (required), and with ``"dataBackend":"QUERY_REPLICATION_CONFIGS"``
  added, since the reference says cross-bucket replication jobs are listed only when asked for
  (https://cloud.google.com/storage-transfer/docs/reference/rest/v1/transferJobs/list).
* Storage Insights ``projects.locations.reportConfigs.list``
  (``GET /v1/projects/P/locations/-/reportConfigs``). The reference lists configs "for a given
  location", but its answer carries ``unreachable`` ("Locations that could not be reached"), the
  field of a list across locations (``-``, AIP-159). If ``-`` is refused (400), each location of
  the project's buckets is listed instead: a config lives in its source bucket's location (gcloud
  builds the parent from the source bucket's ``location``).

Each answer is returned as plain API JSON, every page followed. There are no client libraries in
the plugin's dependencies for these APIs, so the same ``AuthorizedSession`` and request observer
as the other readers carry them, with api_core's transient-error retry (429, 5xx) bounded by the
``retry_deadline`` setting. A failure is :class:`~.client.GcpApiError`; an API that is not enabled
in the project answers 403 with ``ErrorInfo.reason`` ``SERVICE_DISABLED``, which becomes the code
``SERVICE_DISABLED`` (see :mod:`.copies` for why that is a gap, not "none").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession

from residency_audit.reach import Reached

from .client import (
    _API_ERRORS,
    GcpApiError,
    RequestObserver,
    _instrument,
    _retry_unless_unreachable,
    _translate,
)

__all__ = ["SERVICE_DISABLED", "CopyServicesReader", "Listing"]

SERVICE_DISABLED = "SERVICE_DISABLED"
_COMPUTE = "https://compute.googleapis.com"
_TRANSFER = "https://storagetransfer.googleapis.com"
_INSIGHTS = "https://storageinsights.googleapis.com"
_REPLICATION = {"dataBackend": "QUERY_REPLICATION_CONFIGS"}


@dataclass(frozen=True)
class Listing:
    items: list[dict[str, Any]]
    unreachable: tuple[str, ...] = ()  # locations the list could not read (Storage Insights)


class CopyServicesReader:
    """The three lists for one project. ``endpoints``: (Compute, Storage Transfer, Storage
    Insights), None for Google's own."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        endpoints: tuple[str | None, str | None, str | None],
        timeout: float,
        retry_deadline: float,
        connect_timeout: float,
        reached: Reached,
        observer: RequestObserver | None = None,
    ) -> None:
        compute, transfer, insights = endpoints
        self._compute = (compute or _COMPUTE).rstrip("/")
        self._transfer = (transfer or _TRANSFER).rstrip("/")
        self._insights = (insights or _INSIGHTS).rstrip("/")
        self._timeout = timeout
        self._retry = api_retry.Retry(
            predicate=_retry_unless_unreachable(api_retry.if_transient_error),
            timeout=retry_deadline,
        )
        self._session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
        _instrument(self._session, observer, 4, reached, connect_timeout)

    def backend_buckets(self, project: str) -> Listing:
        url = f"{self._compute}/compute/v1/projects/{project}/global/backendBuckets"
        return self._pages(url, {"maxResults": "500"}, "items")

    def transfer_jobs(self, project: str) -> Listing:
        """The project's transfer jobs, then its cross-bucket replication jobs."""
        url = f"{self._transfer}/v1/transferJobs"
        found: list[dict[str, Any]] = []
        names: set[Any] = set()
        for query in ({"projectId": project}, {"projectId": project, **_REPLICATION}):
            text = json.dumps(query, separators=(",", ":"))  # "without spaces", as it asks
            for job in self._pages(url, {"filter": text, "pageSize": "256"}, "transferJobs").items:
                if job.get("name") is None or job.get("name") not in names:
                    names.add(job.get("name"))
                    found.append(job)
        return Listing(found)

    def report_configs(self, project: str, locations: Sequence[str] = ()) -> Listing:
        """Every location's configs; ``locations``: those to list one by one if ``-`` is
        refused (the project's bucket locations)."""
        base = f"{self._insights}/v1/projects/{project}/locations"
        try:
            return self._pages(f"{base}/-/reportConfigs", {"pageSize": "500"}, "reportConfigs")
        except GcpApiError as exc:
            if exc.code != "400" or not locations:
                raise
        items: list[dict[str, Any]] = []
        unreachable: list[str] = []
        for location in locations:
            listing = self._pages(
                f"{base}/{location}/reportConfigs", {"pageSize": "500"}, "reportConfigs"
            )
            items += listing.items
            unreachable += listing.unreachable
        return Listing(items, tuple(unreachable))

    def close(self) -> None:
        self._session.close()  # type: ignore[no-untyped-call]

    def _pages(self, url: str, params: dict[str, str], key: str) -> Listing:
        items: list[dict[str, Any]] = []
        unreachable: list[str] = []
        token: str | None = None
        while True:
            body = self._get(url, {**params, "pageToken": token} if token else params)
            page = body.get(key) or []
            if not isinstance(page, list):
                raise GcpApiError("malformed", f"{key} in the answer is not a list")
            items += [i for i in page if isinstance(i, dict)]
            unreachable += [str(u) for u in body.get("unreachable") or []]
            next_token = body.get("nextPageToken")
            if not next_token:
                return Listing(items, tuple(unreachable))
            token = str(next_token)

    def _get(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            response = self._session.get(url, params=params, timeout=self._timeout)
            if response.status_code >= 400:
                raise api_exceptions.from_http_response(response)  # type: ignore[no-untyped-call]
            body = response.json()
            if not isinstance(body, dict):
                raise GcpApiError("malformed", "the answer is not a JSON object")
            return body

        call: Callable[[], dict[str, Any]] = self._retry(once)
        try:
            return call()
        except api_exceptions.GoogleAPICallError as exc:
            if exc.reason == SERVICE_DISABLED:
                raise GcpApiError(SERVICE_DISABLED, exc.message or "service disabled") from exc
            raise _translate(exc) from exc
        except requests.JSONDecodeError as exc:
            raise GcpApiError("malformed", f"the answer is not JSON: {exc}") from exc
        except _API_ERRORS as exc:
            raise _translate(exc) from exc
