"""An endpoint that never accepts a connection fails the scan's scope within one connect timeout
(botocore alone would try 5 times: ~33 s at connect_timeout 5); one that has answered before is
retried as botocore would when a connection to it fails."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from residency_audit.model import ScopeStatus
from residency_audit.nettest import blackhole
from residency_audit.scan import collect
from residency_audit_aws import AwsProvider
from residency_audit_aws.client import AwsApiError
from residency_audit_aws.testing import moto_server


class Sends:
    """A session factory that records the URL of every HTTP attempt (retries included)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, **kwargs: Any) -> boto3.Session:
        session = boto3.Session(**kwargs)
        session.events.register("before-send", lambda request, **_: self.urls.append(request.url))
        return session


@pytest.mark.usefixtures("aws_env")
def test_an_unreachable_endpoint_fails_the_scope_within_the_default_connect_timeout() -> None:
    sends = Sends()
    with blackhole() as url:
        provider = AwsProvider.from_settings({"endpoint_url": url}, session_factory=sends)
        started = time.monotonic()
        inventory = collect({"aws": provider})
        elapsed = time.monotonic() - started
    [scope] = inventory.scopes
    assert scope.status is ScopeStatus.FAILED
    assert 4.5 <= elapsed < 9, elapsed  # connect_timeout 5 s, asked once
    assert len(sends.urls) == 1
    assert scope.error == (
        "aws partition aws: cannot identify the caller (sts:GetCallerIdentity "
        f'ConnectTimeoutError: Connect timeout on endpoint URL: "{url}/" within 5 s)'
    )


@pytest.mark.usefixtures("aws_env")
def test_an_endpoint_that_answered_before_is_retried_when_it_stops_answering() -> None:
    sends = Sends()
    settings = {"max_attempts": 3, "retry_mode": "standard"}
    with moto_server() as url:
        provider = AwsProvider.from_settings(
            {**settings, "endpoint_url": url}, session_factory=sends
        )
        provider.scopes()  # sts answered
    account = provider._base(provider.settings.partitions[0])
    sends.urls.clear()
    with pytest.raises(AwsApiError) as caught:  # the server is gone: connections are refused
        account.call("sts", "us-east-1", "GetCallerIdentity")
    assert caught.value.code == "EndpointConnectionError"
    assert len(sends.urls) == 4  # max_attempts counts retries: the first attempt and 3 more
