"""`residency-audit permissions aws` documents: the management policy, the member role and its
trust policy (accepted by IAM as moto validates it), and the CloudFormation template (checked
with cfn-lint). Which calls each identity really makes is checked against a full organisation
scan in test_aws_moto.py."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from cfnlint.api import lint

from residency_audit.errors import InputError
from residency_audit.permission_docs import PermissionRequest, permission_document
from residency_audit_aws import AwsProvider
from residency_audit_aws.permissions import (
    CALLER_ONLY,
    OPERATIONS,
    member_permissions,
    required_permissions,
)

MANAGEMENT = "111122223333"


def document(settings: dict[str, Any] | None = None, **request: Any) -> Any:
    provider = AwsProvider.from_settings(settings or {})
    text = permission_document("aws", provider, PermissionRequest(**request))
    assert text.endswith("\n")
    return json.loads(text)


def test_the_member_role_reads_what_a_scanned_account_is_read_for_and_nothing_of_the_caller() -> (
    None
):
    member = set(member_permissions())
    assert member == {a for op, a in OPERATIONS.items() if a and op not in CALLER_ONLY}
    assert "organizations:ListAccounts" not in member
    assert not any(a.startswith(("ssm:", "account:")) for a in member)
    assert member < set(required_permissions())


def test_management_policy_lists_the_organisation_and_assumes_only_the_member_role() -> None:
    policy = document(variant="organization", role_name="audit/Reader", partition="aws-cn")
    reads, assume = policy["Statement"]
    assert reads["Action"] == required_permissions()
    assert "organizations:ListAccounts" in reads["Action"]
    assert assume["Action"] == ["sts:AssumeRole"]
    assert assume["Resource"] == ["arn:aws-cn:iam::*:role/audit/Reader"]


def test_the_config_decides_role_and_partition_and_several_partitions_need_one_named() -> None:
    config = {"role_name": "Auditor", "partitions": {"aws": {}, "aws-cn": {"profile": "cn"}}}
    with pytest.raises(InputError, match="choose it with --partition"):
        document(config, variant="organization")
    policy = document(config, variant="organization", partition="aws-cn")
    assert policy["Statement"][1]["Resource"] == ["arn:aws-cn:iam::*:role/Auditor"]
    with pytest.raises(InputError, match="not aws-us-gov"):
        document(config, variant="organization", partition="aws-us-gov")


def test_member_role_is_accepted_by_iam_and_trusts_the_management_account_with_its_external_id(
    moto: None,
) -> None:
    role = document(
        {"role_name": "audit/Reader", "external_id": "jp-audit-2026"},
        variant="member-role",
        management_account=MANAGEMENT,
    )
    assert (role["RoleName"], role["Path"]) == ("Reader", "/audit/")
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "jp-audit-2026"}}
    assert role["PolicyDocument"]["Statement"][0]["Action"] == member_permissions()

    # what an admin runs: create-role, then put-role-policy (moto validates both documents)
    iam = boto3.client("iam")
    trust_text = json.dumps(role["AssumeRolePolicyDocument"])
    iam.create_role(
        RoleName=role["RoleName"], Path=role["Path"], AssumeRolePolicyDocument=trust_text
    )
    iam.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=trust_text)
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName=role["PolicyName"],
        PolicyDocument=json.dumps(role["PolicyDocument"]),
    )
    arn = iam.get_role(RoleName="Reader")["Role"]["Arn"]
    assert arn == "arn:aws:iam::123456789012:role/audit/Reader"
    # the validation can fail: an action IAM would refuse is refused here too
    broken = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3 Get"}]}
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.put_role_policy(RoleName="Reader", PolicyName="x", PolicyDocument=json.dumps(broken))


def test_member_role_without_external_id_has_no_condition_and_needs_the_management_account() -> (
    None
):
    role = document(variant="member-role", management_account=MANAGEMENT, partition="aws-us-gov")
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert "Condition" not in trust
    assert trust["Principal"] == {"AWS": f"arn:aws-us-gov:iam::{MANAGEMENT}:root"}
    with pytest.raises(InputError, match="--management-account ID"):
        document(variant="member-role")


def _lint(template: Any) -> list[str]:
    return [f"{m.rule.id} {m.message}" for m in lint(json.dumps(template), regions=["us-east-1"])]


def test_cloudformation_template_passes_cfn_lint_and_holds_the_member_role() -> None:
    template = document(format="cloudformation", management_account=MANAGEMENT)
    assert _lint(template) == []
    params = template["Parameters"]
    assert params["ManagementAccountId"]["Default"] == MANAGEMENT
    assert params["RoleName"]["Default"] == "ResidencyAuditReadOnly"
    assert params["ExternalId"]["Default"] == ""
    role = template["Resources"]["AuditRole"]
    assert role["Type"] == "AWS::IAM::Role"
    [policy] = role["Properties"]["Policies"]
    assert policy["PolicyDocument"]["Statement"][0]["Action"] == member_permissions()
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    # one template for every partition and account; an empty ExternalId drops the condition
    assert trust["Principal"]["AWS"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${ManagementAccountId}:root"
    }
    assert trust["Condition"]["Fn::If"][0] == "HasExternalId"
    assert template["Outputs"]["RoleArn"]["Value"] == {"Fn::GetAtt": ["AuditRole", "Arn"]}
    text = json.dumps(template)
    assert "arn:aws:" not in text and "us-east-1" not in text  # nothing partition- or region-bound


def test_cloudformation_template_from_a_config_with_a_role_path_and_external_id() -> None:
    template = document(
        {"organization": True, "role_name": "audit/Reader", "external_id": "jp-audit-2026"},
        format="cloudformation",
    )
    assert _lint(template) == []
    assert "Default" not in template["Parameters"]["ManagementAccountId"]  # must be given
    assert template["Parameters"]["RoleName"]["Default"] == "Reader"
    assert template["Parameters"]["ExternalId"]["Default"] == "jp-audit-2026"
    assert template["Resources"]["AuditRole"]["Properties"]["Path"] == "/audit/"


def test_cfn_lint_catches_a_broken_template() -> None:
    template = document(format="cloudformation")
    template["Resources"]["AuditRole"]["Properties"]["RoleNam"] = "typo"
    del template["Resources"]["AuditRole"]["Properties"]["AssumeRolePolicyDocument"]
    found = _lint(template)
    assert any("RoleNam" in m for m in found), found
    assert any("AssumeRolePolicyDocument" in m for m in found), found


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"variant": "organization", "format": "cloudformation"}, "member role's"),
        ({"variant": "organization", "external_id": "abc"}, "--external-id: not used"),
        ({"management_account": MANAGEMENT}, "--management-account: not used by the default"),
        ({"format": "cloudformation", "partition": "aws-cn"}, "--partition: not used"),
        ({"variant": "member-role", "management_account": "1234"}, "12-digit"),
        ({"variant": "organization", "role_name": "bad name"}, "--role-name"),
        ({"format": "cloudformation", "external_id": "x"}, "--external-id"),  # 2 at least
        ({"variant": "organization", "partition": "mars"}, "unknown partition 'mars'"),
    ],
)
def test_a_request_that_does_not_fit_is_an_input_error(
    request_: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        document(**request_)


def test_an_external_id_from_the_config_is_checked_too() -> None:
    with pytest.raises(InputError, match=r"providers\.aws\.external_id"):
        document({"external_id": "has space"}, format="cloudformation")
