"""The regions a partition's own services list, for ``residency-audit catalog check``.

Two reads per configured partition, both in its home region and through :class:`AwsAccount`
(so only declared read operations are called):

* ``account:ListRegions`` with every opt-in status: a region the account has not enabled
  (``DISABLED``) still exists and still needs a catalog row.
* the public SSM parameters under ``/aws/service/global-infrastructure/regions`` (one parameter
  per region, whose value is the region code; ``<path>/<code>/longName`` its name). Reading them
  needs ``ssm:GetParametersByPath`` / ``ssm:GetParameters``, which many audit roles lack.

A read that fails is named in the listing's ``problems``; the other read's listing stays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

from residency_audit.catalog.listing import ListedRegion, RegionListing

from .client import AwsAccount, AwsApiError

__all__ = ["OPT_STATUSES", "SSM_PATH", "partition_listings", "unread_partition"]

# every RegionOptStatus of the Account Management API (botocore account service-2.json)
OPT_STATUSES = ("ENABLED", "ENABLING", "DISABLING", "DISABLED", "ENABLED_BY_DEFAULT")
SSM_PATH = "/aws/service/global-infrastructure/regions"
_GET_PARAMETERS_MAX = 10  # GetParameters takes at most 10 names a call


def _failed(partition: str, read: str, exc: AwsApiError, what: str = "") -> str:
    return f"aws partition {partition}: {read} failed: {exc.code}{what}"


def _account_regions(account: AwsAccount) -> list[tuple[str, str]]:
    pages = account.pages(
        "account",
        account.partition.home_region,
        "ListRegions",
        RegionOptStatusContains=list(OPT_STATUSES),
        MaxResults=50,
    )
    return [
        (str(r["RegionName"]), str(r.get("RegionOptStatus", "")))
        for page in pages
        for r in page.get("Regions", [])
    ]


def _ssm_codes(account: AwsAccount) -> list[str]:
    pages = account.pages(
        "ssm", account.partition.home_region, "GetParametersByPath", Path=SSM_PATH, MaxResults=10
    )
    return [str(p["Value"]) for page in pages for p in page.get("Parameters", [])]


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _long_names(account: AwsAccount, codes: Sequence[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for batch in _batches(sorted(set(codes)), _GET_PARAMETERS_MAX):
        response = account.call(
            "ssm",
            account.partition.home_region,
            "GetParameters",
            Names=[f"{SSM_PATH}/{code}/longName" for code in batch],
        )
        for parameter in response.get("Parameters", []):
            code = str(parameter["Name"]).removeprefix(f"{SSM_PATH}/").split("/")[0]
            names[code] = str(parameter.get("Value", ""))
    return names  # a region without a longName parameter (InvalidParameters) keeps no name


def partition_listings(account: AwsAccount) -> list[RegionListing]:
    """The account's regions and the SSM list of one partition, as far as each could be read."""
    name = account.partition.name
    problems: list[str] = []
    listed: list[str] | None = None
    try:
        account_regions: list[tuple[str, str]] | None = _account_regions(account)
    except AwsApiError as exc:
        account_regions = None
        problems.append(_failed(name, "account:ListRegions", exc))
    try:
        listed = _ssm_codes(account)
    except AwsApiError as exc:
        problems.append(_failed(name, f"ssm:GetParametersByPath {SSM_PATH}", exc))
    codes = [code for code, _ in account_regions or []] + (listed or [])
    names: dict[str, str] = {}
    if codes:
        try:
            names = _long_names(account, codes)
        except AwsApiError as exc:
            problems.append(_failed(name, "ssm:GetParameters", exc, " (region names not read)"))
    listings: list[RegionListing] = []
    if account_regions is not None:
        listings.append(
            RegionListing(
                provider="aws",
                source=f"account:ListRegions ({name}, every opt-in status)",
                # ListRegions answers for the caller's own partition only
                regions=tuple(
                    ListedRegion(code=code, cloud=name, display_name=names.get(code, ""))
                    for code, _ in account_regions
                ),
                live=True,
                gives_cloud=True,
            )
        )
    if listed is not None:
        listings.append(
            RegionListing(
                provider="aws",
                source=f"ssm {SSM_PATH} ({name})",
                regions=tuple(
                    ListedRegion(code=code, display_name=names.get(code, "")) for code in listed
                ),
                live=True,
            )
        )
    if not listings:
        return [unread_partition(name, problems)]
    # the partition's problems go with its first listing, so the check names each once
    return [dataclasses.replace(listings[0], problems=tuple(problems)), *listings[1:]]


def unread_partition(name: str, problems: Sequence[str]) -> RegionListing:
    """A partition none of whose region lists could be read: no regions, only its problems."""
    return RegionListing(
        provider="aws",
        source=f"account:ListRegions and ssm {SSM_PATH} ({name})",
        regions=(),
        live=True,
        problems=tuple(problems),
    )
