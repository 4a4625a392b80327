"""The shipped catalog against the installed botocore's partition data (issue 12, part 2a).

Every region of every partition botocore knows (``botocore.loaders.Loader().load_data(
"partitions")``, botocore/data/partitions.json) must resolve to a country -- or be an explicit
row without one, with a note saying why -- and carry the partition it belongs to: a region of
``aws-eusc`` scanned with ``aws`` credentials would be a different legal entity. The ``*-global``
pseudo regions (``aws-global``, ``aws-cn-global`` ...) are endpoints, not places, and are skipped.
This lives with the AWS plugin because the core has no SDK dependency.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.loaders import Loader

from residency_audit.catalog import Catalog, load_catalog
from residency_audit.model import Location, Role

_PSEUDO = re.compile(r"^aws(-[a-z]+)*-global$")


def _botocore_regions() -> dict[str, tuple[str, str]]:
    """region code -> (partition id, description) from the installed botocore."""
    data: dict[str, Any] = Loader().load_data("partitions")
    return {
        code: (part["id"], str(meta.get("description", "")))
        for part in data["partitions"]
        for code, meta in part["regions"].items()
        if not _PSEUDO.match(code)
    }


REGIONS = _botocore_regions()


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def test_botocore_lists_every_partition_the_scanner_supports() -> None:
    partitions = {p for p, _ in REGIONS.values()}
    assert {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f"} <= (
        partitions
    )
    assert "aws-eusc" in partitions
    assert not any(_PSEUDO.match(code) for code in REGIONS)


@pytest.mark.parametrize("code", sorted(REGIONS))
def test_every_botocore_region_is_in_the_catalog_with_its_partition(
    cat: Catalog, code: str
) -> None:
    partition, description = REGIONS[code]
    entry = cat.lookup("aws", code)
    assert entry is not None, f"{code} ({description}) is not in the catalog"
    assert entry.cloud == partition
    assert entry.display_name == description
    res = cat.resolve(Location(role=Role.PRIMARY, provider="aws", region=code, mechanism="m"))
    if entry.countries:
        assert res.countries == entry.countries
    else:  # an explicit row without a country says why (eu-isoe-west-1)
        assert entry.notes and not res.known and "no country" in res.note


def test_no_catalog_aws_row_is_unknown_to_botocore(cat: Catalog) -> None:
    # regions only: CloudFront's price classes (namespace cdn) are no region of botocore's
    stale = [
        e.code for e in cat.entries(provider="aws", namespace="region") if e.code not in REGIONS
    ]
    assert stale == []
    assert [e.code for e in cat.entries(provider="aws", namespace="cdn")]  # and they exist


@pytest.mark.parametrize(
    ("code", "partition", "country"),
    [
        ("me-west-1", "aws", "SA"),  # 'Middle East (Saudi Arabia)'
        ("sa-west-1", "aws", "CL"),  # 'South America (Chile)'
        ("eusc-de-east-1", "aws-eusc", "DE"),  # European Sovereign Cloud, not aws
        ("cn-north-1", "aws-cn", "CN"),
        ("ap-east-1", "aws", "HK"),
    ],
)
def test_regions_a_compliance_officer_asks_about(
    cat: Catalog, code: str, partition: str, country: str
) -> None:
    assert REGIONS[code][0] == partition
    res = cat.resolve(Location(role=Role.REPLICA, provider="aws", region=code, mechanism="crr"))
    assert res.countries == (country,)
