"""Credential failures: one line naming the chain boto3 tried and what fixes it; a scan whose only
provider cannot authenticate exits 2 with nothing written; and with an endpoint or static keys
configured the chain never asks the instance metadata service (169.254.169.254)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from residency_audit.cli import cli
from residency_audit.errors import CredentialError
from residency_audit.nettest import blackhole, record_connections
from residency_audit_aws import AwsProvider

from .conftest import Recorder

_CHAIN_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3_CONTROL",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credential anywhere in the chain: no keys, empty config files, no container role."""
    for name in _CHAIN_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1")


@pytest.mark.usefixtures("no_credentials")
def test_no_credentials_with_an_endpoint_names_the_chain_and_never_asks_imds() -> None:
    with blackhole() as url, record_connections() as record:
        provider = AwsProvider.from_settings({"endpoint_url": url})
        with pytest.raises(CredentialError) as caught:
            provider.scopes()
    message = str(caught.value)
    assert message.startswith("aws: no usable credentials found (NoCredentialsError; tried env")
    assert "container role" in message and "instance role" not in message
    assert "`aws configure --profile P`" in message and "[providers.aws] profile" in message
    assert "\n" not in message
    assert record.metadata() == []  # the endpoint was configured: IMDS is never asked
    assert caught.value.detail == "Unable to locate credentials"


@pytest.mark.usefixtures("no_credentials")
def test_without_endpoint_or_keys_the_default_chain_still_asks_imds() -> None:
    """The control: the recorder does see an IMDS probe when nothing was configured."""
    with record_connections() as record:
        provider = AwsProvider.from_settings({})
        with pytest.raises(CredentialError) as caught:
            provider.scopes()
    assert "169.254.169.254" in record.metadata()
    assert "container/instance role" in str(caught.value)


def test_refused_credentials_say_so_and_how_to_renew(moto: None) -> None:
    recorder = Recorder()
    recorder.fail("sts", "GetCallerIdentity", "ExpiredToken", status=403)
    provider = AwsProvider.from_settings({}, session_factory=recorder)
    with pytest.raises(CredentialError) as caught:
        provider.scopes()
    assert str(caught.value) == (
        "aws: the credentials were refused or have expired (ExpiredToken); renew them with "
        "`aws sso login --profile P` or `aws configure --profile P`, "
        "or set [providers.aws] profile"
    )


@pytest.mark.usefixtures("no_credentials")
def test_a_missing_profile_is_named_with_its_fix() -> None:
    provider = AwsProvider.from_settings({"profile": "nope"})
    with pytest.raises(CredentialError) as caught:
        provider.scopes()
    assert str(caught.value).startswith(
        "aws: no usable credentials found (ProfileNotFound; tried profile 'nope' of ~/.aws/config"
    )
    assert "`aws sso login --profile nope`" in str(caught.value)


@pytest.mark.usefixtures("no_credentials", "restore_logging")
def test_scan_with_no_aws_credentials_exits_2_writes_nothing_and_shows_no_sdk_stack(
    tmp_path: Path,
) -> None:
    out = tmp_path / "reports"
    with blackhole() as url:
        runner = CliRunner()
        quiet = runner.invoke(
            cli, ["scan", "--provider", "aws", "--output", str(out)], env={"AWS_ENDPOINT_URL": url}
        )
        verbose = runner.invoke(
            cli,
            ["scan", "--provider", "aws", "--output", str(out), "-v"],
            env={"AWS_ENDPOINT_URL": url},
        )
    assert quiet.exit_code == 2, quiet.output
    lines = quiet.stderr.strip().splitlines()
    assert lines[0].startswith("error: no provider could authenticate")
    assert [line.strip()[:40] for line in lines[1:]] == ["aws: no usable credentials found (NoCred"]
    assert "Traceback" not in quiet.stderr and "botocore" not in quiet.stderr
    assert [p for p in out.rglob("*") if p.is_file()] == []  # no report, no history.db
    # -v adds the SDK's own words, still without a stack
    assert verbose.exit_code == 2
    assert "Unable to locate credentials" in verbose.stderr
    assert "Traceback" not in verbose.stderr


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The CLI configures the root logger; leave it as the next test expects."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
