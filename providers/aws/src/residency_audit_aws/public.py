"""Public access from S3's own signals, and bucket-policy principals outside the organisation.

Pure functions over API-shaped JSON. The verdict follows S3's semantics: account- and bucket-level
Block Public Access combine per flag (either one set is enough); IgnorePublicAcls neutralises public
ACL grants and RestrictPublicBuckets a public policy; BucketOwnerEnforced disables ACLs entirely.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from residency_audit.model import Evidence, Gap, PublicAccess, PublicVerdict

from . import arns
from .normalize import Failure, Read
from .reads import READS, read_gap

__all__ = [
    "ACCOUNT_BLOCK_EVIDENCE",
    "account_fully_blocked",
    "external_principals",
    "public_access",
]

_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
_PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}
_NOT_SET = {
    "NoSuchPublicAccessBlockConfiguration",  # no block configured: every flag off
    "NoSuchBucketPolicy",  # no policy: nothing public through a policy
    "OwnershipControlsNotFoundError",  # no controls: ACLs are in force
}


def _block(response: Read, level: str, gaps: list[Gap]) -> dict[str, bool | None]:
    if isinstance(response, Failure):
        if response.code == "NoSuchPublicAccessBlockConfiguration":
            return dict.fromkeys(_FLAGS, False)
        service = "s3control" if level == "account" else "s3"
        label = f"GetPublicAccessBlock ({level})"
        call = f"{service}:GetPublicAccessBlock"
        gaps.append(read_gap(service, "GetPublicAccessBlock", response, label=label, subject=call))
        return dict.fromkeys(_FLAGS, None)
    config = response.get("PublicAccessBlockConfiguration", {})
    return {flag: bool(config.get(flag, False)) for flag in _FLAGS}


ACCOUNT_BLOCK_EVIDENCE = (Evidence(key="aws.bpa.account", value="all-on"),)


def account_fully_blocked(account_block: Read) -> bool:
    """All four account-level flags on: S3 then blocks public access to every bucket."""
    if isinstance(account_block, Failure):
        return False
    config = account_block.get("PublicAccessBlockConfiguration", {})
    return all(config.get(flag) is True for flag in _FLAGS)


def _either(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _neutralised(public: bool | None, blocked: bool | None) -> bool | None:
    """Is access public once the neutralising flag is applied? None = cannot tell."""
    if public is False or blocked is True:
        return False
    if public is None or blocked is None:
        return None
    return True


def public_access(
    account_block: Read,
    bucket_block: Read,
    policy_status: Read,
    acl: Read,
    ownership: Read,
) -> tuple[PublicAccess, list[Gap]]:
    gaps: list[Gap] = []
    evidence: list[Evidence] = []
    account = _block(account_block, "account", gaps)
    bucket = _block(bucket_block, "bucket", gaps)
    flags = {flag: _either(account[flag], bucket[flag]) for flag in _FLAGS}
    states = {flag: {True: "on", False: "off", None: "unknown"}[v] for flag, v in flags.items()}
    if len(set(states.values())) == 1:  # the usual case: one item says it for all four
        evidence.append(Evidence(key="aws.bpa.all", value=states[_FLAGS[0]]))
    else:
        evidence += [Evidence(key="aws.bpa.flag", subject=f, value=v) for f, v in states.items()]

    policy_public: bool | None
    if isinstance(policy_status, Failure):
        policy_public = False if policy_status.code in _NOT_SET else None
        if policy_public is None:
            gaps.append(read_gap("s3", "GetBucketPolicyStatus", policy_status))
        else:
            evidence.append(Evidence(key="aws.policy", value="none"))
    else:
        policy_public = bool(policy_status.get("PolicyStatus", {}).get("IsPublic", False))
        state = "public" if policy_public else "not-public"
        evidence.append(Evidence(key="aws.policy", value=state))

    acls_disabled: bool | None
    if isinstance(ownership, Failure):
        acls_disabled = False if ownership.code in _NOT_SET else None
        if acls_disabled is None:
            gaps.append(read_gap("s3", "GetBucketOwnershipControls", ownership))
    else:
        rules = ownership.get("OwnershipControls", {}).get("Rules", [])
        settings = [r.get("ObjectOwnership") for r in rules]
        acls_disabled = "BucketOwnerEnforced" in settings
        shown = ", ".join(map(str, settings)) or "not-set"
        evidence.append(Evidence(key="aws.object-ownership", value=shown))

    acl_public: bool | None
    if isinstance(acl, Failure):
        acl_public = None
        gaps.append(read_gap("s3", "GetBucketAcl", acl))
    else:
        public_grants = [
            Evidence(
                key="aws.acl-grant",
                subject=_PUBLIC_GROUPS[g["Grantee"]["URI"]],
                value=str(g.get("Permission")),
            )
            for g in acl.get("Grants", [])
            if g.get("Grantee", {}).get("URI") in _PUBLIC_GROUPS
        ]
        evidence.extend(public_grants)
        acl_public = bool(public_grants)
    if acls_disabled is True:
        acl_public = False
        evidence.append(Evidence(key="aws.acls-disabled", subject="BucketOwnerEnforced"))

    via_policy = _neutralised(policy_public, flags["RestrictPublicBuckets"])
    via_acl = _neutralised(acl_public, flags["IgnorePublicAcls"])
    if True in (via_policy, via_acl):
        verdict = PublicVerdict.PUBLIC
    elif all(flags.values()):
        verdict = PublicVerdict.BLOCKED
    elif None in (via_policy, via_acl) or None in flags.values():
        verdict = PublicVerdict.UNKNOWN
    else:
        verdict = PublicVerdict.NOT_BLOCKED
    return PublicAccess(verdict=verdict, evidence=tuple(evidence)), gaps


_ORG_KEYS = ("aws:principalorgid", "aws:principalorgpaths")


def _principal_accounts(principal: Any) -> list[tuple[str, str]]:
    if not isinstance(principal, Mapping):
        return []  # "*" is public access, judged by the policy status, not a named principal
    values = principal.get("AWS", [])
    values = [values] if isinstance(values, str) else list(values)
    found = []
    for value in values:
        text = str(value)
        account = arns.principal_account(text)
        if account is not None:
            found.append((text, account))
        elif re.fullmatch(r"\d{12}", text):
            found.append((text, text))
    return found


def _org_limited(statement: Mapping[str, Any]) -> bool:
    conditions = statement.get("Condition", {})
    return any(
        key.lower() in _ORG_KEYS
        for operator in conditions.values()
        if isinstance(operator, Mapping)
        for key in operator
    )


def external_principals(
    policy: Read, known_accounts: Collection[str]
) -> tuple[tuple[str, ...], Gap | None]:
    """GetBucketPolicy -> principals of Allow statements in accounts outside ``known_accounts``
    (the organisation's accounts, or the bucket owner's alone when not scanning an organisation).
    """
    if isinstance(policy, Failure):
        if policy.code == "NoSuchBucketPolicy":
            return (), None
        return (), read_gap("s3", "GetBucketPolicy", policy)
    try:
        document = json.loads(str(policy.get("Policy", "{}")))
    except json.JSONDecodeError:
        why = Evidence(key="aws.policy-not-json")
        return (), READS["s3", "GetBucketPolicy"].gap("bucket policy is not valid JSON", why=why)
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    external: dict[str, None] = {}
    for statement in statements:
        if statement.get("Effect") != "Allow" or _org_limited(statement):
            continue
        for text, account in _principal_accounts(statement.get("Principal")):
            if account not in known_accounts:
                external[text] = None
    return tuple(sorted(external)), None
