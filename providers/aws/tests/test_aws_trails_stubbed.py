"""An organisation trail as a member account sees it, through botocore's Stubber.

moto shows an organisation trail only to the account that created it, so the member's view is
stubbed: Stubber checks every request's parameters and every response against botocore's
cloudtrail service model. The response shapes follow the CloudTrail API reference (DescribeTrails:
a member account sees the organisation trail as a shadow trail, ``IsOrganizationTrail`` true, the
management account's ARN; GetTrailStatus and GetEventSelectors: "If the trail is an organization
trail and you are a member account ... you must provide the full ARN of that trail").
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from residency_audit.model import Certainty, Role
from residency_audit_aws.client import AwsAccount
from residency_audit_aws.metadata_reads import AccountTrails
from residency_audit_aws.normalize import DestinationRegion
from residency_audit_aws.settings import parse_settings

pytestmark = pytest.mark.usefixtures("aws_env")

ORG_TRAIL = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-data-events"
DESCRIBED = {
    "trailList": [
        {
            "Name": "org-data-events",
            "S3BucketName": "org-log-archive",
            "S3KeyPrefix": "o-abc123",
            "IncludeGlobalServiceEvents": True,
            "IsMultiRegionTrail": True,
            "HomeRegion": "us-east-1",
            "TrailARN": ORG_TRAIL,
            "LogFileValidationEnabled": True,
            "HasCustomEventSelectors": True,
            "HasInsightSelectors": False,
            "IsOrganizationTrail": True,
        }
    ]
}
ALL_OBJECTS = {
    "TrailARN": ORG_TRAIL,
    "AdvancedEventSelectors": [
        {
            "Name": "S3 data events",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            ],
        }
    ],
}


def _account() -> AwsAccount:
    settings = parse_settings({"regions": ["ap-northeast-1"], "max_attempts": 1})
    return AwsAccount(boto3.Session(), settings.partitions[0], settings, account_id="444455556666")


def _stub(account: AwsAccount, region: str) -> Stubber:
    stubber = Stubber(account.client("cloudtrail", region))
    stubber.activate()
    return stubber


def test_an_organisation_trail_is_read_by_its_arn_in_its_home_region_once_for_every_bucket() -> (
    None
):
    account = _account()
    tokyo, virginia = _stub(account, "ap-northeast-1"), _stub(account, "us-east-1")
    tokyo.add_response("describe_trails", DESCRIBED, {"includeShadowTrails": True})
    virginia.add_response("get_event_selectors", ALL_OBJECTS, {"TrailName": ORG_TRAIL})
    virginia.add_response("get_trail_status", {"IsLogging": True}, {"Name": ORG_TRAIL})
    located: list[str] = []

    def destination(name: str) -> DestinationRegion:
        located.append(name)
        return DestinationRegion("eu-west-1")  # the log archive account's bucket, via HeadBucket

    trails = AccountTrails(account)
    found: list[Any] = [
        trails.for_bucket(name, "ap-northeast-1", destination, "aws")
        for name in ("tokyo-cad", "tokyo-contracts")
    ]

    # one DescribeTrails, one GetEventSelectors, one GetTrailStatus for both buckets (the
    # Stubber refuses any call beyond those queued)
    tokyo.assert_no_pending_responses()
    virginia.assert_no_pending_responses()
    for locations, gaps, _ in found:
        assert gaps == []
        assert [(loc.role, loc.region, loc.certainty) for loc in locations] == [
            (Role.METADATA, "eu-west-1", Certainty.CONFIRMED)
        ]
        assert locations[0].target == (
            "org-log-archive (trail org-data-events of account 111122223333)"
        )
    assert located == ["org-log-archive", "org-log-archive"]  # the collector's look-up caches


def test_a_member_refused_the_organisation_trails_selectors_has_a_gap_and_a_possible_copy() -> None:
    account = _account()
    tokyo, virginia = _stub(account, "ap-northeast-1"), _stub(account, "us-east-1")
    tokyo.add_response("describe_trails", DESCRIBED, {"includeShadowTrails": True})
    virginia.add_client_error(
        "get_event_selectors",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform cloudtrail:GetEventSelectors",
        http_status_code=400,
        expected_params={"TrailName": ORG_TRAIL},
    )
    virginia.add_response("get_trail_status", {"IsLogging": True}, {"Name": ORG_TRAIL})

    locations, gaps, _ = AccountTrails(account).for_bucket(
        "tokyo-cad", "ap-northeast-1", lambda _: DestinationRegion("eu-west-1"), "aws"
    )

    [gap] = gaps
    assert (gap.field, gap.error_code) == ("cloudtrail", "AccessDeniedException")
    assert ORG_TRAIL in gap.reason
    assert [(loc.region, loc.certainty) for loc in locations] == [("eu-west-1", Certainty.POSSIBLE)]
