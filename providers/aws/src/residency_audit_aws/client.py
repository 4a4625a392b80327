"""The only module that talks to boto3/botocore.

It returns plain API-shaped dicts (``ResponseMetadata`` removed) and raises :class:`AwsApiError`
for every failure, carrying the API's error code. It refuses any operation that is not declared in
:mod:`.permissions`, so the plugin cannot call anything the generated IAM policy does not cover.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.exceptions
from botocore import xform_name
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.session import Session as BotocoreSession

from .permissions import ASSUME_ROLE, OPERATIONS
from .ratelimit import RateLimiter
from .settings import AwsSettings, PartitionSettings

__all__ = [
    "AwsAccount",
    "AwsApiError",
    "SessionFactory",
    "assume_role_account",
    "base_account",
]

SessionFactory = Callable[..., boto3.Session]
_MAX_MESSAGE = 300
_HEAD = re.compile(r"(?is)<(title|head|script|style)\b.*?</\1>")
_TAG = re.compile(r"<[^>]*>")
_ACCOUNT_HOST = re.compile(r"^(https?://)\d{12}\.")


class AwsApiError(Exception):
    """An AWS call failed. ``code`` is the API error code (``AccessDenied``, ``NoSuchBucket``,
    ``404``...) or the botocore exception class name for client-side failures."""

    def __init__(
        self,
        service: str,
        operation: str,
        code: str,
        message: str,
        *,
        status: int | None = None,
        bucket_region: str | None = None,
    ) -> None:
        self.service = service
        self.operation = operation
        self.code = code
        self.message = _plain(message)[:_MAX_MESSAGE]
        self.status = status
        self.bucket_region = bucket_region  # x-amz-bucket-region, which S3 sends even on 403
        super().__init__(f"{service}:{operation} failed: {code}: {self.message}")


def _plain(message: str) -> str:
    """An error body that is an HTML page (a proxy, a gateway, an emulator) becomes its text."""
    if "<" not in message:
        return message
    return " ".join(_TAG.sub(" ", _HEAD.sub(" ", message)).split())


def _strip_account_host(request: Any, **_: Any) -> None:
    # botocore's endpoint rules prefix S3 Control hosts with the account id, which a local
    # endpoint (moto_server, an S3-compatible gateway) cannot resolve.
    request.url = _ACCOUNT_HOST.sub(r"\1", request.url)


def _custom_endpoint(partition: PartitionSettings) -> str | None:
    return (
        partition.endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_S3_CONTROL")
        or os.environ.get("AWS_ENDPOINT_URL")
    )


class AwsAccount:
    """Clients for one account in one partition: cached per (service, region), thread-safe.

    Every client shares the account's rate limiter and retry configuration (botocore's own
    standard/adaptive retry modes; no retry loop of ours).
    """

    def __init__(
        self,
        session: boto3.Session,
        partition: PartitionSettings,
        settings: AwsSettings,
        *,
        account_id: str | None = None,
    ) -> None:
        self.session = session
        self.partition = partition
        self.account_id = account_id
        self._settings = settings
        self._limiter = (
            RateLimiter(settings.max_requests_per_second)
            if settings.max_requests_per_second
            else None
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _config(self, service: str) -> Config:
        # Connection pool sized to the worker pools (per-bucket workers + regional prefetch).
        kwargs: dict[str, Any] = {
            "retries": {
                "mode": self._settings.retry_mode,
                "max_attempts": self._settings.max_attempts,
            },
            "max_pool_connections": self._settings.max_workers * 2 + 2,
            "connect_timeout": 10,
            "read_timeout": 60,
            "user_agent_extra": "residency-audit",
        }
        if service == "s3" and _custom_endpoint(self.partition):
            kwargs["s3"] = {"addressing_style": "path"}
        return Config(**kwargs)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:  # boto3 sessions are not thread-safe for client creation
            cached = self._clients.get(key)
            if cached is not None:
                return cached
            kwargs: dict[str, Any] = {"region_name": region, "config": self._config(service)}
            if self.partition.endpoint_url:
                kwargs["endpoint_url"] = self.partition.endpoint_url
            client = self.session.client(service, **kwargs)  # type: ignore[call-overload]
            if self._limiter is not None:
                limiter = self._limiter
                client.meta.events.register_first("before-send", lambda **_: limiter.acquire())
            if service == "s3control" and _custom_endpoint(self.partition):
                client.meta.events.register_first("before-send.s3-control", _strip_account_host)
            self._clients[key] = client
            return client

    def call(self, service: str, region: str, operation: str, **params: Any) -> dict[str, Any]:
        """Call one declared operation; return its parsed response without ResponseMetadata."""
        if (service, operation) not in OPERATIONS and (service, operation) != ASSUME_ROLE:
            raise AssertionError(f"{service}:{operation} is not declared in permissions.py")
        client = self.client(service, region)
        try:
            response: dict[str, Any] = getattr(client, xform_name(operation))(**params)
        except botocore.exceptions.ClientError as exc:
            raise _api_error(service, operation, exc) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise AwsApiError(service, operation, type(exc).__name__, str(exc)) from None
        except NotImplementedError as exc:  # an emulator lacking the operation (moto)
            raise AwsApiError(service, operation, "NotImplemented", str(exc)) from None
        response.pop("ResponseMetadata", None)
        return response

    def pages(
        self,
        service: str,
        region: str,
        operation: str,
        *,
        next_param: str = "NextToken",
        next_field: str = "NextToken",
        **params: Any,
    ) -> Iterator[dict[str, Any]]:
        """Follow a continuation token; stop when none comes back (moto's ListBuckets never
        sends one)."""
        token: str | None = None
        while True:
            request = dict(params)
            if token:
                request[next_param] = token
            page = self.call(service, region, operation, **request)
            yield page
            next_token = page.get(next_field)
            if not next_token or next_token == token:
                return
            token = next_token

    def head_bucket_region(self, bucket: str) -> str:
        """The region of a bucket we may not be allowed to read.

        S3 answers HeadBucket with ``x-amz-bucket-region`` on 200, 301 and 403 alike. Raises
        AwsApiError (code ``404``/``NoSuchBucket`` when the bucket does not exist) otherwise.
        """
        client = self.client("s3", self.partition.home_region)
        try:
            response = client.head_bucket(Bucket=bucket)
        except botocore.exceptions.ClientError as exc:
            error = _api_error("s3", "HeadBucket", exc)
            if error.bucket_region:
                return error.bucket_region
            raise error from None
        except botocore.exceptions.BotoCoreError as exc:
            raise AwsApiError("s3", "HeadBucket", type(exc).__name__, str(exc)) from None
        region = response.get("BucketRegion") or _header(response, "x-amz-bucket-region")
        if not region:
            raise AwsApiError("s3", "HeadBucket", "NoRegionHeader", "no x-amz-bucket-region")
        return str(region)


def _header(response: dict[str, Any], name: str) -> str | None:
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    value = headers.get(name)
    return str(value) if value else None


def _api_error(service: str, operation: str, exc: botocore.exceptions.ClientError) -> AwsApiError:
    response: dict[str, Any] = dict(exc.response)
    error = response.get("Error", {})
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return AwsApiError(
        service,
        operation,
        str(error.get("Code") or status or "Unknown"),
        str(error.get("Message") or ""),
        status=int(status) if status else None,
        bucket_region=_header(response, "x-amz-bucket-region"),
    )


def base_account(
    factory: SessionFactory, partition: PartitionSettings, settings: AwsSettings
) -> AwsAccount:
    """The caller's own account, from the standard credential chain (optionally a profile)."""
    try:
        session = factory(profile_name=partition.profile) if partition.profile else factory()
    except botocore.exceptions.BotoCoreError as exc:  # e.g. ProfileNotFound
        raise AwsApiError("sts", "GetCallerIdentity", type(exc).__name__, str(exc)) from None
    return AwsAccount(session, partition, settings)


def assume_role_account(
    base: AwsAccount,
    factory: SessionFactory,
    account_id: str,
    settings: AwsSettings,
) -> AwsAccount:
    """An account reached by assuming the audit role; credentials refresh before they expire.

    The first AssumeRole happens here, so a refused role fails now (as AwsApiError).
    """
    partition = base.partition
    role_arn = f"arn:{partition.name}:iam::{account_id}:role/{partition.role_name}"
    params: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": "residency-audit",
        "DurationSeconds": 3600,
    }
    if partition.external_id:
        params["ExternalId"] = partition.external_id

    def fetch() -> dict[str, str]:
        creds = base.call("sts", partition.home_region, "AssumeRole", **params)["Credentials"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
    )
    botocore_session = BotocoreSession()
    # Share the parsed service models: loading them again per account costs seconds (EC2's alone
    # is megabytes of JSON) in an organisation with many accounts.
    loader = base.session._session.get_component("data_loader")
    botocore_session.register_component("data_loader", loader)
    # botocore has no public setter for refreshable credentials; this is the common idiom
    botocore_session._credentials = credentials  # type: ignore[attr-defined]
    session = factory(botocore_session=botocore_session)
    return AwsAccount(session, partition, settings, account_id=account_id)
