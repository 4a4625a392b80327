"""AWS Backup: which plans cover a bucket, and where their vaults and copies live. Pure functions.

Selection semantics (AWS Backup developer guide, "Assign resources with AWS CLI" and the
BackupSelection API reference):

* ``Resources`` ARNs (``*`` wildcards) and ``ListOfTags`` (StringEquals only) select by OR;
  neither present selects every supported resource;
* every entry of ``Conditions`` (StringEquals/StringNotEquals/StringLike/StringNotLike on
  ``aws:ResourceTag/<key>``) must hold (AND);
* ``NotResources`` excludes.

A plan backs up resources of its own region only, so a bucket is matched against the plans of its
region. Every rule of a matching plan applies: its target vault holds a copy in the plan's region
and each CopyAction puts another in the destination vault's region and account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from fnmatch import fnmatchcase
from typing import Any

from residency_audit.model import Certainty, Evidence, Gap, Location, Role

from . import arns
from .normalize import PROVIDER, Failure
from .reads import READS, read_gap

__all__ = [
    "BackupPlan",
    "Match",
    "RegionBackup",
    "backup_for_bucket",
    "plan_locations",
    "selection_matches",
]


class Match(Enum):
    NO = "no"
    BY_ARN = "arn"  # named by its exact ARN
    BY_PATTERN = "pattern"  # selected through a wildcard or tags
    UNKNOWN = "unknown"  # depends on tags we could not read


@dataclass(frozen=True)
class BackupPlan:
    plan_id: str
    name: str
    region: str
    account: str
    plan: Mapping[str, Any]  # GetBackupPlan's BackupPlan
    selections: tuple[Mapping[str, Any], ...] = ()  # GetBackupSelection's BackupSelection
    selections_error: Failure | None = None


@dataclass(frozen=True)
class RegionBackup:
    """Every backup plan of one region, or why they could not be read."""

    region: str
    plans: tuple[BackupPlan, ...] = ()
    error: Failure | None = None

    @property
    def selects_by_tag(self) -> bool:
        """Whether a selection of some plan here names tags (``ListOfTags`` or ``Conditions``),
        so that which buckets it covers depends on their tags."""
        return any(
            selection.get("ListOfTags")
            or any(entries for entries in (selection.get("Conditions") or {}).values())
            for plan in self.plans
            for selection in plan.selections
        )


def _glob(pattern: str, value: str) -> bool:
    """IAM's ``*`` (any run) and ``?`` (one character), case-sensitive; AWS has no character
    classes, so ``[`` is escaped to stand for itself."""
    return fnmatchcase(value, pattern.replace("[", "[[]"))


def _tag_key(key: str) -> str:
    return key.split("aws:ResourceTag/", 1)[1] if key.startswith("aws:ResourceTag/") else key


def _condition_holds(operator: str, key: str, value: str, tags: Mapping[str, str]) -> bool | None:
    actual = tags.get(_tag_key(key))
    if operator == "StringEquals":
        return actual == value
    if operator == "StringNotEquals":
        return actual != value  # IAM semantics: a missing tag satisfies a negated condition
    if operator == "StringLike":
        return actual is not None and _glob(value, actual)
    if operator == "StringNotLike":
        return actual is None or not _glob(value, actual)
    return None  # an operator we do not know: it may match, so the answer is unknown, not "no"


def _any(values: list[bool | None]) -> bool | None:
    if True in values:
        return True
    return None if None in values else False


def _all(values: list[bool | None]) -> bool | None:
    if False in values:
        return False
    return None if None in values else True


def selection_matches(
    selection: Mapping[str, Any], arn: str, tags: Mapping[str, str] | None
) -> Match:
    """Does one BackupSelection cover the bucket ``arn``? ``tags=None``: tags unreadable."""
    if any(_glob(p, arn) for p in selection.get("NotResources") or []):
        return Match.NO
    resources = [str(r) for r in selection.get("Resources") or []]
    list_of_tags = list(selection.get("ListOfTags") or [])
    by_arn = arn in resources
    included: list[bool | None] = [by_arn, any(_glob(p, arn) for p in resources)]
    for tag in list_of_tags:
        if tags is None:
            included.append(None)
        else:
            key = _tag_key(str(tag.get("ConditionKey", "")))
            if tag.get("ConditionType", "STRINGEQUALS") != "STRINGEQUALS":
                included.append(None)  # a condition type we do not know: unknown, not "no"
            else:
                included.append(tags.get(key) == tag.get("ConditionValue"))
    selected = _any(included) if resources or list_of_tags else True
    holds: list[bool | None] = [
        None
        if tags is None
        else _condition_holds(
            operator, str(entry.get("ConditionKey", "")), str(entry.get("ConditionValue", "")), tags
        )
        for operator, entries in (selection.get("Conditions") or {}).items()
        for entry in entries or []
    ]
    verdict = _all([selected, _all(holds)])
    if verdict is None:
        return Match.UNKNOWN
    if not verdict:
        return Match.NO
    return Match.BY_ARN if by_arn else Match.BY_PATTERN


def _vault_region(arn: str) -> str | None:
    parsed = arns.parse(arn)  # arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME
    if parsed is not None and parsed.service == "backup":
        return parsed.region or None
    return None


def plan_locations(plan: BackupPlan, partition: str, certainty: Certainty) -> list[Location]:
    """Every vault a plan's rules write to: the rule's own vault and each copy destination."""
    locations: list[Location] = []
    for rule in plan.plan.get("Rules", []):
        vault = rule.get("TargetBackupVaultName")
        if vault:
            locations.append(
                Location(
                    role=Role.BACKUP,
                    provider=PROVIDER,
                    region=plan.region,
                    mechanism="aws-backup",
                    target=f"arn:{partition}:backup:{plan.region}:{plan.account}"
                    f":backup-vault:{vault} (plan {plan.name})",
                    certainty=certainty,
                )
            )
        for action in rule.get("CopyActions", []):
            arn = str(action.get("DestinationBackupVaultArn", ""))
            region = _vault_region(arn)
            locations.append(
                Location(
                    role=Role.BACKUP,
                    provider=PROVIDER,
                    region=region,
                    mechanism="aws-backup-copy",
                    target=f"{arn} (plan {plan.name})",
                    certainty=certainty,
                    unknown_reason=None if region else "copy destination is not a vault ARN",
                    why=None if region else Evidence(key="aws.backup-copy-not-vault-arn"),
                )
            )
    return locations


# a backup setting that could not be evaluated (not a failed read) leaves the same gap as one
_BACKUP = READS["backup", "ListBackupPlans"]


def backup_for_bucket(
    arn: str,
    tags: Mapping[str, str] | None,
    region: RegionBackup | None,
    partition: str,
    bucket_region: str | None,
) -> tuple[list[Location], list[Gap]]:
    """Backup locations of one bucket from its region's plans; anything unreadable is a gap."""
    if region is None:
        if bucket_region is None:
            reason = "bucket region unknown, so its backup plans could not be looked up"
            why = Evidence(key="aws.backup-plans-region-unknown")
        else:
            reason = f"backup plans in {bucket_region} were not read"
            why = Evidence(key="aws.backup-plans-not-read", subject=bucket_region)
        return [], [_BACKUP.gap(reason, why=why)]
    if region.error is not None:
        gap = read_gap(
            "backup",
            "ListBackupPlans",
            region.error,
            label=f"backup:ListBackupPlans in {region.region}",
            why="aws.backup-plans-read-failed",
            subject=region.region,
        )
        return [], [gap]
    locations: list[Location] = []
    gaps: list[Gap] = []
    for plan in region.plans:
        if plan.selections_error is not None:
            gaps.append(
                read_gap(
                    "backup",
                    "GetBackupPlan",  # or its selections: one row, the same field and hides
                    plan.selections_error,
                    label=f"reading the selections of backup plan {plan.name} in {plan.region}",
                    why="aws.backup-selections-read-failed",
                    subject=plan.name,
                )
            )
            continue
        matches = [selection_matches(s, arn, tags) for s in plan.selections]
        if Match.BY_ARN in matches:
            locations.extend(plan_locations(plan, partition, Certainty.CONFIRMED))
        elif Match.BY_PATTERN in matches:
            # Wildcard/tag assignments also depend on the region's S3 opt-in and versioning.
            locations.extend(plan_locations(plan, partition, Certainty.POSSIBLE))
        elif Match.UNKNOWN in matches:
            if tags is None:
                what = "selects by tag and the bucket's tags could not be read"
                words = Evidence(key="aws.backup-plan-by-tag", subject=plan.name)
            else:
                what = "uses a selection condition this tool cannot evaluate"
                words = Evidence(key="aws.backup-plan-condition", subject=plan.name)
            gaps.append(_BACKUP.gap(f"backup plan {plan.name} {what}", why=words))
    return locations, gaps


def plan_from_responses(
    plan_response: Mapping[str, Any],
    region: str,
    account: str,
    selections: Sequence[Mapping[str, Any]] | Failure,
) -> BackupPlan:
    """GetBackupPlan + the GetBackupSelection responses -> BackupPlan."""
    body = plan_response.get("BackupPlan", {})
    return BackupPlan(
        plan_id=str(plan_response.get("BackupPlanId", "")),
        name=str(body.get("BackupPlanName", plan_response.get("BackupPlanId", ""))),
        region=region,
        account=account,
        plan=body,
        selections=()
        if isinstance(selections, Failure)
        else tuple(s.get("BackupSelection", {}) for s in selections),
        selections_error=selections if isinstance(selections, Failure) else None,
    )
