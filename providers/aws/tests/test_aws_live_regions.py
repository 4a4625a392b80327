"""The region-listing hooks `residency-audit catalog check` calls.

``sdk_region_listings`` reads the installed botocore. ``live_region_listings`` reads, per
configured partition, the public SSM parameters under ``/aws/service/global-infrastructure/regions``
from in-process moto (moto 5.2.5 ships them, with each region's ``longName``) and
``account:ListRegions``, which moto does not implement (it answers 404 "Not yet implemented"):
that one is answered by a botocore ``Stubber`` shaped like the Account Management API reference
(https://docs.aws.amazon.com/accounts/latest/reference/API_ListRegions.html: ``Regions`` of
``RegionName`` / ``RegionOptStatus``, ``NextToken``), which also checks our request against the
service model.
"""

from __future__ import annotations

from typing import Any

import botocore
import pytest
from botocore.stub import Stubber

from residency_audit.catalog import load_catalog
from residency_audit.catalog.drift import check
from residency_audit.catalog.listing import RegionListing
from residency_audit.errors import CollectionError
from residency_audit_aws import AwsProvider
from residency_audit_aws.live_regions import OPT_STATUSES

# an opt-in region the account has not enabled still exists: it must be listed too
ACCOUNT_PAGES = [
    {
        "Regions": [
            {"RegionName": "us-east-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"},
            {"RegionName": "ap-northeast-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"},
        ],
        "NextToken": "page-2",
    },
    {
        "Regions": [
            {"RegionName": "ap-east-1", "RegionOptStatus": "ENABLED"},
            {"RegionName": "me-west-1", "RegionOptStatus": "DISABLED"},
        ]
    },
]


def test_sdk_listing_has_every_botocore_partition_and_no_pseudo_region() -> None:
    listings = AwsProvider.sdk_region_listings()
    by_cloud = {x.source.rsplit("(", 1)[1].rstrip(")"): x for x in listings}
    assert {"aws", "aws-cn", "aws-us-gov", "aws-iso-e", "aws-iso-f", "aws-eusc"} <= set(by_cloud)
    assert all(x.gives_cloud and not x.live for x in listings)
    assert all(x.source.startswith(f"botocore {botocore.__version__} ") for x in listings)
    codes = {r.code: r for x in listings for r in x.regions}
    assert codes["eusc-de-east-1"].cloud == "aws-eusc"
    assert codes["me-west-1"].cloud == "aws" and codes["sa-west-1"].cloud == "aws"
    assert codes["ap-northeast-1"].display_name == "Asia Pacific (Tokyo)"
    assert not [c for c in codes if c.endswith("-global")]


def _provider(recorder: Any, **settings: Any) -> AwsProvider:
    return AwsProvider.from_settings({"max_attempts": 1, **settings}, session_factory=recorder)


def _stub_account(provider: AwsProvider, pages: list[dict[str, Any]]) -> Stubber:
    partition = provider.settings.partitions[0]
    client = provider._base(partition).client("account", partition.home_region)
    stubber = Stubber(client)
    token = None
    for page in pages:
        expected: dict[str, Any] = {
            "RegionOptStatusContains": list(OPT_STATUSES),
            "MaxResults": 50,
        }
        if token:
            expected["NextToken"] = token
        stubber.add_response("list_regions", page, expected)
        token = page.get("NextToken")
    stubber.activate()
    return stubber


def _by_read(listings: list[RegionListing]) -> dict[str, RegionListing]:
    return {x.source.split(" ")[0]: x for x in listings}


@pytest.mark.usefixtures("moto")
def test_live_listing_reads_account_regions_of_every_status_and_the_ssm_list(
    recorder: Any,
) -> None:
    provider = _provider(recorder)
    stubber = _stub_account(provider, ACCOUNT_PAGES)
    listings = provider.live_region_listings()
    stubber.assert_no_pending_responses()  # both pages were asked for
    account, ssm = _by_read(listings)["account:ListRegions"], _by_read(listings)["ssm"]
    assert all(x.live and not x.problems for x in listings)
    assert {r.code: r.cloud for r in account.regions} == {
        "us-east-1": "aws",
        "ap-northeast-1": "aws",
        "ap-east-1": "aws",
        "me-west-1": "aws",  # DISABLED for the account, listed all the same
    }
    ssm_names = {r.code: r.display_name for r in ssm.regions}
    assert ssm_names["ap-northeast-1"] == "Asia Pacific (Tokyo)"
    assert {"us-east-1", "eu-west-1", "af-south-1"} <= set(ssm_names)
    assert {r.code: r.display_name for r in account.regions}[
        "ap-east-1"
    ] == "Asia Pacific (Hong Kong)"
    # only declared reads, in the partition's home region
    assert recorder.operations() == {
        ("account", "ListRegions"),
        ("ssm", "GetParametersByPath"),
        ("ssm", "GetParameters"),
    }
    # what catalog check makes of it: every listed code is in the shipped catalog
    result = check(listings, load_catalog())
    assert all(item.new_regions == () for item in result.listings)


@pytest.mark.usefixtures("moto")
def test_ssm_refused_keeps_the_account_listing_and_names_the_refusal(recorder: Any) -> None:
    recorder.fail("ssm", "GetParametersByPath", "AccessDeniedException", status=400)
    recorder.fail("ssm", "GetParameters", "AccessDeniedException", status=400)
    provider = _provider(recorder)
    _stub_account(provider, ACCOUNT_PAGES)
    [account] = provider.live_region_listings()
    assert account.source.startswith("account:ListRegions")
    assert len(account.regions) == 4
    assert any(
        "ssm:GetParametersByPath" in p and "AccessDeniedException" in p for p in account.problems
    )
    assert any("region names not read" in p for p in account.problems)
    assert check([account], load_catalog()).incomplete  # the check cannot say "in step"


@pytest.mark.usefixtures("moto")
def test_account_regions_unreadable_keeps_the_ssm_listing(recorder: Any) -> None:
    # moto itself answers account:ListRegions with 404 "Not yet implemented"
    recorder.fail("account", "ListRegions", "AccessDeniedException")
    [ssm] = _provider(recorder).live_region_listings()
    assert ssm.source.startswith("ssm ") and len(ssm.regions) > 30
    assert [p for p in ssm.problems if "account:ListRegions failed: AccessDeniedException" in p]


@pytest.mark.usefixtures("moto")
def test_nothing_readable_raises_collection_error_naming_each_read(recorder: Any) -> None:
    recorder.fail("account", "ListRegions", "AccessDeniedException")
    recorder.fail("ssm", "GetParametersByPath", "AccessDeniedException", status=400)
    with pytest.raises(CollectionError) as error:
        _provider(recorder).live_region_listings()
    assert "account:ListRegions" in str(error.value) and "ssm:GetParametersByPath" in str(
        error.value
    )


@pytest.mark.usefixtures("moto")
def test_a_partition_that_cannot_be_read_is_a_problem_not_a_lost_listing(recorder: Any) -> None:
    recorder.fail("ssm", "GetParametersByPath", "AccessDeniedException", status=400)
    recorder.fail("ssm", "GetParameters", "AccessDeniedException", status=400)
    provider = _provider(recorder, partitions={"aws": {}, "aws-eusc": {"profile": "missing"}})
    _stub_account(provider, ACCOUNT_PAGES)
    listings = provider.live_region_listings()
    unread = [x for x in listings if "aws-eusc" in x.source]
    assert [x.regions for x in unread] == [()]
    assert "no usable credentials" in unread[0].problems[0]
    assert [len(x.regions) for x in listings if "aws-eusc" not in x.source] == [4]
