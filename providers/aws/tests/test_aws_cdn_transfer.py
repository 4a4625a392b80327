"""Copies made around a bucket: CloudFront edge caches and DataSync transfer tasks.

Against in-process moto, which keeps a distribution's price class, Enabled flag, origins' domain
names and geo restriction, pages ListDistributions, and keeps DataSync locations and tasks per
account and region. moto drops an origin's S3OriginConfig and OriginAccessControlId from
ListDistributions, and a task's Schedule (and every status but AVAILABLE) from DescribeTask: those
shapes are fed through botocore's Stubber instead (it checks them against the service model).
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from residency_audit.model import Bucket, Certainty, CoverageNote, EdgeFilter, Namespace, Role
from residency_audit.testing import read_provider
from residency_audit_aws import AwsProvider, cdn, transfer
from residency_audit_aws import normalize as nz
from residency_audit_aws.client import AwsAccount
from residency_audit_aws.settings import parse_settings

ACCOUNT = "123456789012"
REGIONS = ["us-east-1", "ap-northeast-1", "eu-west-1"]
ROLE = f"arn:aws:iam::{ACCOUNT}:role/datasync"


def _bucket(name: str, region: str) -> None:
    where = {} if region == "us-east-1" else {"LocationConstraint": region}
    client = boto3.client("s3", region_name=region)
    client.create_bucket(Bucket=name, **({"CreateBucketConfiguration": where} if where else {}))


def _distribution(
    reference: str,
    domain: str,
    *,
    price_class: str = "PriceClass_All",
    enabled: bool = True,
    geo: dict[str, Any] | None = None,
) -> str:
    config: dict[str, Any] = {
        "CallerReference": reference,
        "Comment": reference,
        "Enabled": enabled,
        "PriceClass": price_class,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": domain}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "o",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    # an origin that is not a bucket of the moto account (a website endpoint, another account's
    # bucket, any server) is a custom origin: moto refuses an S3 origin naming no bucket it has
    if "s3-website" in domain or not domain.startswith(("tokyo-", "popular.")):
        origin = config["Origins"]["Items"][0]
        origin["CustomOriginConfig"] = {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "http-only",
        }
    else:
        config["Origins"]["Items"][0]["S3OriginConfig"] = {"OriginAccessIdentity": ""}
    if geo is not None:
        config["Restrictions"] = {"GeoRestriction": geo}
    client = boto3.client("cloudfront", region_name="us-east-1")
    return str(client.create_distribution(DistributionConfig=config)["Distribution"]["Id"])


def _s3_location(region: str, bucket: str) -> str:
    client = boto3.client("datasync", region_name=region)
    return str(
        client.create_location_s3(
            S3BucketArn=f"arn:aws:s3:::{bucket}", S3Config={"BucketAccessRoleArn": ROLE}
        )["LocationArn"]
    )


def _task(region: str, source: str, destination: str, name: str) -> str:
    client = boto3.client("datasync", region_name=region)
    return str(
        client.create_task(SourceLocationArn=source, DestinationLocationArn=destination, Name=name)[
            "TaskArn"
        ]
    )


def _scan(recorder: Any = None) -> tuple[dict[str, Bucket], list[CoverageNote]]:
    provider = AwsProvider.from_settings(
        {"regions": REGIONS, "max_attempts": 1}, session_factory=recorder
    )
    return read_provider(provider)


def _of(bucket: Bucket, role: Role) -> list[Any]:
    return [loc for loc in bucket.locations if loc.role is role]


# --- CloudFront ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("moto")
def test_each_distribution_in_front_of_a_bucket_is_a_possible_edge_copy_of_it() -> None:
    _bucket("tokyo-drawings", "ap-northeast-1")
    _bucket("plain", "us-east-1")
    everywhere = _distribution(
        "all",
        "tokyo-drawings.s3.ap-northeast-1.amazonaws.com",
        geo={"RestrictionType": "blacklist", "Quantity": 1, "Items": ["hk"]},
    )
    site = _distribution(
        "site",
        "tokyo-drawings.s3-website-ap-northeast-1.amazonaws.com",
        price_class="PriceClass_100",
        enabled=False,  # its edges may still hold what they cached
        geo={"RestrictionType": "whitelist", "Quantity": 2, "Items": ["JP", "US"]},
    )
    _distribution("elsewhere", "someone-elses.s3.amazonaws.com")  # not a bucket of the account
    _distribution("api", "api.example.com")  # not a bucket at all

    buckets, _ = _scan()

    caches = {loc.target: loc for loc in _of(buckets["tokyo-drawings"], Role.CACHE)}
    assert set(caches) == {everywhere, site}
    assert caches[everywhere].region == "cloudfront:PriceClass_All"
    assert caches[everywhere].edge_filter == EdgeFilter(mode="block", countries=("HK",))
    assert caches[site].region == "cloudfront:PriceClass_100"
    assert caches[site].edge_filter == EdgeFilter(mode="allow", countries=("JP", "US"))
    for loc in caches.values():
        assert (loc.namespace, loc.mechanism, loc.certainty, loc.provider) == (
            Namespace.CDN,
            "cloudfront",
            Certainty.POSSIBLE,
            "aws",
        )
    assert _of(buckets["plain"], Role.CACHE) == []
    assert not [g for b in buckets.values() for g in b.gaps if g.field == "cloudfront"]


@pytest.mark.usefixtures("moto")
def test_distributions_are_read_a_hundred_a_page_once_an_account(recorder: Any) -> None:
    _bucket("popular", "us-east-1")
    _bucket("quiet", "us-east-1")
    ids = [_distribution(f"d{i}", "popular.s3.amazonaws.com") for i in range(130)]

    buckets, _ = _scan(recorder)

    pages = [c for c in recorder.calls if c[1] == "ListDistributions"]
    assert [p[2].get("MaxItems") for p in pages] == ["100", "100"]
    assert {loc.target for loc in _of(buckets["popular"], Role.CACHE)} == set(ids)


@pytest.mark.usefixtures("moto")
def test_a_refused_distribution_listing_is_a_gap_on_every_bucket(recorder: Any) -> None:
    _bucket("tokyo-drawings", "ap-northeast-1")
    _bucket("plain", "us-east-1")
    recorder.fail("cloudfront", "ListDistributions", "AccessDenied")

    buckets, _ = _scan(recorder)

    for bucket in buckets.values():
        [gap] = [g for g in bucket.gaps if g.field == "cloudfront"]
        assert gap.error_code == "AccessDenied" and gap.may_hide_copy
        assert "cloudfront:ListDistributions" in gap.reason


def test_origin_domains_that_name_a_bucket() -> None:
    named = {
        "b.s3.amazonaws.com": "b",
        "my.dotted.bucket.s3.ap-northeast-1.amazonaws.com": "my.dotted.bucket",
        "b.s3-eu-west-1.amazonaws.com": "b",
        "b.s3.dualstack.us-west-2.amazonaws.com": "b",
        "b.s3-website-ap-northeast-1.amazonaws.com": "b",
        "b.s3-website.eu-central-1.amazonaws.com": "b",
        "b.s3-external-1.amazonaws.com": "b",
        "B.S3.AMAZONAWS.COM": "b",
        "b.s3.cn-north-1.amazonaws.com.cn": "b",
        "b.s3.us-gov-west-1.amazonaws.com": "b",
    }
    for domain, bucket in named.items():
        assert cdn.origin_bucket(domain) == bucket, domain
    for domain in (
        "api.example.com",
        "s3.amazonaws.com",
        "b.s3.amazonaws.com.evil.example",
        "mrap.accesspoint.s3-global.amazonaws.com",
        "elb-123.ap-northeast-1.elb.amazonaws.com",
    ):
        assert cdn.origin_bucket(domain) is None, domain


def test_geo_restrictions_become_edge_filters() -> None:
    assert cdn.edge_filter({"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}}) is None
    assert cdn.edge_filter(None) is None
    block = {
        "GeoRestriction": {"RestrictionType": "blacklist", "Quantity": 2, "Items": ["cn", "HK"]}
    }
    assert cdn.edge_filter(block) == EdgeFilter(mode="block", countries=("CN", "HK"))


@pytest.fixture
def account(aws_env: None) -> AwsAccount:
    settings = parse_settings({"max_attempts": 1})
    return AwsAccount(
        boto3.Session(region_name="us-east-1"), settings.partitions[0], settings, account_id=ACCOUNT
    )


def test_an_origin_with_access_control_and_one_origin_group_member_match(
    account: AwsAccount,
) -> None:
    # moto's ListDistributions drops S3OriginConfig and OriginAccessControlId: the page is the
    # DistributionSummary shape of botocore's cloudfront model, validated by the Stubber
    summary = {
        "Id": "E2OAC",
        "ARN": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2OAC",
        "Status": "Deployed",
        "LastModifiedTime": "2026-01-01T00:00:00Z",
        "DomainName": "d111111abcdef8.cloudfront.net",
        "Aliases": {"Quantity": 0},
        "Origins": {
            "Quantity": 2,
            "Items": [
                {
                    "Id": "primary",
                    "DomainName": "tokyo-drawings.s3.ap-northeast-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": "E1OACEXAMPLE",
                },
                {
                    "Id": "failover",
                    "DomainName": "osaka-drawings.s3.ap-northeast-3.amazonaws.com",
                    "S3OriginConfig": {
                        "OriginAccessIdentity": "origin-access-identity/cloudfront/E1OAI"
                    },
                },
            ],
        },
        "OriginGroups": {"Quantity": 0},
        "DefaultCacheBehavior": {"TargetOriginId": "primary", "ViewerProtocolPolicy": "allow-all"},
        "CacheBehaviors": {"Quantity": 0},
        "CustomErrorResponses": {"Quantity": 0},
        "Comment": "",
        "PriceClass": "PriceClass_200",
        "Enabled": True,
        "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "WebACLId": "",
        "HttpVersion": "http2",
        "IsIPV6Enabled": True,
        "Staging": False,
    }
    stubber = Stubber(account.client("cloudfront", "us-east-1"))
    stubber.add_response(
        "list_distributions",
        {
            "DistributionList": {
                "Marker": "",
                "MaxItems": 100,
                "IsTruncated": False,
                "Quantity": 1,
                "Items": [summary],
            }
        },
        {"MaxItems": "100"},
    )
    with stubber:
        edges = cdn.read_edges(account)
    stubber.assert_no_pending_responses()

    for bucket in ("tokyo-drawings", "osaka-drawings"):
        [loc] = cdn.for_bucket(edges, bucket)[0]
        assert (loc.region, loc.target, loc.edge_filter) == (
            "cloudfront:PriceClass_200",
            "E2OAC",
            None,
        )


# --- DataSync ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("moto")
def test_a_task_copying_a_bucket_is_a_transfer_to_where_its_destination_is() -> None:
    _bucket("tokyo-drawings", "ap-northeast-1")
    _bucket("ireland-copy", "eu-west-1")
    _bucket("other", "us-east-1")
    tokyo = _s3_location("ap-northeast-1", "tokyo-drawings")
    ireland = _s3_location("ap-northeast-1", "ireland-copy")
    to_ireland = _task("ap-northeast-1", tokyo, ireland, "to-ireland")
    nfs = boto3.client("datasync", region_name="ap-northeast-1")
    smb = nfs.create_location_smb(
        ServerHostname="files.partner.example",
        Subdirectory="/share",
        User="u",
        Password="p",
        AgentArns=[f"arn:aws:datasync:ap-northeast-1:{ACCOUNT}:agent/agent-0123456789abcdef0"],
    )["LocationArn"]
    offsite = _task("ap-northeast-1", tokyo, smb, "offsite")
    unrelated = _task(
        "ap-northeast-1", _s3_location("ap-northeast-1", "other"), ireland, "unrelated"
    )

    buckets, _ = _scan()

    found = {loc.target: loc for loc in _of(buckets["tokyo-drawings"], Role.TRANSFER)}
    to_id, offsite_id = (a.rsplit("/", 1)[1] for a in (to_ireland, offsite))
    assert set(found) == {
        f"ireland-copy (task to-ireland ({to_id}))",
        f"{smb} (task offsite ({offsite_id}))",
    }
    for target, loc in found.items():
        assert (loc.mechanism, loc.certainty) == ("datasync", Certainty.CONFIRMED)
        if target.startswith("ireland-copy"):
            assert loc.region == "eu-west-1"
    [outside] = [loc for t, loc in found.items() if t.startswith(smb)]
    assert outside.region is None
    assert outside.why is not None and outside.why.key == "aws.transfer-destination-outside-aws"
    assert outside.why.subject == "files.partner.example" and outside.why.value == "smb"
    assert "files.partner.example" in (outside.unknown_reason or "")
    assert [loc.target for loc in _of(buckets["other"], Role.TRANSFER)] == [
        f"ireland-copy (task unrelated ({unrelated.rsplit('/', 1)[1]}))"
    ]
    assert _of(buckets["ireland-copy"], Role.TRANSFER) == []


@pytest.mark.usefixtures("moto")
def test_a_refused_task_listing_is_a_gap_on_the_buckets_its_tasks_could_copy(
    recorder: Any,
) -> None:
    _bucket("tokyo-drawings", "ap-northeast-1")
    _bucket("virginia", "us-east-1")
    recorder.fail(
        "datasync",
        "ListTasks",
        "AccessDeniedException",
        match=lambda _: True,
        status=400,
    )

    buckets, _ = _scan(recorder)

    for bucket in buckets.values():
        gaps = [g for g in bucket.gaps if g.field == "datasync"]
        # one a region: a task of any region may copy a bucket of another
        assert sorted(g.reason.split(" failed")[0] for g in gaps) == [
            f"datasync:ListTasks in {r}" for r in sorted(REGIONS)
        ]
        assert all(g.may_hide_copy and g.error_code == "AccessDeniedException" for g in gaps)


def _task_response(**fields: Any) -> dict[str, Any]:
    base = {
        "TaskArn": f"arn:aws:datasync:ap-northeast-1:{ACCOUNT}:task/task-0a1b2c3d4e5f60718",
        "Name": "nightly",
        "SourceLocationArn": f"arn:aws:datasync:ap-northeast-1:{ACCOUNT}:location/loc-src",
        "DestinationLocationArn": f"arn:aws:datasync:eu-west-1:{ACCOUNT}:location/loc-dst",
        "Status": "AVAILABLE",
    }
    return base | fields


def test_a_disabled_schedule_or_an_unavailable_task_is_a_possible_copy(
    account: AwsAccount,
) -> None:
    # moto's DescribeTask has no Schedule and every task AVAILABLE: the responses are the
    # DescribeTask shape of botocore's datasync model, validated by the Stubber
    disabled = _task_response(
        Schedule={"ScheduleExpression": "rate(1 day)", "Status": "DISABLED"},
        ScheduleDetails={"DisabledBy": "SERVICE", "DisabledReason": "repeated failures"},
    )
    unavailable = _task_response(
        TaskArn=f"arn:aws:datasync:ap-northeast-1:{ACCOUNT}:task/task-0ffffffffffffffff",
        Name="",
        Status="UNAVAILABLE",
        DestinationLocationArn=f"arn:aws:datasync:ap-northeast-1:{ACCOUNT}:location/loc-efs",
    )
    region = "ap-northeast-1"
    stubber = Stubber(account.client("datasync", region))
    stubber.add_response(
        "list_tasks",
        {"Tasks": [{"TaskArn": disabled["TaskArn"]}, {"TaskArn": unavailable["TaskArn"]}]},
        {"MaxResults": 100},
    )
    stubber.add_response("describe_task", disabled, {"TaskArn": disabled["TaskArn"]})
    stubber.add_response("describe_task", unavailable, {"TaskArn": unavailable["TaskArn"]})
    stubber.add_response(
        "list_locations",
        {
            "Locations": [
                {"LocationArn": disabled["SourceLocationArn"], "LocationUri": "s3://tokyo/"},
                {
                    "LocationArn": unavailable["DestinationLocationArn"],
                    "LocationUri": "efs://ap-northeast-1.fs-0123456789abcdef0/",
                },
            ]
        },
        {"MaxResults": 100},
    )
    # the disabled task's destination location was made in Ireland: listed there
    ireland = Stubber(account.client("datasync", "eu-west-1"))
    ireland.add_response(
        "list_locations",
        {
            "Locations": [
                {"LocationArn": disabled["DestinationLocationArn"], "LocationUri": "s3://dub/x/"}
            ]
        },
        {"MaxResults": 100},
    )
    with stubber, ireland:
        tasks = transfer.read_tasks(account, region)
        where = transfer.location_regions([tasks])
        read = [tasks, *(transfer.read_locations(account, r) for r in where)]
    stubber.assert_no_pending_responses()
    ireland.assert_no_pending_responses()
    assert where == ["ap-northeast-1", "eu-west-1"]

    located, gaps = transfer.transfers_for_bucket(
        "tokyo", region, read, lambda name: nz.DestinationRegion("eu-west-1"), "aws"
    )

    assert gaps == []
    by_mechanism = {loc.mechanism: loc for loc in located}
    assert set(by_mechanism) == {"datasync (schedule disabled)", "datasync (task unavailable)"}
    assert all(loc.certainty is Certainty.POSSIBLE for loc in located)
    assert by_mechanism["datasync (schedule disabled)"].region == "eu-west-1"
    assert (
        by_mechanism["datasync (schedule disabled)"].target
        == "dub (task nightly (task-0a1b2c3d4e5f60718))"
    )
    efs = by_mechanism["datasync (task unavailable)"]
    assert efs.region == "ap-northeast-1"  # an EFS file system lives in its location's region
    assert efs.target == f"{unavailable['DestinationLocationArn']} (task task-0ffffffffffffffff)"


def test_destinations_outside_aws_and_unlisted_ones_are_unknown_with_their_reason() -> None:
    task = transfer.task_from_response(_task_response())
    region = nz.DestinationRegion("eu-west-1")
    for uri, host in (
        ("nfs://10.0.0.5/exports/", "10.0.0.5"),
        ("object-storage://minio.partner.example/bucket/", "minio.partner.example"),
        ("azure-blob://acct.blob.core.windows.net/container/", "acct.blob.core.windows.net"),
        ("hdfs://namenode.example:8020/data/", "namenode.example"),
        ("s3://arn:aws:s3-outposts:ap-northeast-1:123456789012:outpost/op-1/accesspoint/a/", None),
    ):
        loc = transfer.transfer_locations(task, uri, lambda _: region)
        assert loc.region is None, uri
        assert loc.why is not None and loc.why.key == "aws.transfer-destination-outside-aws"
        if host:
            assert loc.why.subject == host
    unlisted = transfer.transfer_locations(task, None, lambda _: region)
    assert unlisted.region is None and unlisted.why is not None
    assert unlisted.why.key == "aws.transfer-destination-unlisted"
    # a destination bucket whose region cannot be read says why, as a replication destination does
    gone = transfer.transfer_locations(task, "s3://gone/", lambda _: nz.DESTINATION_MISSING)
    assert gone.region is None and gone.why == nz.DESTINATION_MISSING.why


def test_a_task_whose_source_was_not_listed_leaves_a_gap_not_silence() -> None:
    task = transfer.task_from_response(_task_response())
    read = transfer.RegionTransfers("ap-northeast-1", {}, (task,))
    located, [gap] = transfer.transfers_for_bucket(
        "tokyo", "ap-northeast-1", [read], lambda _: nz.DestinationRegion("eu-west-1"), "aws"
    )
    assert located == [] and gap.field == "datasync" and gap.may_hide_copy
    assert gap.why is not None and gap.why.key == "aws.transfer-source-unlisted"


def test_in_china_a_regions_unread_tasks_concern_only_its_own_buckets() -> None:
    failed = transfer.RegionTransfers(
        "cn-north-1", errors=(("ListTasks", "datasync:ListTasks in cn-north-1", nz.Failure("X")),)
    )
    here = transfer.transfers_for_bucket(
        "a", "cn-north-1", [failed], lambda _: nz.NOT_LOOKED_UP, "aws-cn"
    )
    there = transfer.transfers_for_bucket(
        "b", "cn-northwest-1", [failed], lambda _: nz.NOT_LOOKED_UP, "aws-cn"
    )
    assert len(here[1]) == 1 and there[1] == []


def test_a_cross_region_task_made_in_the_destinations_region_is_found() -> None:
    # moto keeps a task's locations in the task's own region; DataSync lets one of them be in
    # another region, so the task is read where it is and its source where that was listed
    source = f"arn:aws:datasync:ap-northeast-1:{ACCOUNT}:location/loc-src"
    task = transfer.task_from_response(
        _task_response(
            TaskArn=f"arn:aws:datasync:eu-west-1:{ACCOUNT}:task/task-0a1b2c3d4e5f60718",
            SourceLocationArn=source,
        )
    )
    tokyo = transfer.RegionTransfers("ap-northeast-1", {source: "s3://tokyo/"})
    ireland = transfer.RegionTransfers("eu-west-1", {task.destination: "s3://dub/"}, (task,))
    located, gaps = transfer.transfers_for_bucket(
        "tokyo",
        "ap-northeast-1",
        [tokyo, ireland],
        lambda _: nz.DestinationRegion("eu-west-1"),
        "aws",
    )
    assert gaps == []
    assert [(loc.region, loc.target) for loc in located] == [
        ("eu-west-1", "dub (task nightly (task-0a1b2c3d4e5f60718))")
    ]


# --- what a user sees ----------------------------------------------------------------------------


def _evaluated(settings: dict[str, Any] | None = None) -> Any:
    from datetime import date

    from residency_audit.profiles import load_profile
    from residency_audit.rules import EvaluationSettings
    from residency_audit.scan import collect, evaluate_inventory

    provider = AwsProvider.from_settings(
        {"regions": REGIONS, "max_attempts": 1, **(settings or {})}
    )
    return evaluate_inventory(
        collect({"aws": provider}),
        load_profile("jp-default"),
        EvaluationSettings(today=date(2026, 12, 1)),
    )


@pytest.mark.usefixtures("moto")
def test_every_edge_location_in_front_of_a_tokyo_bucket_is_a_possible_copy_in_hong_kong() -> None:
    _bucket("tokyo-drawings", "ap-northeast-1")
    _bucket("tokyo-no-hk", "ap-northeast-1")
    everywhere = _distribution("all", "tokyo-drawings.s3.ap-northeast-1.amazonaws.com")
    _distribution(
        "no-hk",
        "tokyo-no-hk.s3.ap-northeast-1.amazonaws.com",
        geo={"RestrictionType": "blacklist", "Quantity": 1, "Items": ["HK"]},
    )

    result = _evaluated()

    def concerns(bucket: str) -> list[Any]:
        return [
            f
            for f in result.findings
            if f.rule_id == "location.concern"
            and f.resource is not None
            and f.resource.name == bucket
            and f.location is not None
            and f.location.role is Role.CACHE
        ]

    [finding] = concerns("tokyo-drawings")
    assert finding.guideline_items == ("(2)-1",)
    assert finding.location.country == "HK" and "HK" in finding.location.countries
    assert finding.location.certainty is Certainty.POSSIBLE
    assert finding.location.target == everywhere and finding.location.mechanism == "cloudfront"
    # blocking Hong Kong's viewers takes its edges out: no concern country is left
    assert concerns("tokyo-no-hk") == []


@pytest.mark.usefixtures("moto")
def test_a_transfer_to_hong_kong_and_one_to_a_server_outside_aws_are_findings() -> None:
    _bucket("tokyo-drawings", "ap-northeast-1")
    _bucket("hk-copy", "ap-east-1")
    client = boto3.client("datasync", region_name="ap-northeast-1")
    tokyo = _s3_location("ap-northeast-1", "tokyo-drawings")
    _task("ap-northeast-1", tokyo, _s3_location("ap-northeast-1", "hk-copy"), "to-hk")
    nas = client.create_location_smb(  # moto has no create_location_nfs; SMB is the same case
        ServerHostname="nas.partner.example",
        Subdirectory="/exports",
        User="u",
        Password="p",
        AgentArns=[f"arn:aws:datasync:ap-northeast-1:{ACCOUNT}:agent/agent-0abcdef"],
    )["LocationArn"]
    _task("ap-northeast-1", tokyo, nas, "to-nas")

    result = _evaluated({"regions": [*REGIONS, "ap-east-1"]})

    mine = [
        f
        for f in result.findings
        if f.resource is not None
        and f.resource.name == "tokyo-drawings"
        and f.location is not None
        and f.location.role is Role.TRANSFER
    ]
    by_rule = {f.rule_id: f for f in mine}
    assert by_rule["location.concern"].location.country == "HK"
    assert by_rule["location.concern"].location.certainty is Certainty.CONFIRMED
    unknown = by_rule["location.unknown"]
    assert unknown.unverified and unknown.location.region is None
    # the reader is told which server the copy went to, in both languages
    assert "nas.partner.example" in unknown.message.en
    assert "nas.partner.example" in unknown.message.ja


@pytest.mark.usefixtures("moto")
def test_the_inventory_source_keeps_these_copies_and_names_the_regions_it_read() -> None:
    _bucket("tokyo-drawings", "ap-northeast-1")
    _bucket("ireland-copy", "eu-west-1")
    everywhere = _distribution("all", "tokyo-drawings.s3.ap-northeast-1.amazonaws.com")
    _task(
        "ap-northeast-1",
        _s3_location("ap-northeast-1", "tokyo-drawings"),
        _s3_location("ap-northeast-1", "ireland-copy"),
        "to-ireland",
    )
    boto3.client("config", region_name="us-east-1").put_configuration_aggregator(
        ConfigurationAggregatorName="org",
        AccountAggregationSources=[{"AccountIds": [ACCOUNT], "AllAwsRegions": True}],
    )
    live, _ = _scan()
    provider = AwsProvider.from_settings(
        {
            "regions": REGIONS,
            "max_attempts": 1,
            "source": "inventory",
            "aggregator": "org",
            "inventory_query": "list",
        }
    )
    served, notes = read_provider(provider)

    def around(bucket: Bucket) -> set[tuple[Any, ...]]:
        return {
            (loc.role, loc.region, loc.target)
            for loc in bucket.locations
            if loc.role in (Role.CACHE, Role.TRANSFER)
        }

    copies = around(live["tokyo-drawings"])
    assert {(role, region) for role, region, _ in copies} == {
        (Role.CACHE, "cloudfront:PriceClass_All"),
        (Role.TRANSFER, "eu-west-1"),
    }
    assert (Role.CACHE, "cloudfront:PriceClass_All", everywhere) in copies
    assert around(served["tokyo-drawings"]) == copies
    # that source reads no region list: DataSync is read where the buckets live, and it says so
    [partial] = [n for n in notes if n.kind == "transfer-regions-partial"]
    assert "ap-northeast-1, eu-west-1" in partial.detail


def test_a_truncated_listing_without_a_next_marker_is_a_gap_not_the_end(
    account: AwsAccount,
) -> None:
    stubber = Stubber(account.client("cloudfront", "us-east-1"))
    page = {"Marker": "", "MaxItems": 100, "IsTruncated": True, "Quantity": 0, "Items": []}
    stubber.add_response("list_distributions", {"DistributionList": page}, {"MaxItems": "100"})
    with stubber:
        edges = cdn.read_edges(account)

    located, [gap] = cdn.for_bucket(edges, "any-bucket")
    assert located == () and gap.field == "cloudfront" and gap.error_code == "NoNextMarker"
