"""`scan --provider aws` with no config file, against moto_server: the SDK's default credentials,
`--account` (other accounts entered through the audit role, no organisation needed), `--region`,
`--aws-profile`, and a config file that the options narrow and override."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from residency_audit.cli import cli
from residency_audit_aws.testing import moto_server

pytestmark = pytest.mark.emulator

CALLER = "123456789012"  # moto's account for any access key it has not issued itself
MEMBER = "111111111111"
ROLE = "ResidencyAuditReadOnly"


@pytest.fixture
def endpoint(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with moto_server() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        yield url


def _member_s3() -> Any:
    """An S3 client in MEMBER, through the role the scan will assume there."""
    sts = boto3.client("sts", region_name="us-east-1")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{MEMBER}:role/{ROLE}", RoleSessionName="seed")[
        "Credentials"
    ]
    return boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _scan(tmp_path: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["scan", *args, "-o", str(out), "--no-history", "-q", "--output-formats", "json"]
    )
    inventory = out / "inventory.json"  # written with the json format
    data = json.loads(inventory.read_text()) if inventory.exists() else {}
    return result.exit_code, result.output, data


def _buckets(data: dict[str, Any]) -> dict[str, str]:
    """Bucket name -> its scope (account)."""
    return {b["name"]: b["scope"] for b in data["buckets"]}


def test_scan_needs_no_config_file_with_the_default_credentials(
    endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(
        Bucket="drawings-tokyo", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    monkeypatch.chdir(tmp_path)  # nothing to read a config from

    code, output, data = _scan(tmp_path, "--provider", "aws", "--region", "ap-northeast-1")

    assert code in (0, 1), output
    assert _buckets(data) == {"drawings-tokyo": CALLER}
    [bucket] = data["buckets"]
    primary = bucket["locations"][0]
    assert (primary["region"], primary["resolution"]["countries"]) == ("ap-northeast-1", ["JP"])


def test_account_names_accounts_to_scan_without_an_organisation(
    endpoint: str, tmp_path: Path
) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="caller-bucket")
    _member_s3().create_bucket(Bucket="member-bucket")

    code, output, data = _scan(
        tmp_path, "--provider", "aws", "--account", f"{CALLER},{MEMBER}", "--region", "us-east-1"
    )

    assert code in (0, 1), output
    assert _buckets(data) == {"caller-bucket": CALLER, "member-bucket": MEMBER}
    # only the named one: the caller's own account is left out when not named
    code, output, data = _scan(
        tmp_path, "--provider", "aws", "--account", MEMBER, "--region", "us-east-1"
    )
    assert code in (0, 1), output
    assert _buckets(data) == {"member-bucket": MEMBER}


def test_aws_profile_selects_the_credentials(
    endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="profiled")
    creds = tmp_path / "credentials"
    creds.write_text(
        "[audit]\naws_access_key_id = AKIAPROFILEPROFILE0\naws_secret_access_key = x\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")  # only the profile has credentials now
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    code, output, data = _scan(tmp_path, "--provider", "aws", "--aws-profile", "audit")
    assert code in (0, 1), output
    assert "profiled" in _buckets(data)

    code, output, _ = _scan(tmp_path, "--provider", "aws", "--aws-profile", "nobody")
    # a profile that is not there: nothing to scan with, so nothing is written (exit 2)
    assert code == 2 and "tried profile 'nobody'" in output


def test_options_narrow_and_override_a_config_file(endpoint: str, tmp_path: Path) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="caller-bucket")
    _member_s3().create_bucket(Bucket="member-bucket")
    config = tmp_path / "scan.toml"
    config.write_text(
        f'[providers.aws]\nregions = ["eu-west-1"]\ninclude_accounts = ["{MEMBER}"]\n'
        '[providers.gcp]\nprojects = ["never-reached-project"]\n'
    )

    # the file alone: both providers (gcp fails to reach anything: the scan is incomplete)
    code, output, data = _scan(tmp_path, "--config", str(config))
    assert code == 3, output
    assert {s["provider"] for s in data["scopes"]} >= {"aws"}
    # --provider aws leaves gcp out; --account wins over include_accounts
    code, output, data = _scan(
        tmp_path, "--config", str(config), "--provider", "aws", "--account", CALLER
    )
    assert code in (0, 1), output
    assert _buckets(data) == {"caller-bucket": CALLER}
    assert {s["provider"] for s in data["scopes"]} == {"aws"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --config FILE, or --provider"),
        (("--provider", "gcp", "--account", CALLER), "--account applies to aws"),
        (("--provider", "aws", "--project", "some-project"), "--project applies to gcp"),
        (("--provider", "aws", "--account", "12345"), "--account: must be"),
        (("--provider", "aws", "--region", "tokyo"), "--region: must be"),
        (("--provider", "nope"), "--provider: unknown provider 'nope'"),
    ],
)
def test_a_bad_scope_option_is_exit_2_naming_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output, data = _scan(tmp_path, *args)
    assert code == 2
    assert message in output
    assert not data and not (tmp_path / "out").exists()


def test_named_accounts_grant_the_role_they_are_entered_through() -> None:
    from residency_audit_aws import AwsProvider

    alone = AwsProvider.from_settings({}).permission_policy()["Statement"]
    named = AwsProvider.from_settings({"include_accounts": [MEMBER]}).permission_policy()
    assert all("sts:AssumeRole" not in s["Action"] for s in alone)
    [assume] = [s for s in named["Statement"] if s["Action"] == ["sts:AssumeRole"]]
    assert assume["Resource"] == [f"arn:*:iam::*:role/{ROLE}"]
