"""The partitions botocore knows beyond aws, aws-cn and aws-us-gov -- the European Sovereign Cloud
(``aws-eusc``) and the isolated ``aws-iso`` / ``aws-iso-b`` -- scanned against in-process moto, each
with its own profile and account, as ``test_aws_partitions.py`` does for China and GovCloud.

moto 5.2.5 answers on each partition's own endpoints (``*.amazonaws.eu``, ``*.c2s.ic.gov``,
``*.sc2s.sgov.gov``) and keys S3 state by partition for these three, so the separation asserted
here is moto's real state. It does not know ``aws-iso-e`` and ``aws-iso-f`` (its STS answers with
``arn:aws:`` there and their S3 shares the ``aws`` backend), so those two are covered by settings
and endpoint resolution in ``test_aws_settings.py`` only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from residency_audit.model import Role, ScopeStatus
from residency_audit.results import ScanResult
from residency_audit.testing import bucket_named, scan_provider
from residency_audit_aws.testing import partition_session, profile_text

GLOBAL_ACCOUNT = "123456789012"
# bucket -> (partition, account, region, country the catalog gives the region)
ESTATE = {
    "ledger-frankfurt": ("aws", GLOBAL_ACCOUNT, "eu-central-1", "DE"),
    "ledger-brandenburg": ("aws-eusc", "410987654321", "eusc-de-east-1", "DE"),
    "cases-iso-east": ("aws-iso", "510987654321", "us-iso-east-1", "US"),
    "cases-isob-east": ("aws-iso-b", "610987654321", "us-isob-east-1", "US"),
}
HOMES = {"aws-eusc": "eusc-de-east-1", "aws-iso": "us-iso-east-1", "aws-iso-b": "us-isob-east-1"}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScanResult]:
    from moto import mock_aws

    workdir = tmp_path_factory.mktemp("aws-sovereign")
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
            patch.delenv(name, raising=False)
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3_CONTROL", "AWS_DEFAULT_REGION"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "AKIASEEDSEEDSEED0000")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "seed-not-a-secret")
        patch.setenv("AWS_CONFIG_FILE", str(workdir / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(workdir / "credentials"))
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        (workdir / "config").write_text("", encoding="utf-8")
        sessions = {
            "aws": boto3.Session(
                aws_access_key_id="AKIAGLOBALGLOBAL0000",
                aws_secret_access_key="global-not-a-secret",
            ),
            **{
                p: partition_session(p, HOMES[p], a) for p, a, _, _ in ESTATE.values() if p != "aws"
            },
        }
        for name, (partition, _, region, _) in ESTATE.items():
            sessions[partition].client("s3", region_name=region).create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": region}
            )
        (workdir / "credentials").write_text(
            "".join(profile_text(f"p-{p}", s) for p, s in sessions.items()), encoding="utf-8"
        )
        patch.delenv("AWS_ACCESS_KEY_ID")
        patch.delenv("AWS_SECRET_ACCESS_KEY")
        settings: dict[str, Any] = {
            "max_attempts": 1,
            # one top-level list: each partition takes its own region from it
            "regions": [region for _, _, region, _ in ESTATE.values()],
            "partitions": {p: {"profile": f"p-{p}"} for p in sessions},
        }
        yield scan_provider("aws", settings, workdir)


def test_each_sovereign_partition_is_its_own_complete_scope(result: ScanResult) -> None:
    scopes = {s.scope: s for s in result.inventory.scopes}
    assert sorted(scopes) == sorted(a for _, a, _, _ in ESTATE.values())
    assert all(s.status is ScopeStatus.COMPLETE for s in scopes.values())
    assert sorted(b.name for b in result.inventory.buckets) == sorted(ESTATE)  # each once


@pytest.mark.parametrize("name", sorted(ESTATE))
def test_buckets_carry_their_partition_region_and_country(result: ScanResult, name: str) -> None:
    partition, account, region, country = ESTATE[name]
    bucket = bucket_named(result, name)
    assert (bucket.scope, bucket.uid) == (account, f"arn:{partition}:s3:::{name}")
    [primary] = [loc for loc in bucket.locations if loc.role is Role.PRIMARY]
    assert primary.region == region
    assert primary.resolution is not None and primary.resolution.countries == (country,)
