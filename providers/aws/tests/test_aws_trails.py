"""Which CloudTrail trails record a bucket's data events, and where their deliveries are: pure
normalisation of GetEventSelectors / DescribeTrails answers.

The selectors are written as the CloudTrail API reference gives them (GetEventSelectors response
syntax; the DataResource and AdvancedFieldSelector examples: ``arn:aws:s3`` for every bucket,
``arn:aws:s3:::bucket/`` for one bucket, ``eventCategory``/``resources.type``/``resources.ARN``
field selectors) and each one is checked against botocore's cloudtrail service model, as the
service's answer would be parsed.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from residency_audit.model import Certainty, Hidden, Role
from residency_audit_aws import trails
from residency_audit_aws.normalize import DestinationRegion, Failure
from residency_audit_aws.trails import Trail, coverage, trail_locations

BUCKET = "tokyo-cad"
_MODEL = botocore.session.get_session().get_service_model("cloudtrail")


def answer(operation: str, response: dict[str, Any]) -> dict[str, Any]:
    """The response, after checking it has the shape the service model gives the operation."""
    shape = _MODEL.operation_model(operation).output_shape
    report = ParamValidator().validate(response, shape)
    assert not report.has_errors(), report.generate_report()
    return response


def basic(*values: str, kind: str = "AWS::S3::Object") -> dict[str, Any]:
    selector = {"ReadWriteType": "All", "IncludeManagementEvents": True}
    selector["DataResources"] = [{"Type": kind, "Values": list(values)}]  # type: ignore[assignment]
    return answer("GetEventSelectors", {"TrailARN": TRAIL_ARN, "EventSelectors": [selector]})


def advanced(*selectors: list[dict[str, Any]]) -> dict[str, Any]:
    found = [{"Name": f"s{i}", "FieldSelectors": fields} for i, fields in enumerate(selectors)]
    return answer("GetEventSelectors", {"TrailARN": TRAIL_ARN, "AdvancedEventSelectors": found})


def data(*more: dict[str, Any], kind: str = "AWS::S3::Object") -> list[dict[str, Any]]:
    return [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": [kind]},
        *more,
    ]


def arn(**operators: list[str]) -> dict[str, Any]:
    return {"Field": "resources.ARN", **operators}


TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-data-events"


@pytest.mark.parametrize(
    ("selectors", "whole"),
    [
        (basic("arn:aws:s3"), True),  # every bucket of the account
        (basic("arn:aws:s3:::tokyo-cad/"), True),  # the whole bucket
        (basic("arn:aws:s3:::tokyo-cad/drawings/"), False),  # the objects under a prefix
        (advanced(data()), True),  # no ARN condition: every bucket
        (advanced(data(arn(StartsWith=["arn:aws:s3:::tokyo"]))), True),
        (advanced(data(arn(Equals=["arn:aws:s3:::tokyo-cad/plan.dwg"]))), False),
        (advanced(data(arn(EndsWith=[".dwg"]))), False),  # some keys may end so
        # keys left out by a Not... condition: the rest of the bucket is recorded
        (advanced(data(arn(NotStartsWith=["arn:aws:s3:::tokyo-cad/tmp/"]))), True),
        (advanced(data(arn(NotEndsWith=[".tmp"], NotEquals=["arn:aws:s3:::tokyo-cad/a"]))), True),
        (advanced(data(arn(NotStartsWith=["arn:aws:s3:::osaka-"]))), True),
        (advanced(data({"Field": "readOnly", "Equals": ["true"]})), True),  # reads name keys
        (advanced(data({"Field": "eventName", "Equals": ["PutObject"]})), False),
        # one selector leaves the bucket out, another records it: selectors are alternatives
        (
            advanced(
                data(arn(NotStartsWith=["arn:aws:s3:::tokyo-cad/"])),
                data(arn(StartsWith=["arn:aws:s3:::tokyo-cad/"])),
            ),
            True,
        ),
    ],
)
def test_a_selector_that_records_the_bucket_says_whether_it_records_all_of_it(
    selectors: dict[str, Any], whole: bool
) -> None:
    found = coverage(selectors, "aws", BUCKET)

    assert found is not None
    assert found.whole is whole and found.unevaluated is None
    assert found.certainty is (Certainty.CONFIRMED if whole else Certainty.POSSIBLE)


@pytest.mark.parametrize(
    "selectors",
    [
        basic("arn:aws:s3:::osaka-cad/"),
        basic("arn:aws:s3:::tokyo-cad-old/"),  # a bucket whose name starts like this one's
        basic("arn:aws:lambda", kind="AWS::Lambda::Function"),
        answer("GetEventSelectors", {"EventSelectors": [{"IncludeManagementEvents": True}]}),
        advanced([{"Field": "eventCategory", "Equals": ["Management"]}]),
        advanced(data(kind="AWS::S3::AccessPoint")),  # another resource type's data events
        advanced(data(arn(StartsWith=["arn:aws:s3:::osaka"]))),
        advanced(data(arn(NotStartsWith=["arn:aws:s3:::tokyo-cad/"]))),
        advanced(data(arn(Equals=["arn:aws:s3:::osaka-cad/plan.dwg"]))),
        advanced(
            data(
                arn(
                    StartsWith=["arn:aws:s3:::tokyo-cad/drawings/"],
                    NotStartsWith=["arn:aws:s3:::tokyo-cad/"],
                )
            )
        ),
    ],
)
def test_a_selector_that_leaves_the_bucket_out_records_nothing_of_it(
    selectors: dict[str, Any],
) -> None:
    assert coverage(selectors, "aws", BUCKET) is None


def test_a_condition_that_cannot_be_evaluated_counts_as_recording_the_bucket_and_says_which() -> (
    None
):
    unknown_field = advanced(data({"Field": "resources.tag", "Equals": ["x"]}))
    no_category = advanced([{"Field": "resources.type", "Equals": ["AWS::S3::Object"]}])

    for selectors, named in ((unknown_field, "resources.tag"), (no_category, "eventCategory")):
        found = coverage(selectors, "aws", BUCKET)
        assert found is not None and found.unevaluated == named
        assert found.certainty is Certainty.POSSIBLE


def test_the_partition_of_the_arns_is_the_buckets() -> None:
    china = basic("arn:aws-cn:s3")
    assert coverage(china, "aws-cn", BUCKET) is not None
    assert coverage(china, "aws", BUCKET) is None


def trail(
    selectors: Any,
    *,
    home: str = "us-east-1",
    multi: bool = True,
    bucket: str = "org-trail-logs-hk",
    log_group: str | None = None,
) -> Trail:
    described = answer(
        "DescribeTrails",
        {
            "trailList": [
                {
                    "Name": "org-data-events",
                    "S3BucketName": bucket,
                    "IsMultiRegionTrail": multi,
                    "HomeRegion": home,
                    "TrailARN": TRAIL_ARN.replace("us-east-1", home),
                    "IsOrganizationTrail": True,
                    **({"CloudWatchLogsLogGroupArn": log_group} if log_group else {}),
                }
            ]
        },
    )
    arn_ = described["trailList"][0]["TrailARN"]
    [found] = trails.region_trails("ap-northeast-1", described, {arn_: selectors}).trails
    return found


HK = {"org-trail-logs-hk": DestinationRegion("ap-east-1")}


def test_a_logging_trail_delivers_the_buckets_keys_to_its_bucket_and_log_group() -> None:
    group = "arn:aws:logs:eu-west-1:111122223333:log-group:trail-events:*"
    found = trail(basic("arn:aws:s3"), log_group=group)

    locations, gaps = trail_locations(
        [found], BUCKET, "ap-northeast-1", "aws", {found.arn: True}, HK
    )

    assert gaps == []
    assert [(loc.role, loc.region, loc.certainty, loc.mechanism) for loc in locations] == [
        (Role.METADATA, "ap-east-1", Certainty.CONFIRMED, "cloudtrail-data-events"),
        (Role.METADATA, "eu-west-1", Certainty.CONFIRMED, "cloudtrail-data-events"),
    ]
    assert (
        locations[0].target == "org-trail-logs-hk (trail org-data-events of account 111122223333)"
    )


def test_a_trail_that_stopped_logging_leaves_its_past_deliveries_as_possible_copies() -> None:
    found = trail(basic("arn:aws:s3"))

    [stopped], _ = trail_locations([found], BUCKET, "ap-northeast-1", "aws", {found.arn: False}, HK)
    [unread], _ = trail_locations([found], BUCKET, "ap-northeast-1", "aws", {found.arn: None}, HK)

    assert (stopped.certainty, stopped.mechanism) == (
        Certainty.POSSIBLE,
        "cloudtrail-data-events (trail not logging)",
    )
    # a status that could not be read is counted as logging: the stricter reading
    assert (unread.certainty, unread.mechanism) == (Certainty.CONFIRMED, "cloudtrail-data-events")


def test_a_single_region_trail_records_only_its_own_regions_buckets() -> None:
    found = trail(basic("arn:aws:s3"), home="eu-west-1", multi=False)

    elsewhere, _ = trail_locations([found], BUCKET, "ap-northeast-1", "aws", {}, HK)
    at_home, _ = trail_locations([found], BUCKET, "eu-west-1", "aws", {}, HK)

    assert elsewhere == []
    assert [loc.region for loc in at_home] == ["ap-east-1"]


def test_unread_selectors_are_a_copy_gap_and_a_possible_delivery() -> None:
    found = trail(Failure("AccessDeniedException", "not authorized"))

    [location], [gap] = trail_locations([found], BUCKET, "ap-northeast-1", "aws", {}, HK)

    assert (location.region, location.certainty) == ("ap-east-1", Certainty.POSSIBLE)
    assert gap.field == "cloudtrail" and gap.hides == (Hidden.COPY,)
    assert gap.error_code == "AccessDeniedException" and found.arn in gap.reason


def test_an_unevaluated_condition_is_a_copy_gap_naming_it() -> None:
    found = trail(advanced(data({"Field": "resources.tag", "Equals": ["x"]})))

    [location], [gap] = trail_locations([found], BUCKET, "ap-northeast-1", "aws", {}, HK)

    assert location.certainty is Certainty.POSSIBLE
    assert gap.why is not None and gap.why.subject == "resources.tag"
    assert Hidden.COPY in gap.hides


def test_a_delivery_bucket_whose_region_cannot_be_read_is_unknown_with_the_reason() -> None:
    found = trail(basic("arn:aws:s3"))
    unread = DestinationRegion(
        None, "destination region unreadable: GetBucketLocation AccessDenied"
    )

    [location], _ = trail_locations(
        [found], BUCKET, "ap-northeast-1", "aws", {}, {"org-trail-logs-hk": unread}
    )

    assert location.region is None
    assert location.unknown_reason == unread.unknown_reason
