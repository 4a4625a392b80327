"""The AWS provider: accounts (one, or every account of an Organization) and their S3 buckets."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar

import boto3

from residency_audit.catalog.listing import RegionListing
from residency_audit.errors import CollectionError
from residency_audit.model import Bucket, CoverageNote
from residency_audit.permission_docs import PermissionRequest
from residency_audit.plugins import Scope
from residency_audit.shard import ShardPlan

from . import arns, live_regions, partitions, permissions, role_documents
from .client import AwsAccount, AwsApiError, SessionFactory, assume_role_account, base_account
from .collector import AccountScan, ScanContext
from .config_source import ConfigInventory
from .credentials import CONNECT_CODES, credential_error
from .settings import AwsSettings, PartitionSettings, parse_settings

__all__ = ["AwsProvider"]

log = logging.getLogger(__name__)


class AwsProvider:
    """Implements :class:`residency_audit.plugins.Provider` for AWS S3.

    ``session_factory`` builds every boto3 session (default :class:`boto3.Session`); tests pass
    one that registers botocore event hooks to record or fault-inject calls.
    """

    name: ClassVar[str] = "aws"
    _shard: ShardPlan | None = None  # scan --shard: see use_shard
    # `scan --account/--region/--aws-profile` (residency_audit.plugins.CommandLineScoped)
    command_line_settings: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "account": ("include_accounts",),
        "region": ("regions",),
        "aws_profile": ("profile",),
    }

    def __init__(
        self, settings: AwsSettings, *, session_factory: SessionFactory | None = None
    ) -> None:
        self.settings = settings
        self._factory: SessionFactory = session_factory or boto3.Session
        self._bases: dict[str, AwsAccount] = {}
        self._lock = threading.Lock()
        self._read_tags = True  # until the scan says which tag keys it uses
        self._inventory: ConfigInventory | None = None  # source = "inventory", made by scopes()

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, Any], *, session_factory: SessionFactory | None = None
    ) -> AwsProvider:
        """Validate ``[providers.aws]``; makes no network call."""
        return cls(parse_settings(settings), session_factory=session_factory)

    def use_tag_keys(self, keys: frozenset[str]) -> None:
        """The tag keys the scan uses (:class:`residency_audit.plugins.TagAware`). With none,
        a bucket's tags are read only where an AWS Backup selection of its region selects by tag:
        one GetBucketTagging a bucket saved."""
        self._read_tags = bool(keys)

    def use_shard(self, plan: ShardPlan) -> None:
        """scan --shard (residency_audit.plugins.ShardAware): each account is listed, then only
        this shard's share of its buckets is read (collector.AccountScan._shared_listing)."""
        self._shard = plan

    # --- scopes ---------------------------------------------------------------------------------

    def _partition(self, name: str) -> PartitionSettings:
        return next(p for p in self.settings.partitions if p.name == name)

    def _base(self, partition: PartitionSettings) -> AwsAccount:
        with self._lock:
            if partition.name not in self._bases:
                try:
                    self._bases[partition.name] = base_account(
                        self._factory, partition, self.settings
                    )
                except AwsApiError as exc:
                    raise credential_error(exc, partition, instance_role=True) or CollectionError(
                        f"aws partition {partition.name}: no usable credentials ({exc.code})",
                        code=exc.code,
                    ) from None
            return self._bases[partition.name]

    def _partition_scopes(self, partition: PartitionSettings) -> list[Scope]:
        base = self._base(partition)
        try:
            identity = base.call("sts", partition.home_region, "GetCallerIdentity")
        except AwsApiError as exc:
            denied = credential_error(exc, partition, instance_role=base.instance_role)
            if denied is not None:
                raise denied from None
            # an unreachable endpoint: say which, and that it was given its connect timeout
            where = (
                f": {exc.message} within {base.connect_timeout:g} s"
                if exc.code in CONNECT_CODES
                else ""
            )
            raise CollectionError(
                f"aws partition {partition.name}: cannot identify the caller "
                f"(sts:GetCallerIdentity {exc.code}{where})",
                code=exc.code,
            ) from None
        caller = str(identity["Account"])
        caller_arn = arns.parse(str(identity.get("Arn", "")))
        arn_partition = caller_arn.partition if caller_arn else partition.name
        base.account_id = caller
        common = {"partition": partition.name, "arn_partition": arn_partition}
        if not partition.organization:
            # the caller's account, or the accounts named (`--account`): each other one is
            # entered through the audit role, as in organisation mode, without listing the org
            named = (
                sorted(partition.include_accounts - partition.exclude_accounts)
                if partition.include_accounts
                else [caller]
            )
            known = frozenset({caller, *named})
            return [
                Scope("aws", a, None, {**common, "assume": a != caller, "known": known})
                for a in named
            ]
        try:
            accounts = [
                a
                for page in base.pages("organizations", partition.home_region, "ListAccounts")
                for a in page.get("Accounts", [])
            ]
        except AwsApiError as exc:
            raise CollectionError(
                f"aws partition {partition.name}: cannot list the organisation's accounts "
                f"(organizations:ListAccounts {exc.code})",
                code=exc.code,
            ) from None
        known = frozenset(str(a["Id"]) for a in accounts)
        scopes = []
        for account in sorted(accounts, key=lambda a: str(a["Id"])):
            account_id = str(account["Id"])
            if partition.include_accounts and account_id not in partition.include_accounts:
                continue
            if account_id in partition.exclude_accounts:
                continue
            context = {
                **common,
                "assume": account_id != caller,
                "known": known,
                "status": str(account.get("Status", "ACTIVE")),
            }
            scopes.append(Scope("aws", account_id, account.get("Name"), context))
        return scopes

    def scopes(self) -> list[Scope]:
        """The caller's account, or every (included, not excluded) account of the organisation,
        for each configured partition. Failing to enumerate raises CollectionError."""
        scopes = [s for p in self.settings.partitions for s in self._partition_scopes(p)]
        if self.settings.inventory is not None:  # config_source.py: the AWS Config aggregator
            first = self.settings.partitions[0]
            self._inventory = ConfigInventory(self._base(first), self.settings.inventory)
            alone = not (first.organization or first.include_accounts)
            scopes = self._inventory.scopes(scopes, extend=alone)
        return scopes

    # --- buckets --------------------------------------------------------------------------------

    def _account(self, scope: Scope) -> AwsAccount:
        partition = self._partition(str(scope.context["partition"]))
        base = self._base(partition)
        status = scope.context.get("status", "ACTIVE")
        if status != "ACTIVE":
            raise CollectionError(
                f"account {scope.id} is {status} in the organisation and cannot be scanned",
                code=str(status),
            )
        if not scope.context.get("assume"):
            return base
        try:
            return assume_role_account(base, self._factory, scope.id, self.settings)
        except AwsApiError as exc:
            raise CollectionError(
                f"account {scope.id}: cannot assume role {partition.role_name!r} "
                f"(sts:AssumeRole {exc.code})",
                code=exc.code,
            ) from None

    def buckets(self, scope: Scope) -> Iterator[Bucket | CoverageNote]:
        account = self._account(scope)
        context = ScanContext(
            account_id=scope.id,
            arn_partition=str(scope.context.get("arn_partition", "aws")),
            known_accounts=frozenset(scope.context.get("known", {scope.id})),
            max_workers=self.settings.max_workers,
            bucket_read_timeout=self.settings.bucket_read_timeout,
            read_tags=self._read_tags,
            share=None
            if self._shard is None
            else partial(self._shard.share, scope.provider, scope.id),
        )
        try:
            inventory = self._inventory
            scan = (
                AccountScan(account, context)
                if inventory is None
                else inventory.scan(account, context)
            )
            yield from scan.run()
        finally:
            regions = account.regions_read()
            log.info(
                "aws account %s: regions read: %s",
                scope.id,
                ", ".join(regions) or "none",
                extra={
                    "event": "aws.regions",
                    "provider": "aws",
                    "scope": scope.id,
                    "regions": regions,
                },
            )

    # --- region listings for `residency-audit catalog check` ---------------------------------

    @classmethod
    def sdk_region_listings(cls) -> list[RegionListing]:
        """Every region of every partition in the installed botocore: no network, no credentials."""
        return partitions.sdk_region_listings()

    def live_region_listings(self) -> list[RegionListing]:
        """Each configured partition's regions as its account and its public SSM parameters list
        them. A partition or read that fails is named in ``problems``; CollectionError when no
        list at all could be read."""
        listings: list[RegionListing] = []
        for partition in self.settings.partitions:
            try:
                base = self._base(partition)
            except CollectionError as exc:
                listings.append(live_regions.unread_partition(partition.name, [str(exc)]))
                continue
            listings.extend(live_regions.partition_listings(base))
        if not any(listing.regions for listing in listings):
            problems = [p for listing in listings for p in listing.problems]
            raise CollectionError("aws: no region list could be read: " + "; ".join(problems))
        return listings

    # --- permissions ----------------------------------------------------------------------------

    def required_permissions(self) -> Sequence[str]:
        actions = permissions.required_permissions(inventory=self.settings.inventory is not None)
        if any(_assumes(p) for p in self.settings.partitions):
            actions = sorted([*actions, "sts:AssumeRole"])
        return actions

    def permission_policy(self) -> Mapping[str, Any]:
        roles = [p.role_name for p in self.settings.partitions if _assumes(p)]
        inventory = self.settings.inventory is not None
        return permissions.permission_policy(role_names=roles, inventory=inventory)

    # `residency-audit permissions aws --organization/--member-role/--format cloudformation`
    # (residency_audit.permission_docs.PermissionDocuments)
    permission_variants: ClassVar[Sequence[str]] = role_documents.VARIANTS
    permission_formats: ClassVar[Sequence[str]] = role_documents.FORMATS
    permission_options: ClassVar[frozenset[str]] = role_documents.OPTIONS

    def permission_document(self, request: PermissionRequest) -> str:
        """The management policy, the member role or its CloudFormation template, from the
        declared operations and these settings (the request's options win)."""
        return role_documents.render(self.settings, request)


def _assumes(partition: PartitionSettings) -> bool:
    """Whether the partition's scan may enter other accounts through the audit role: in
    organisation mode, or when it names the accounts (``include_accounts``)."""
    return partition.organization or bool(partition.include_accounts)
