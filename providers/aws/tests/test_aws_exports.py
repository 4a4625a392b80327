"""Where a bucket's server access logs and S3 Inventory reports go: pure normalisation of
GetBucketLogging / ListBucketInventoryConfigurations answers.

The answers are written as the S3 API reference gives them (GetBucketLogging: ``LoggingEnabled``
with ``TargetBucket``/``TargetPrefix``, nothing when logging is off;
ListBucketInventoryConfigurations: ``InventoryConfigurationList`` entries whose
``Destination.S3BucketDestination`` holds the bucket ARN and the owner's ``AccountId``), each
checked against botocore's s3 service model.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from residency_audit.model import Certainty, Hidden, Role
from residency_audit_aws.config_shapes import item_from_config
from residency_audit_aws.exports import access_logging, inventory_reports
from residency_audit_aws.normalize import DESTINATION_MISSING, DestinationRegion, Failure

_MODEL = botocore.session.get_session().get_service_model("s3")
UNREAD = DestinationRegion(
    None, "destination region unreadable: GetBucketLocation AccessDenied, HeadBucket 403"
)


def answer(operation: str, response: dict[str, Any]) -> dict[str, Any]:
    shape = _MODEL.operation_model(operation).output_shape
    report = ParamValidator().validate(response, shape)
    assert not report.has_errors(), report.generate_report()
    return response


def logging(target: str, prefix: str = "") -> dict[str, Any]:
    return answer(
        "GetBucketLogging", {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": prefix}}
    )


def inventory(bucket: str, account: str | None = None, enabled: bool = True) -> dict[str, Any]:
    destination: dict[str, Any] = {"Bucket": f"arn:aws:s3:::{bucket}", "Format": "CSV"}
    if account:
        destination["AccountId"] = account
    config = {
        "Id": "weekly",
        "IsEnabled": enabled,
        "IncludedObjectVersions": "Current",
        "Schedule": {"Frequency": "Weekly"},
        "Destination": {"S3BucketDestination": destination},
    }
    return answer(
        "ListBucketInventoryConfigurations",
        {"InventoryConfigurationList": [config], "IsTruncated": False},
    )


def test_logging_off_is_no_export_and_no_gap() -> None:
    assert access_logging(answer("GetBucketLogging", {}), "ap-northeast-1", {}) == ([], [])


def test_access_logs_go_to_the_target_bucket_in_its_region() -> None:
    regions = {"tokyo-logs": DestinationRegion("ap-northeast-1")}

    [location], gaps = access_logging(logging("tokyo-logs", "cad/"), "ap-northeast-1", regions)

    assert gaps == []
    assert (location.role, location.region, location.mechanism) == (
        Role.METADATA,
        "ap-northeast-1",
        "s3-access-logging",
    )
    assert location.target == "tokyo-logs (prefix cad/)"
    assert not location.derived and location.certainty is Certainty.CONFIRMED


def test_a_target_whose_region_cannot_be_read_is_in_the_sources_region_as_s3_requires() -> None:
    [location], _ = access_logging(logging("other-logs"), "ap-northeast-1", {"other-logs": UNREAD})

    assert (location.region, location.derived) == ("ap-northeast-1", True)
    assert (
        location.unknown_reason is not None and "source bucket's region" in location.unknown_reason
    )
    assert location.why is not None and location.why.key == "aws.export-same-region"


def test_a_target_that_does_not_exist_holds_nothing_and_is_unknown() -> None:
    [location], _ = access_logging(logging("gone"), "ap-northeast-1", {"gone": DESTINATION_MISSING})

    assert location.region is None and location.why == DESTINATION_MISSING.why


def test_unread_logging_is_a_copy_gap() -> None:
    locations, [gap] = access_logging(Failure("AccessDenied"), "ap-northeast-1", {})

    assert locations == []
    assert (gap.field, gap.error_code, gap.hides) == (
        "server_access_logging",
        "AccessDenied",
        (Hidden.COPY,),
    )


def test_inventory_reports_go_to_another_accounts_bucket() -> None:
    regions = {"audit-inventory": DestinationRegion("ap-northeast-1")}

    [location], gaps = inventory_reports(
        inventory("audit-inventory", "999988887777"), "ap-northeast-1", regions
    )

    assert gaps == []
    assert (location.role, location.region, location.mechanism, location.certainty) == (
        Role.METADATA,
        "ap-northeast-1",
        "s3-inventory",
        Certainty.CONFIRMED,
    )
    assert location.target == "arn:aws:s3:::audit-inventory (account 999988887777)"


def test_a_disabled_inventory_leaves_its_past_reports_as_possible_copies() -> None:
    regions = {"audit-inventory": DestinationRegion("ap-northeast-1")}

    [location], _ = inventory_reports(
        inventory("audit-inventory", enabled=False), "ap-northeast-1", regions
    )

    assert location.certainty is Certainty.POSSIBLE
    assert location.mechanism == "s3-inventory (configuration disabled)"


def test_another_accounts_destination_of_unreadable_region_is_the_sources_region() -> None:
    [location], _ = inventory_reports(
        inventory("their-bucket", "999988887777"), "ap-northeast-1", {"their-bucket": UNREAD}
    )
    [unknown], _ = inventory_reports(
        inventory("their-bucket", "999988887777"), None, {"their-bucket": UNREAD}
    )

    assert (location.region, location.derived) == ("ap-northeast-1", True)
    # with the source's own region unread there is nothing to derive from: unknown, with why
    assert unknown.region is None and unknown.unknown_reason == UNREAD.unknown_reason


def test_no_inventory_configuration_is_no_export_and_unread_is_a_copy_gap() -> None:
    none = answer("ListBucketInventoryConfigurations", {"IsTruncated": False})

    assert inventory_reports(none, "ap-northeast-1", {}) == ([], [])
    _, [gap] = inventory_reports(Failure("AccessDenied"), "ap-northeast-1", {})
    assert (gap.field, gap.hides) == ("inventory_reports", (Hidden.COPY,))


def test_an_aws_config_item_answers_the_logging_read_and_never_the_inventory_read() -> None:
    """source = inventory: AWS Config's ``BucketLoggingConfiguration`` (its resource schema for
    AWS::S3::Bucket: ``destinationBucketName``, ``logFilePrefix``) stands for GetBucketLogging;
    Config records no inventory configuration, so that read is always made live."""
    on = {"destinationBucketName": "tokyo-logs", "logFilePrefix": "cad/"}
    off = {"destinationBucketName": None, "logFilePrefix": None}
    items = [
        item_from_config({"resourceName": "b", "supplementaryConfiguration": {key: value}})
        for key, value in (("BucketLoggingConfiguration", on), ("BucketLoggingConfiguration", off))
    ]
    logged, silent = (item.served("GetBucketLogging").response for item in items)

    assert logged is not None and silent == {}
    regions = {"tokyo-logs": DestinationRegion("ap-northeast-1")}
    [location], _ = access_logging(logged, "ap-northeast-1", regions)
    assert location.target == "tokyo-logs (prefix cad/)"
    assert access_logging(silent, "ap-northeast-1", regions) == ([], [])
    # an item without the entry is read live, not taken as logging off
    bare = item_from_config({"resourceName": "b", "supplementaryConfiguration": {}})
    assert bare.served("GetBucketLogging").missing == "absent"
    assert items[0].served("ListBucketInventoryConfigurations").missing == "not-recorded"
