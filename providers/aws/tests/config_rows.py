"""AWS Config configuration items of S3 buckets, as SelectAggregateResourceConfig returns them.

Shapes: the AWS Config API Reference (SelectAggregateResourceConfig: ``Results`` is a list of JSON
documents, one per resource, holding the selected properties; ``NextToken`` pages) and the AWS
Config resource schema for ``AWS::S3::Bucket`` (awslabs/aws-config-resource-schema,
``AWS::S3::Bucket.properties.json``: the ``supplementaryConfiguration`` keys and their camel-case
fields). Replication rules are a map keyed by rule id, as in recorded items (cloud-custodian's
``ConfigS3`` source reads them so).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT = "123456789012"
FLAGS = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")


def full_supplementary(
    name: str, *, replicate_to: str | None = None, tags: dict[str, str] | None = None
) -> dict[str, Any]:
    """Every entry the residency answer needs, as Config records a well-configured bucket."""
    replication: dict[str, Any] = {"roleARN": None, "rules": {}}
    if replicate_to:
        replication = {
            "roleARN": "arn:aws:iam::123456789012:role/s3-replication",
            "rules": {
                "rule-0": {
                    "destinationConfig": {
                        "bucketARN": f"arn:aws:s3:::{replicate_to}",
                        "storageClass": None,
                    },
                    "prefix": "",
                    "status": "Enabled",
                }
            },
        }
    return {
        "AccessControlList": json.dumps(
            json.dumps(
                {
                    "grantSet": None,
                    "owner": {"displayName": None, "id": "owner-canonical-id"},
                    "grantList": [
                        {
                            "grantee": {"id": "owner-canonical-id", "displayName": None},
                            "permission": "FullControl",
                        }
                    ],
                }
            )
        ),
        "BucketPolicy": {"policyText": None},
        "BucketTaggingConfiguration": {
            "tagSets": [{"tags": tags or {"data-classification": "internal"}}]
        },
        "BucketReplicationConfiguration": replication,
        "ServerSideEncryptionConfiguration": {
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": "AES256",
                        "kmsMasterKeyID": None,
                    },
                    "bucketKeyEnabled": False,
                }
            ]
        },
        "PublicAccessBlockConfiguration": dict.fromkeys(FLAGS, True),
        "BucketVersioningConfiguration": {"status": "Off", "isMfaDeleteEnabled": None},
        # server access logging off, as Config records it
        "BucketLoggingConfiguration": {"destinationBucketName": None, "logFilePrefix": None},
    }


def row(
    name: str,
    region: str,
    supplementary: dict[str, Any],
    captured: str | None = None,
    account: str = ACCOUNT,
) -> str:
    """One Select result; captured an hour ago unless given."""
    if captured is None:
        captured = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps(
        {
            "resourceId": name,
            "resourceName": name,
            "accountId": account,
            "awsRegion": region,
            "configurationItemCaptureTime": captured,
            "configuration": {"name": name, "creationDate": "2025-04-01T00:00:00.000Z"},
            "supplementaryConfiguration": supplementary,
        }
    )


def census(counts: dict[str, int]) -> dict[str, Any]:
    return {
        "Results": [json.dumps({"accountId": a, "COUNT(*)": n}) for a, n in counts.items()],
        "QueryInfo": {"SelectFields": [{"Name": "accountId"}, {"Name": "COUNT(*)"}]},
    }
