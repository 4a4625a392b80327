"""Cloud Asset Inventory v1 ``assets.list`` over REST: the inventory source's only network reads.

Plain REST through google-auth's ``AuthorizedSession`` (as :mod:`.client` reads Cloud Storage),
not ``google-cloud-asset``: the answer stays the API's own JSON (proto-plus would turn
``resource.data`` into a Struct and every number into a float), no new dependency enters the
plugin, and the same request observer, connect timeout and first-contact rule
(:class:`.client.EndpointUnreachable`) apply. Transient errors (429, 5xx, a broken connection)
are retried with api_core's backoff within the ``retry_deadline`` setting.

Every failure becomes :class:`.client.GcpApiError`; only GET requests exist here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession

from residency_audit.reach import Reached

from .client import _API_ERRORS, RequestObserver, _instrument, _retry_unless_unreachable, _translate

__all__ = [
    "BUCKET_TYPE",
    "DEFAULT_ENDPOINT",
    "PAGE_SIZE",
    "PROJECT_TYPE",
    "AssetReader",
]

DEFAULT_ENDPOINT = "https://cloudasset.googleapis.com"
BUCKET_TYPE = "storage.googleapis.com/Bucket"
PROJECT_TYPE = "cloudresourcemanager.googleapis.com/Project"
# assets.list's largest page (ListAssetsRequest.page_size: "maximum 1000")
PAGE_SIZE = 1000


class AssetReader:
    """``GET /v1/{parent}/assets`` pages for one organisation, folder or project."""

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
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._base = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
        self._timeout = timeout
        self._page_size = page_size
        self._retry = api_retry.Retry(
            predicate=_retry_unless_unreachable(api_retry.if_transient_error),
            timeout=retry_deadline,
        )
        self._session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
        _instrument(self._session, observer, 4, reached, connect_timeout)

    def pages(self, parent: str, asset_type: str, content_type: str) -> Iterator[dict[str, Any]]:
        """Each ListAssetsResponse (``assets``, ``readTime``, ``nextPageToken``) in turn, until
        the last page. A failing page raises GcpApiError (the pages before it were yielded)."""
        token: str | None = None
        while True:
            params = {
                "assetTypes": asset_type,
                "contentType": content_type,
                "pageSize": str(self._page_size),
            }
            if token:
                params["pageToken"] = token
            try:
                page = self._retry(self._get)(f"{self._base}/v1/{parent}/assets", params)
            except _API_ERRORS as exc:
                raise _translate(exc) from exc
            yield page
            token = page.get("nextPageToken") or None
            if token is None:
                return

    def _get(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        response = self._session.get(url, params=params, timeout=self._timeout)
        if response.status_code >= 400:
            # the google.rpc error body -> the api_core exception (retried when transient)
            raise api_exceptions.from_http_response(response)  # type: ignore[no-untyped-call]
        body = response.json()
        if not isinstance(body, dict):
            raise api_exceptions.GoogleAPIError("assets.list did not answer a JSON object")
        return body

    def close(self) -> None:
        self._session.close()  # type: ignore[no-untyped-call]
