"""CloudFront distributions in front of the account's buckets: their edge caches.

A distribution whose origin is an S3 bucket (its REST endpoint, with an origin access control or
identity, or its website endpoint as a custom origin) caches that bucket's objects on the edge
servers of its price class, in many countries. Each such distribution becomes a ``cache``
location of the bucket: the price class is one catalog code (``cloudfront:PriceClass_All``), the
geo restriction narrows its countries at resolve, and the certainty is ``possible`` (an edge
holds an object only once a viewer near it has asked for it). A disabled distribution still
counts: what its edges cached may remain until it expires.

CloudFront is global: one ListDistributions a scan of an account (100 distributions a page),
read from us-east-1 in the aws partition. Origins are matched by bucket name, so only the
scanned account's own buckets are matched; a distribution in another account is seen when that
account is scanned only if the bucket is its own. Lambda@Edge and CloudFront Functions change
what is served, not where it is cached, so they do not change the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from residency_audit.model import Certainty, EdgeFilter, Gap, Location, Namespace, Role

from .client import AwsAccount, AwsApiError
from .normalize import PROVIDER, Failure
from .reads import read_gap

__all__ = [
    "PAGE",
    "AccountEdges",
    "edge_filter",
    "edges_from_distributions",
    "for_bucket",
    "origin_bucket",
    "read_edges",
]

PAGE = 100  # ListDistributions' largest page
SERVICE_REGION = "us-east-1"  # CloudFront's control plane (a global service) in the aws partition

# BUCKET.s3.amazonaws.com, BUCKET.s3.REGION.amazonaws.com, BUCKET.s3-REGION.amazonaws.com,
# BUCKET.s3.dualstack.REGION.amazonaws.com, and the website endpoints
# BUCKET.s3-website-REGION.amazonaws.com / BUCKET.s3-website.REGION.amazonaws.com
_S3_ORIGIN = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.s3(?:-website)?"
    r"(?:[.-](?:dualstack\.)?(?:[a-z]{2}(?:-[a-z]+)+-\d+|external-1))?\.amazonaws\.com(?:\.cn)?\.?$"
)


def origin_bucket(domain: str) -> str | None:
    """The bucket an origin's domain names, or None where it is not an S3 bucket endpoint."""
    found = _S3_ORIGIN.match(domain.strip().lower())
    return found["bucket"] if found else None


def edge_filter(restrictions: Mapping[str, Any] | None) -> EdgeFilter | None:
    """``Restrictions.GeoRestriction`` -> the geo restriction (``none``: no filter)."""
    geo = (restrictions or {}).get("GeoRestriction") or {}
    mode = {"whitelist": "allow", "blacklist": "block"}.get(str(geo.get("RestrictionType")))
    if mode is None:
        return None
    countries = tuple(str(c).upper() for c in geo.get("Items") or ())
    return EdgeFilter(mode="allow" if mode == "allow" else "block", countries=countries)


def distribution_locations(distribution: Mapping[str, Any]) -> dict[str, Location]:
    """One DistributionSummary -> bucket name -> its cache location (one per bucket, however
    many origins or origin-group members name it)."""
    dist_id = str(distribution.get("Id", ""))
    price_class = str(distribution.get("PriceClass") or "PriceClass_All")
    found: dict[str, Location] = {}
    for origin in (distribution.get("Origins") or {}).get("Items") or ():
        bucket = origin_bucket(str(origin.get("DomainName", "")))
        if bucket is None or bucket in found:
            continue
        found[bucket] = Location(
            role=Role.CACHE,
            provider=PROVIDER,
            region=f"cloudfront:{price_class}",
            namespace=Namespace.CDN,
            mechanism="cloudfront",
            target=dist_id,
            certainty=Certainty.POSSIBLE,
            edge_filter=edge_filter(distribution.get("Restrictions")),
        )
    return found


@dataclass(frozen=True)
class AccountEdges:
    """The account's distributions by origin bucket, or why they could not be read."""

    by_bucket: Mapping[str, tuple[Location, ...]] = field(default_factory=dict)
    error: Failure | None = None
    read: bool = True  # False where the partition has no CloudFront to read


NOT_READ = AccountEdges(error=Failure("NotRead"))
NO_CLOUDFRONT = AccountEdges(read=False)


def edges_from_distributions(distributions: Iterable[Mapping[str, Any]]) -> AccountEdges:
    by_bucket: dict[str, list[Location]] = {}
    for distribution in distributions:
        for bucket, location in distribution_locations(distribution).items():
            by_bucket.setdefault(bucket, []).append(location)
    return AccountEdges(by_bucket={b: tuple(locs) for b, locs in by_bucket.items()})


def read_edges(account: AwsAccount) -> AccountEdges:
    """Every distribution of the account: ListDistributions, one page a hundred."""
    if account.partition.name != "aws":
        return NO_CLOUDFRONT
    distributions: list[Mapping[str, Any]] = []
    marker = ""
    try:
        while True:
            params: dict[str, Any] = {"MaxItems": str(PAGE)}
            if marker:
                params["Marker"] = marker
            listing = account.call("cloudfront", SERVICE_REGION, "ListDistributions", **params).get(
                "DistributionList", {}
            )
            distributions.extend(listing.get("Items") or ())
            if not listing.get("IsTruncated"):
                break
            following = str(listing.get("NextMarker") or "")
            if not following or following == marker:
                # a page that says more follow but gives no new marker: the rest is unread
                return AccountEdges(
                    error=Failure("NoNextMarker", "a truncated page gave no new NextMarker")
                )
            marker = following
    except AwsApiError as exc:
        return AccountEdges(error=Failure(exc.code, exc.message))
    return edges_from_distributions(distributions)


def for_bucket(edges: AccountEdges, bucket: str) -> tuple[Sequence[Location], Sequence[Gap]]:
    """The bucket's cache locations, or the gap an unread listing leaves on every bucket."""
    if edges.error is not None:
        gap = read_gap(
            "cloudfront", "ListDistributions", edges.error, label="cloudfront:ListDistributions"
        )
        return (), (gap,)
    return edges.by_bucket.get(bucket, ()), ()
