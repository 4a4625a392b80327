"""Faults between the plugin and moto_server (the fault-injecting proxy): retries that last the
whole scan, stalls cut by the read timeout, and resets retried."""

from __future__ import annotations

import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.retries import standard, throttling

from residency_audit.errors import ConfigError
from residency_audit.faultproxy import FaultProxy, ProxiedRequest
from residency_audit.model import Bucket
from residency_audit_aws import AwsProvider
from residency_audit_aws.client import AwsAccount, AwsApiError
from residency_audit_aws.settings import parse_settings
from residency_audit_aws.testing import moto_server

pytestmark = pytest.mark.emulator
CALLS = 40  # botocore's quota (500 units, 14 a retry) is empty after 35 retried calls


@pytest.fixture
def moto_url(aws_env: None) -> Iterator[str]:
    with moto_server() as url:
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url)
        s3.create_bucket(Bucket="quota-probe")
        yield url


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The retries' sleeps are not what these tests measure: keep them short."""
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda *_: 0)


def _policy_reads(request: ProxiedRequest) -> bool:
    return request.path.endswith("?policy")


def _account(url: str, **settings: object) -> AwsAccount:
    parsed = parse_settings({"endpoint_url": url, "regions": ["us-east-1"], **settings})
    return AwsAccount(boto3.Session(), parsed.partitions[0], parsed)


def test_retried_reads_answered_404_do_not_exhaust_the_retry_quota(
    moto_url: str, no_backoff: None
) -> None:
    # every call: the first attempt gets a 500, the retry the real answer (404 NoSuchBucketPolicy)
    with FaultProxy(moto_url, every=2, faults=("internal",), applies=_policy_reads) as proxy:
        stock = boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=proxy.url,
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )
        stock_codes = []
        for _ in range(CALLS):
            try:
                stock.get_bucket_policy(Bucket="quota-probe")
            except ClientError as exc:
                stock_codes.append(exc.response["Error"]["Code"])
        # botocore's own quota runs dry: the 500s become final at their first attempt
        assert "InternalError" in stock_codes

        account = _account(proxy.url)
        codes = []
        for _ in range(CALLS):
            with pytest.raises(AwsApiError) as caught:
                account.call("s3", "us-east-1", "GetBucketPolicy", Bucket="quota-probe")
            codes.append(caught.value.code)
    assert codes == ["NoSuchBucketPolicy"] * CALLS  # every read got its real answer


def test_a_service_that_keeps_failing_still_stops_the_retries(
    moto_url: str, no_backoff: None
) -> None:
    with FaultProxy(moto_url, rate=1.0, faults=("internal",), applies=_policy_reads) as proxy:
        account = _account(proxy.url, max_attempts=3)
        for _ in range(20):
            with pytest.raises(AwsApiError, match="InternalError"):
                account.call("s3", "us-east-1", "GetBucketPolicy", Bucket="quota-probe")
        attempts = proxy.counts["internal"]
    # 500 units at 14 a retry: 35 retries, then each call is tried once
    assert attempts == 35 + 20


