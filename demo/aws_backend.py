"""Demo backend for AWS: a local moto_server seeded with the AWS part of the demo estate.

Seed: fixtures/demo/aws.json, created through real boto3 calls (residency_audit_aws.testing).
The plugin finds its (fake) credentials through the ordinary boto3 chain: ``serve`` writes an AWS
config with a ``residency-demo`` profile and points AWS_CONFIG_FILE/AWS_SHARED_CREDENTIALS_FILE at
it for as long as the server runs (child processes such as ``residency-audit scan`` inherit them).
"""

from __future__ import annotations

import contextlib
import json
import pathlib
from collections.abc import Iterator
from typing import Any

from residency_audit_aws.testing import fake_profile, moto_server, seed_estate, seed_session

SEED = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "aws.json"
PROFILE = "residency-demo"


def load_seed(path: pathlib.Path = SEED) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def seed_trails(endpoint: str, estate: dict[str, Any], ids: dict[str, str]) -> None:
    """Each account's CloudTrail trails, recording the S3 data events (object keys) of the
    buckets they name, started, through real boto3 calls."""
    for account in estate["accounts"]:
        for trail in account.get("trails", []):
            session = seed_session(endpoint, ids[account["alias"]])
            cloudtrail = session.client(
                "cloudtrail", region_name=trail["home"], endpoint_url=endpoint
            )
            cloudtrail.create_trail(
                Name=trail["name"],
                S3BucketName=trail["delivery"],
                IsMultiRegionTrail=bool(trail.get("multi_region")),
            )
            arns = [f"arn:aws:s3:::{name}/" for name in trail["records"]]
            cloudtrail.put_event_selectors(
                TrailName=trail["name"],
                AdvancedEventSelectors=[
                    {
                        "Name": "object-level events of the named buckets",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                            {"Field": "resources.ARN", "StartsWith": arns},
                        ],
                    }
                ],
            )
            cloudtrail.start_logging(Name=trail["name"])


def seed_distributions(endpoint: str, estate: dict[str, Any], ids: dict[str, str]) -> None:
    """Each account's CloudFront distributions in front of its buckets (an S3 origin with an
    origin access control, as the console makes them), through real boto3 calls."""
    for account in estate["accounts"]:
        distributions = account.get("distributions", [])
        if not distributions:
            continue
        session = seed_session(endpoint, ids[account["alias"]])
        cloudfront = session.client("cloudfront", region_name="us-east-1", endpoint_url=endpoint)
        for i, spec in enumerate(distributions):
            region = next(b["region"] for b in account["buckets"] if b["name"] == spec["origin"])
            cloudfront.create_distribution(
                DistributionConfig={
                    "CallerReference": f"{account['alias']}-{i}",
                    "Comment": spec.get("comment", ""),
                    "Enabled": True,
                    "PriceClass": spec["price_class"],
                    "Origins": {
                        "Quantity": 1,
                        "Items": [
                            {
                                "Id": spec["origin"],
                                "DomainName": f"{spec['origin']}.s3.{region}.amazonaws.com",
                                "S3OriginConfig": {"OriginAccessIdentity": ""},
                            }
                        ],
                    },
                    "DefaultCacheBehavior": {
                        "TargetOriginId": spec["origin"],
                        "ViewerProtocolPolicy": "redirect-to-https",
                    },
                }
            )


def seed_transfer_tasks(endpoint: str, estate: dict[str, Any], ids: dict[str, str]) -> None:
    """Each account's DataSync tasks copying one of its buckets to another, through real boto3
    calls (both S3 locations in the task's region, as moto keeps them)."""
    for account in estate["accounts"]:
        account_id = ids[account["alias"]]
        for task in account.get("transfer_tasks", []):
            session = seed_session(endpoint, account_id)
            datasync = session.client("datasync", region_name=task["region"], endpoint_url=endpoint)
            role = {"BucketAccessRoleArn": f"arn:aws:iam::{account_id}:role/datasync"}
            source, destination = (
                datasync.create_location_s3(S3BucketArn=f"arn:aws:s3:::{task[end]}", S3Config=role)[
                    "LocationArn"
                ]
                for end in ("source", "destination")
            )
            datasync.create_task(
                SourceLocationArn=source, DestinationLocationArn=destination, Name=task["name"]
            )


@contextlib.contextmanager
def serve(workdir: pathlib.Path) -> Iterator[dict[str, Any]]:
    """Start moto_server on a free 127.0.0.1 port, seed the AWS part of the demo estate, yield the
    ``[providers.aws]`` settings table that points the plugin at it, stop everything on exit."""
    with moto_server() as endpoint, fake_profile(pathlib.Path(workdir), PROFILE):
        seed = load_seed()
        ids = seed_estate(endpoint, seed)
        seed_trails(endpoint, seed, ids)
        seed_distributions(endpoint, seed, ids)
        seed_transfer_tasks(endpoint, seed, ids)
        yield {
            "profile": PROFILE,
            "endpoint_url": endpoint,
            "organization": True,
            "role_name": "OrganizationAccountAccessRole",
            # moto answers Backup selection reads with HTTP 500; one retry keeps the demo quick
            "max_attempts": 2,
        }
