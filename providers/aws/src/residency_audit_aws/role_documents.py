"""`residency-audit permissions aws`: which document a request asks for, rendered from the
settings (the scan config's, when given) with the command's options winning over them.

Pure: no AWS call. Every document is built from ``permissions.OPERATIONS``.
"""

from __future__ import annotations

import dataclasses
import json
import re

from residency_audit import __version__
from residency_audit.errors import InputError
from residency_audit.permission_docs import PermissionRequest

from . import permissions
from .partitions import partitions as known_partitions
from .settings import AwsSettings, PartitionSettings

__all__ = ["FORMATS", "OPTIONS", "VARIANTS", "render"]

VARIANTS = ("default", "organization", "member-role")
FORMATS = ("json", "cloudformation")
OPTIONS = frozenset({"role_name", "external_id", "management_account", "partition"})

# IAM's own limits: a role name of 64 characters, optionally under a path; an ExternalId of
# 2-1224 characters from this set (sts:AssumeRole); an account id of 12 digits
_ROLE = re.compile(r"^(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_ACCOUNT = re.compile(r"^\d{12}$")

# the document each request names (a template is the member role's, whichever variant asked),
# with the options it reads; any other option given is refused, so none is silently ignored
_READS = {
    "default": ("the default policy", {"role_name"}),
    "organization": ("--organization", {"role_name", "partition"}),
    "member-role": (
        "--member-role",
        {"role_name", "external_id", "management_account", "partition"},
    ),
    "cloudformation": (
        "--format cloudformation",
        {"role_name", "external_id", "management_account"},
    ),
}


def _check(value: str | None, pattern: re.Pattern[str], option: str, what: str) -> None:
    if value is not None and not pattern.match(value):
        raise InputError(f"must be {what}", key=option)


def _partition(settings: AwsSettings, name: str | None) -> PartitionSettings:
    """The partition the document is for: IAM policies never span partitions."""
    configured = {p.name: p for p in settings.partitions}
    if name is None:
        if len(configured) > 1:
            raise InputError(
                f"the settings scan partitions {', '.join(configured)} and an IAM policy holds "
                "for one: choose it with --partition"
            )
        return settings.partitions[0]
    if name not in known_partitions():
        raise InputError(
            f"unknown partition {name!r} (expected one of {', '.join(known_partitions())})",
            key="--partition",
        )
    if name in configured:
        return configured[name]
    if len(configured) > 1:
        raise InputError(
            f"the settings scan partitions {', '.join(configured)}, not {name}",
            key="--partition",
        )
    # one (possibly default) partition: its role settings serve the one asked for
    return dataclasses.replace(settings.partitions[0], name=name)


def _dump(document: object) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render(settings: AwsSettings, request: PermissionRequest) -> str:
    """The document ``request`` asks for; InputError (exit 2) for an option or value that does
    not fit it."""
    kind = "cloudformation" if request.format == "cloudformation" else request.variant
    if kind == "cloudformation" and request.variant == "organization":
        raise InputError(
            "--format cloudformation: the template is the member role's (--member-role); the "
            "management account's policy is JSON"
        )
    asked, reads = _READS[kind]
    unused = [f for f in request.given() if f not in reads]
    if unused:
        raise InputError(
            f"{', '.join(PermissionRequest.option(f) for f in unused)}: not used by {asked} "
            f"(it takes {', '.join(sorted(PermissionRequest.option(f) for f in reads))})"
        )
    _check(request.role_name, _ROLE, "--role-name", "an IAM role name (or path/name)")
    _check(request.external_id, _EXTERNAL_ID, "--external-id", "2-1224 of A-Za-z0-9+=,.@:/-_")
    _check(request.management_account, _ACCOUNT, "--management-account", "a 12-digit account id")

    if kind == "default":
        assuming = [
            request.role_name or p.role_name
            for p in settings.partitions
            if p.organization or p.include_accounts
        ]
        inventory = settings.inventory is not None  # the AWS Config reads, source = "inventory"
        return _dump(permissions.permission_policy(role_names=assuming, inventory=inventory))

    chosen = (
        settings.partitions[0]
        if kind == "cloudformation"
        else _partition(settings, request.partition)
    )
    role_name = request.role_name or chosen.role_name
    external_id = request.external_id or chosen.external_id
    _check(external_id, _EXTERNAL_ID, "providers.aws.external_id", "2-1224 of A-Za-z0-9+=,.@:/-_")
    if kind == "organization":
        inventory = settings.inventory is not None
        return _dump(permissions.management_policy(chosen.name, role_name, inventory=inventory))
    if kind == "cloudformation":
        if len(settings.partitions) > 1 and request.role_name is None:
            roles = {p.role_name for p in settings.partitions}
            if len(roles) > 1:
                raise InputError(
                    f"the partitions' role names differ ({', '.join(sorted(roles))}): "
                    "choose one with --role-name"
                )
        template = permissions.cloudformation_template(
            role_name, request.management_account, external_id, f"residency-audit {__version__}"
        )
        return _dump(template)
    if request.management_account is None:
        raise InputError(
            "the member role trusts the management account: give its id with "
            "--management-account ID"
        )
    path, name = permissions.split_role_name(role_name)
    principal = f"arn:{chosen.name}:iam::{request.management_account}:root"
    return _dump(
        {
            "RoleName": name,
            "Path": path,
            "AssumeRolePolicyDocument": permissions.trust_policy(principal, external_id),
            "PolicyName": permissions.MEMBER_POLICY_NAME,
            "PolicyDocument": permissions.member_policy(),
        }
    )
