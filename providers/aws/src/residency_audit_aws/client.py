"""The only module that talks to boto3/botocore.

It returns plain API-shaped dicts (``ResponseMetadata`` removed) and raises :class:`AwsApiError`
for every failure, carrying the API's error code. It refuses any operation that is not declared in
:mod:`.permissions`, so the plugin cannot call anything the generated IAM policy does not cover.

A connection that cannot be opened to an endpoint that has never answered is not retried (see
:mod:`residency_audit.reach`): an unreachable endpoint fails within one ``connect_timeout``. With
an endpoint or static keys configured, the credential chain never asks the instance metadata
service (169.254.169.254).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.exceptions
from botocore import xform_name
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.retries import quota, standard
from botocore.session import Session as BotocoreSession

from residency_audit.reach import Reached
from residency_audit.redact import mask_secrets

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


# What botocore's standard retry mode treats as transient (retries/standard.py: throttling and
# transient error codes, 5xx and 429 statuses, connection and timeout errors by class name): a read
# that still ends on one of these may answer if asked again later.
TRANSIENT_CODES = frozenset(
    {
        "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "Throttling",
        "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "EC2ThrottledException",
        "InternalError", "ServiceUnavailable", "500", "502", "503", "504", "429",
        "ReadTimeoutError", "ConnectTimeoutError", "EndpointConnectionError",
        "ConnectionClosedError", "ProxyConnectionError", "HTTPClientError",
    }
)  # fmt: skip


def is_transient(code: str | None) -> bool:
    return code in TRANSIENT_CODES


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
        self.code = mask_secrets(code)
        # masked before it is cut, here where botocore's text enters our code: an error that
        # quotes the request's headers carries the session token and the SigV4 signature
        self.message = _plain(mask_secrets(message))[:_MAX_MESSAGE]
        self.status = status
        self.bucket_region = bucket_region  # x-amz-bucket-region, which S3 sends even on 403
        super().__init__(f"{service}:{operation} failed: {self.code}: {self.message}")


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


# botocore's failures to open a connection (ConnectionClosedError and ReadTimeoutError come after)
_CONNECT_ERRORS = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ProxyConnectionError,
)


class _FirstContactConditions(standard.StandardRetryConditions):
    """botocore's standard retry conditions, except that a connection that cannot be opened to an
    endpoint that has never answered is final (see residency_audit.reach). botocore asks these
    after every attempt, answered or not, so every answer is seen here."""

    def __init__(self, reached: Reached, max_attempts: int) -> None:
        super().__init__(max_attempts=max_attempts)
        self._reached = reached

    def is_retryable(self, context: Any) -> bool:
        if context.http_response is not None:
            self._reached.answered(str(context.http_response.url))
        error = context.caught_exception
        if isinstance(error, _CONNECT_ERRORS):
            url = error.kwargs.get("endpoint_url") or error.kwargs.get("proxy_url")
            if url and not self._reached.ever_answered(str(url)):
                return False
        return bool(super().is_retryable(context))


_RETRY_SPENT = "residency_audit_retry_spent"  # quota units one call's retries took
_NO_RETRY_REFILL = 1  # what botocore gives back for a call that needed no retry


class _AnsweredCallsRefill(standard.RetryQuotaChecker):
    """botocore's retry quota, refilled by every call the service answered.

    botocore (``retries/standard.py``) takes 14 units (5 for a throttle) of a client's 500 per
    retry and gives them back only when the call ends in a 2xx. For us a 404 (NoSuchBucketPolicy,
    ServerSideEncryptionConfigurationNotFoundError...) or a 403 is a normal answer to a
    configuration read, so in a long scan with transient faults every retried read that ends so
    drains the quota for good; after some minutes (~740 s at 20 % faults) every transient error
    is final at its first attempt. Here a call that ends in any answer botocore would not retry
    gives back everything its retries took (and 1 unit when it needed none, as botocore does for a
    2xx). Only calls that end on a transient failure keep the quota drained, so a service that
    stays down still stops the retries, which is what the quota is for.
    """

    def __init__(self, capacity: int) -> None:
        self._units = quota.RetryQuota(capacity)
        super().__init__(
            self._units, standard.ThrottlingErrorDetector(standard.RetryEventAdapter())
        )
        self._retryable = standard.StandardRetryConditions(max_attempts=sys.maxsize)

    def acquire_retry_quota(self, context: Any) -> bool:
        if not super().acquire_retry_quota(context):
            return False
        request = context.request_context
        request[_RETRY_SPENT] = request.get(_RETRY_SPENT, 0) + request["retry_quota_capacity"]
        return True

    def release_retry_quota(self, context: Any, http_response: Any, **kwargs: Any) -> None:
        # on after-call, the call's final answer; ``context`` is the request context dict
        if http_response is None:
            return
        answer = standard.RetryContext(
            attempt_number=1,
            operation_model=kwargs.get("model"),
            parsed_response=kwargs.get("parsed"),
            http_response=http_response,
            request_context=context,
        )
        if http_response.status_code >= 300 and self._retryable.is_retryable(answer):
            return  # ended on a transient failure: what it took stays taken
        self._units.release(context.get(_RETRY_SPENT, _NO_RETRY_REFILL))


def _install_retry_quota(client: Any, capacity: int, reached: Reached) -> _AnsweredCallsRefill:
    """Swap botocore's standard retry handler on ``client`` for the same handler (same
    conditions but for a never-answering endpoint, same backoff and max attempts) with a quota
    of ``capacity`` units refilled by answered calls. The adaptive mode's client-side rate
    limiter is a separate handler and stays."""
    service = client.meta.service_model.service_id.hyphenize()
    max_attempts = client.meta.config.retries.get(
        "total_max_attempts", standard.DEFAULT_MAX_ATTEMPTS
    )
    refill = _AnsweredCallsRefill(capacity)
    adapter = standard.RetryEventAdapter()
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=_FirstContactConditions(reached, max_attempts),
            retry_backoff=standard.ExponentialBackoff(
                service_name=service,
                throttling_detector=standard.ThrottlingErrorDetector(adapter),
            ),
        ),
        retry_event_adapter=adapter,
        retry_quota=refill,  # type: ignore[arg-type]  # stubs say RetryQuota; botocore passes this
        service_name=service,
    )
    events = client.meta.events
    unique_id = f"retry-config-{service}"  # botocore's own id for its handler
    events.unregister(f"needs-retry.{service}", unique_id=unique_id)
    events.register(f"needs-retry.{service}", handler.needs_retry, unique_id=unique_id)
    events.register(f"after-call.{service}", refill.release_retry_quota)
    return refill


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
        reached: Reached | None = None,
        instance_role: bool = True,
    ) -> None:
        self.session = session
        self.partition = partition
        self.account_id = account_id
        # endpoints that have answered: shared by every account of a partition (and siblings)
        self.reached = reached if reached is not None else Reached()
        self.instance_role = instance_role  # whether the credential chain may ask IMDS
        self._settings = settings
        self._regions: set[str] = set()  # regions a client was made for; shared by siblings
        self._limiter = (
            RateLimiter(settings.max_requests_per_second)
            if settings.max_requests_per_second
            else None
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @property
    def read_timeout(self) -> float:
        return self._settings.read_timeout

    @property
    def connect_timeout(self) -> float:
        return self._settings.connect_timeout

    def regions_read(self) -> list[str]:
        """The regions this account's calls went to so far (a client is made on first use)."""
        with self._lock:
            return sorted(self._regions)

    def with_read_timeout(self, seconds: float) -> AwsAccount:
        """The same account with another read timeout: clients of its own, the same session,
        client lock and request-rate limiter (so the per-account cap still holds exactly)."""
        sibling = copy.copy(self)
        sibling._settings = dataclasses.replace(self._settings, read_timeout=seconds)
        sibling._clients = {}
        return sibling

    def _config(self, service: str) -> Config:
        # Connection pool sized to the worker pools (per-bucket workers + regional prefetch).
        # A configuration read answers in well under a second: a read that has not answered
        # within read_timeout is a stall, retried (botocore counts ReadTimeoutError as
        # transient) instead of holding a worker for a minute.
        kwargs: dict[str, Any] = {
            "retries": {
                "mode": self._settings.retry_mode,
                "max_attempts": self._settings.max_attempts,
            },
            "max_pool_connections": self._settings.max_workers * 2 + 2,
            "connect_timeout": self._settings.connect_timeout,
            "read_timeout": self._settings.read_timeout,
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
            _install_retry_quota(client, self._settings.retry_quota, self.reached)
            self._regions.add(region)
            if self._limiter is not None:
                client.meta.events.register_first("before-send", self._limiter.before_send)
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


def _explicit(partition: PartitionSettings) -> bool:
    """An endpoint (setting or any AWS_ENDPOINT_URL*) or static keys in the environment: the
    user said where to go and with what, so the instance metadata service is never asked."""
    return bool(
        partition.endpoint_url
        or os.environ.get("AWS_ACCESS_KEY_ID")
        or any(name.startswith("AWS_ENDPOINT_URL") and v for name, v in os.environ.items())
    )


def _without_instance_metadata(session: boto3.Session) -> bool:
    """Take botocore's InstanceMetadataProvider (METHOD ``iam-role``) out of the session's
    credential chain; it is asked last, when nothing else gave credentials, and then waits on
    169.254.169.254. A per-session choice: AWS_EC2_METADATA_DISABLED would be process-wide.
    False when the session's chain cannot be changed (a factory's stand-in)."""
    inner = getattr(session, "_session", None)
    if inner is None:
        return False
    resolver = inner.get_component("credential_provider")
    if "iam-role" in [p.METHOD for p in getattr(resolver, "providers", [])]:
        resolver.remove("iam-role")
    return True


def base_account(
    factory: SessionFactory, partition: PartitionSettings, settings: AwsSettings
) -> AwsAccount:
    """The caller's own account, from the standard credential chain (optionally a profile)."""
    try:
        session = factory(profile_name=partition.profile) if partition.profile else factory()
    except botocore.exceptions.BotoCoreError as exc:  # e.g. ProfileNotFound
        raise AwsApiError("sts", "GetCallerIdentity", type(exc).__name__, str(exc)) from None
    instance_role = not (_explicit(partition) and _without_instance_metadata(session))
    return AwsAccount(session, partition, settings, instance_role=instance_role)


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
    return AwsAccount(
        session,
        partition,
        settings,
        account_id=account_id,
        reached=base.reached,
        instance_role=base.instance_role,
    )