def test_at_default_settings_a_slowdown_slows_the_client_down_and_the_read_still_answers(
    moto_url: str, no_backoff: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    lowered: list[float] = []
    cubic = throttling.CubicCalculator.error_received

    def error_received(self: throttling.CubicCalculator, rate: float, at: float) -> float:
        lowered.append(rate)  # botocore's adaptive mode cutting the client's send rate
        return cubic(self, rate, at)

    monkeypatch.setattr(throttling.CubicCalculator, "error_received", error_received)
    # every call: the first attempt is throttled (503 SlowDown), the retry gets the real answer
    with FaultProxy(moto_url, every=2, faults=("slowdown",), applies=_policy_reads) as proxy:
        account = _account(proxy.url)  # default retry mode
        codes = []
        for _ in range(2):
            with pytest.raises(AwsApiError) as caught:
                account.call("s3", "us-east-1", "GetBucketPolicy", Bucket="quota-probe")
            codes.append(caught.value.code)
        throttled = proxy.counts["slowdown"]
    assert codes == ["NoSuchBucketPolicy"] * 2
    assert throttled == len(lowered) == 2


def test_a_stalled_read_is_retried_after_the_read_timeout(moto_url: str) -> None:
    with FaultProxy(moto_url, every=2, faults=("stall",), stall=30) as proxy:
        account = _account(proxy.url, read_timeout=1)
        start = time.monotonic()
        answer = account.call("s3", "us-east-1", "GetBucketLocation", Bucket="quota-probe")
        elapsed = time.monotonic() - start
        assert proxy.counts["stall"] == 1
    assert "LocationConstraint" in answer
    assert elapsed < 5  # one 1 s timeout and a retry, not the 30 s stall


def _scan_all(proxy: FaultProxy, **settings: object) -> dict[str, Bucket]:
    provider = AwsProvider.from_settings(
        {"endpoint_url": proxy.url, "regions": ["us-east-1"], **settings}
    )
    return {
        b.name: b for s in provider.scopes() for b in provider.buckets(s) if isinstance(b, Bucket)
    }


def test_a_bucket_read_that_stalls_costs_the_short_timeout_and_is_read_again_at_the_end(
    moto_url: str,
) -> None:
    stalled: list[str] = []

    def first_tag_read(request: ProxiedRequest) -> bool:
        if request.path.endswith("?tagging") and not stalled:
            stalled.append(request.path)
            return True
        return False

    with FaultProxy(moto_url, every=1, faults=("stall",), stall=30, applies=first_tag_read) as p:
        start = time.monotonic()
        # one attempt a call, so only the final pass can read what the stall cut off
        buckets = _scan_all(p, max_attempts=1, bucket_read_timeout=0.5, read_timeout=20)
        elapsed = time.monotonic() - start
        assert p.counts["stall"] == 1
    assert list(buckets) == ["quota-probe"]
    assert buckets["quota-probe"].gaps == ()  # the tags were read on the final pass
    assert elapsed < 10  # half a second for the stall, not read_timeout or the 30 s stall


def test_a_read_that_keeps_failing_transiently_is_a_gap_after_the_final_pass(
    moto_url: str, no_backoff: None
) -> None:
    tags = lambda request: request.path.endswith("?tagging")  # noqa: E731
    with FaultProxy(moto_url, every=1, faults=("slowdown",), applies=tags) as proxy:
        buckets = _scan_all(proxy, max_attempts=2)
        assert proxy.counts["slowdown"] == 6  # 1 + 2 retries on each of the two passes
    [gap] = buckets["quota-probe"].gaps
    assert (gap.field, gap.error_code) == ("tags", "SlowDown")


def test_a_reset_connection_is_retried(moto_url: str, no_backoff: None) -> None:
    with FaultProxy(moto_url, every=2, faults=("reset",)) as proxy:
        account = _account(proxy.url)
        for _ in range(3):
            account.call("s3", "us-east-1", "GetBucketLocation", Bucket="quota-probe")
        assert proxy.counts["reset"] == 3


def test_at_20_percent_faults_every_bucket_is_read_in_full(moto_url: str, no_backoff: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_url)
    for i in range(8):
        s3.create_bucket(Bucket=f"faulty-{i}")
    with FaultProxy(moto_url, rate=0.2, faults=("slowdown", "internal", "reset"), seed=3) as proxy:
        # 10 attempts a call: the chance that any of the ~150 calls meets 10 faults in a row is
        # ~1e-5, so the test cannot flake; the benchmark measures the default of 6
        provider = AwsProvider.from_settings(
            {"endpoint_url": proxy.url, "regions": ["us-east-1"], "max_attempts": 9}
        )
        buckets = [
            b for s in provider.scopes() for b in provider.buckets(s) if isinstance(b, Bucket)
        ]
        injected = sum(proxy.counts[f] for f in ("slowdown", "internal", "reset"))
    assert injected > 10  # the faults did happen
    assert sorted(b.name for b in buckets) == sorted(
        ["quota-probe", *(f"faulty-{i}" for i in range(8))]
    )
    assert [g.reason for b in buckets for g in b.gaps] == []  # every setting was read


def test_timeouts_and_quota_are_settings() -> None:
    settings = parse_settings(
        {"connect_timeout": 2, "read_timeout": 7.5, "bucket_read_timeout": 1, "retry_quota": 2000}
    )
    assert (
        settings.connect_timeout,
        settings.read_timeout,
        settings.bucket_read_timeout,
        settings.retry_quota,
    ) == (2.0, 7.5, 1.0, 2000)
    defaults = parse_settings({})
    assert (
        defaults.connect_timeout,
        defaults.read_timeout,
        defaults.bucket_read_timeout,
        defaults.retry_quota,
    ) == (5.0, 20.0, 2.0, 500)
    with pytest.raises(ConfigError, match=r"providers\.aws\.read_timeout"):
        parse_settings({"read_timeout": 0})
    with pytest.raises(ConfigError, match=r"providers\.aws\.retry_quota"):
        parse_settings({"retry_quota": 3})
