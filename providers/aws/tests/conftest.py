"""Fixtures for the AWS plugin tests: fake credentials, in-process moto, and a boto3
session factory that records every operation and can make chosen calls fail.

Fault injection: moto enforces no IAM, so "AccessDenied" and "role refused" cannot be produced by
the emulator. A ``before-call`` handler returning ``(http_response, parsed)`` makes botocore skip
the request and treat that as the service's answer; we build ``parsed`` exactly as botocore's S3 /
query parsers do for a real error (same Error/ResponseMetadata shape, headers lower-cased).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

Match = Callable[[dict[str, Any]], bool]


@dataclass
class Fault:
    service: str  # botocore service name, e.g. "s3", "sts"
    operation: str
    match: Match
    code: str
    status: int = 403
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorder:
    """A session factory for ``AwsProvider(session_factory=...)``."""

    faults: list[Fault] = field(default_factory=list)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def operations(self) -> set[tuple[str, str]]:
        return {(service, op) for service, op, _ in self.calls}

    def fail(
        self,
        service: str,
        operation: str,
        code: str,
        match: Match | None = None,
        status: int = 403,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.faults.append(
            Fault(service, operation, match or (lambda _: True), code, status, headers or {})
        )

    def _params(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        context["recorded_params"] = dict(params)
        with self._lock:
            self.calls.append((model.service_model.service_name, model.name, dict(params)))

    def _inject(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        service, operation = model.service_model.service_name, model.name
        params = context.get("recorded_params", {})
        for fault in self.faults:
            if (fault.service, fault.operation) == (service, operation) and fault.match(params):
                headers = {k.lower(): v for k, v in fault.headers.items()}
                parsed = {
                    "Error": {"Code": fault.code, "Message": f"injected {fault.code}"},
                    "ResponseMetadata": {"HTTPStatusCode": fault.status, "HTTPHeaders": headers},
                }
                return AWSResponse("https://injected.invalid/", fault.status, headers, None), parsed
        return None

    def __call__(self, **kwargs: Any) -> boto3.Session:
        session = boto3.Session(**kwargs)
        session.events.register_first("before-parameter-build", self._params)
        session.events.register_first("before-call", self._inject)
        return session


def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials; nothing from the developer's own AWS config leaks in."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL_S3_CONTROL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-not-real")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # we only ask EC2 for regions


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_credentials(monkeypatch)


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
