"""`residency-audit permissions PROVIDER` as a cloud admin runs it: each document, read back as
its tool would, the scan config's settings taken with --config, and every request that cannot be
answered refused with exit 2 and one line naming the option, nothing on stdout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from residency_audit.cli import cli

SUB = "3b4c2a57-1f9e-4d8a-9c6b-0a1e2f3d4c5b"
MANAGEMENT = "111122223333"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["permissions", *args])
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, err
    return out


def actions(policy: dict[str, Any]) -> set[str]:
    return {a for s in policy["Statement"] for a in s["Action"]}


def test_the_command_is_listed_and_documents_its_options() -> None:
    listing = CliRunner().invoke(cli, ["--help"]).output
    assert "permissions" in listing
    usage = CliRunner().invoke(cli, ["permissions", "--help"]).output
    for option in ("--organization", "--member-role", "--format", "--subscription", "--config"):
        assert option in usage


def test_aws_default_management_and_member_role_documents() -> None:
    default = json.loads(ok("aws"))
    management = json.loads(ok("aws", "--organization"))
    member = json.loads(ok("aws", "--member-role", "--management-account", MANAGEMENT))
    assert "organizations:ListAccounts" in actions(management)
    assert "sts:AssumeRole" in actions(management) and "sts:AssumeRole" not in actions(default)
    granted = actions(member["PolicyDocument"])
    assert "organizations:ListAccounts" not in granted and granted < actions(management)
    [trust] = member["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}


def test_aws_cloudformation_template_is_json_with_the_member_role() -> None:
    template = json.loads(ok("aws", "--format", "cloudformation"))
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert set(template["Parameters"]) == {"ManagementAccountId", "RoleName", "ExternalId"}
    assert template["Resources"]["AuditRole"]["Type"] == "AWS::IAM::Role"


def test_aws_settings_from_the_config_with_options_winning(tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text(
        '[providers.aws]\norganization = true\nrole_name = "Auditor"\nexternal_id = "jp-2026"\n',
        encoding="utf-8",
    )
    member = json.loads(
        ok("aws", "--member-role", "--config", str(config), "--management-account", MANAGEMENT)
    )
    assert member["RoleName"] == "Auditor"
    [trust] = member["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "jp-2026"}}
    # the scan's own policy: organisation mode assumes the configured role
    default = json.loads(ok("aws", "--config", str(config)))
    [assume] = [s for s in default["Statement"] if s["Action"] == ["sts:AssumeRole"]]
    assert assume["Resource"] == ["arn:*:iam::*:role/Auditor"]
    management = json.loads(
        ok("aws", "--organization", "--config", str(config), "--role-name", "Other")
    )
    assert management["Statement"][1]["Resource"] == ["arn:aws:iam::*:role/Other"]


def test_gcp_role_file_and_json() -> None:
    role = yaml.safe_load(ok("gcp", "--format", "gcloud"))
    assert set(role) == {"title", "description", "stage", "includedPermissions"}
    assert role == json.loads(ok("gcp"))


def test_azure_role_definition_from_options_or_config(tmp_path: Path) -> None:
    role = json.loads(ok("azure", "--subscription", SUB, "--management-group", "corp"))
    assert role["AssignableScopes"] == [
        f"/subscriptions/{SUB}",
        "/providers/Microsoft.Management/managementGroups/corp",
    ]
    config = tmp_path / "scan.toml"
    config.write_text(f'[providers.azure]\nsubscriptions = ["{SUB}"]\n', encoding="utf-8")
    role = json.loads(ok("azure", "--config", str(config)))
    assert role["AssignableScopes"] == [f"/subscriptions/{SUB}"]


def test_a_plugin_without_documents_still_prints_its_policy() -> None:
    assert "no cloud permission" in json.loads(ok("fixture"))["note"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("azure",), "give --subscription ID"),
        (("azure", "--subscription", "not-a-guid"), "--subscription: 'not-a-guid' is not"),
        (("aws", "--member-role"), "--management-account ID"),
        (("aws", "--organization", "--member-role"), "choose one"),
        (("aws", "--format", "gcloud"), "--format gcloud: not offered by the aws plugin"),
        (("aws", "--subscription", SUB), "--subscription: does not apply to aws"),
        (("gcp", "--format", "cloudformation"), "not offered by the gcp plugin"),
        (("gcp", "--organization"), "--organization: not offered by the gcp plugin"),
        (("fixture", "--member-role"), "offers only its default policy"),
        (("nope",), "unknown provider 'nope'"),
        (("aws", "--format", "yaml"), "'yaml' is not one of"),
    ],
)
def test_a_request_that_cannot_be_answered_is_exit_2_with_nothing_on_stdout(
    args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert message in err


def test_a_config_that_cannot_be_used_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text('[providers.gcp]\nprojects = ["design-prod"]\n', encoding="utf-8")
    code, out, err = run("aws", "--config", str(config))
    assert (code, out) == (2, "")
    assert f"{config}: no [providers.aws] table" in err
    config.write_text("[providers.aws\n", encoding="utf-8")
    code, out, err = run("aws", "--config", str(config))
    assert (code, out) == (2, "")
    assert "not valid TOML" in err
    code, out, err = run("aws", "--config", str(tmp_path / "missing.toml"))
    assert (code, out) == (2, "")
    assert "cannot read config" in err
