"""``residency-audit catalog check`` and ``regions`` input checks, as an administrator sees them.

The drift kinds are proved on listings crafted from the real shipped catalog (so they follow the
catalog as it grows): a code taken out of a listing is "not listed", a code added is a "new
region", and a pair or cloud edited away from the catalog's is drift. The CLI runs through click's
CliRunner against fake provider plugins (registered by monkeypatching discovery), and once against
the real AWS plugin's botocore listing when that plugin offers one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from residency_audit import plugins, scan
from residency_audit.catalog import Catalog, load_catalog
from residency_audit.catalog.drift import SkippedSource, UnreadSource, check, compare
from residency_audit.catalog.listing import ListedRegion, RegionListing
from residency_audit.cli import cli
from residency_audit.errors import CollectionError

# -- listings crafted from the real catalog ----------------------------------------------------


def _aws_listing(catalog: Catalog) -> RegionListing:
    """Every AWS region of every partition, as botocore's partition data gives them."""
    regions = tuple(
        ListedRegion(code=e.code, cloud=e.cloud, display_name=e.display_name)
        for e in catalog.entries(provider="aws", namespace="region")
    )
    return RegionListing("aws", "crafted partitions", regions, gives_cloud=True)


def _azure_listing(catalog: Catalog, cloud: str = "azure") -> RegionListing:
    """One cloud's Azure locations with physicalLocation and pairedRegion, as List Locations."""
    regions = []
    for e in catalog.entries(provider="azure", namespace="region"):
        if e.cloud != cloud:
            continue
        pair = catalog.azure_geo_pair(e.code)
        regions.append(
            ListedRegion(
                code=e.code,
                cloud="azure",  # as the plugin says it for every cloud (gives_cloud is False)
                display_name=e.display_name,
                physical_location=e.city,
                paired_region=pair.secondary if pair else None,
            )
        )
    return RegionListing("azure", "crafted locations", tuple(regions), live=True, gives_pairs=True)


def _without(listing: RegionListing, code: str) -> RegionListing:
    kept = tuple(r for r in listing.regions if r.code != code)
    assert len(kept) == len(listing.regions) - 1, code
    return replace(listing, regions=kept)


def _edited(listing: RegionListing, code: str, **changes: Any) -> RegionListing:
    assert any(r.code == code for r in listing.regions), code
    return replace(
        listing,
        regions=tuple(replace(r, **changes) if r.code == code else r for r in listing.regions),
    )


def test_a_listing_equal_to_the_catalog_is_in_step() -> None:
    catalog = load_catalog()
    for listing in (_aws_listing(catalog), _azure_listing(catalog)):
        result = check([listing], catalog)
        assert result.in_step and not result.drift and not result.incomplete, result
        assert result.listings[0].not_listed == ()
        assert result.listings[0].compared == len(listing.regions)


def test_a_code_the_source_no_longer_lists_is_information_not_drift() -> None:
    catalog = load_catalog()
    item = compare(_without(_aws_listing(catalog), "ap-east-1"), catalog)
    assert [(n.code, n.cloud) for n in item.not_listed] == [("ap-east-1", "aws")]
    assert not item.drift


def test_a_code_the_catalog_lacks_is_a_new_region() -> None:
    catalog = load_catalog()
    base = _aws_listing(catalog)
    added = ListedRegion(code="xx-test-9", cloud="aws", display_name="Test (Nowhere)")
    item = compare(replace(base, regions=(*base.regions, added)), catalog)
    assert item.drift
    assert [(n.code, n.cloud, n.display_name) for n in item.new_regions] == [
        ("xx-test-9", "aws", "Test (Nowhere)")
    ]


def test_a_region_in_another_partition_is_a_changed_cloud() -> None:
    # eusc-de-east-1 is the AWS European Sovereign Cloud partition, not the commercial one
    catalog = load_catalog()
    assert catalog.lookup("aws", "eusc-de-east-1") is not None
    item = compare(_edited(_aws_listing(catalog), "eusc-de-east-1", cloud="aws"), catalog)
    assert item.drift
    assert [(d.code, d.catalog, d.listed) for d in item.changed_clouds] == [
        ("eusc-de-east-1", "aws-eusc", "aws")
    ]


def test_a_cloud_is_only_compared_where_the_source_gives_it() -> None:
    catalog = load_catalog()
    listing = replace(
        _edited(_aws_listing(catalog), "eusc-de-east-1", cloud="aws"), gives_cloud=False
    )
    assert compare(listing, catalog).changed_clouds == ()


def test_changed_pairs_cover_a_new_pair_a_lost_pair_and_a_different_pair() -> None:
    catalog = load_catalog()
    azure = catalog.entries(provider="azure", namespace="region")
    unpaired = next(
        e.code for e in azure if e.cloud == "azure" and not catalog.azure_geo_pair(e.code)
    )
    listing = _edited(_azure_listing(catalog), "southeastasia", paired_region="japaneast")
    listing = _edited(listing, "japaneast", paired_region=None)
    listing = _edited(listing, unpaired, paired_region="westeurope")
    item = compare(listing, catalog)
    assert item.drift
    changed = {d.code: (d.catalog, d.listed) for d in item.changed_pairs}
    assert changed == {
        "southeastasia": ("eastasia", "japaneast"),
        "japaneast": ("japanwest", None),
        unpaired: (None, "westeurope"),
    }


def test_pairs_are_not_compared_when_the_source_gives_none() -> None:
    catalog = load_catalog()
    listing = replace(
        _edited(_azure_listing(catalog), "southeastasia", paired_region=None), gives_pairs=False
    )
    assert compare(listing, catalog).changed_pairs == ()


def test_a_different_physical_location_is_reported_with_both_texts() -> None:
    catalog = load_catalog()
    listing = _edited(_azure_listing(catalog), "eastasia", physical_location="Singapore")
    # the same place typed differently (case, spacing, decomposed umlaut) is no drift
    listing = _edited(listing, "swedencentral", physical_location="ga\u0308vle ")
    item = compare(listing, catalog)
    assert [(d.code, d.catalog, d.listed) for d in item.changed_locations] == [
        ("eastasia", "Hong Kong", "Singapore")
    ]


def test_a_public_cloud_subscription_says_nothing_about_the_china_and_government_clouds() -> None:
    catalog = load_catalog()
    item = compare(_without(_azure_listing(catalog), "eastasia"), catalog)
    assert {(n.code, n.cloud) for n in item.not_listed} == {("eastasia", "azure")}


def test_a_china_cloud_subscription_is_compared_with_the_china_cloud_rows_only() -> None:
    catalog = load_catalog()
    china = _azure_listing(catalog, cloud="azure-china")
    assert len(china.regions) >= 2
    gone = china.regions[0].code
    item = compare(_without(china, gone), catalog)
    assert [(n.code, n.cloud) for n in item.not_listed] == [(gone, "azure-china")]
    assert not item.drift


def test_problems_and_unread_sources_make_the_check_incomplete_not_in_step() -> None:
    catalog = load_catalog()
    partial = replace(_aws_listing(catalog), problems=("ssm: AccessDenied",))
    result = check([partial], catalog)
    assert result.incomplete and not result.drift and not result.in_step
    unread = check([_aws_listing(catalog)], catalog, [UnreadSource("azure", "live", "denied")])
    assert unread.incomplete and not unread.in_step
    # nothing compared proves nothing, even when every plugin simply has no listing
    nothing = check([], catalog, skipped=[SkippedSource("gcp", "installed SDK", "no hook")])
    assert nothing.incomplete and not nothing.in_step


# -- the command, through fake plugins ----------------------------------------------------------


class _Fake:
    """A provider plugin with region-listing hooks; the class attributes set what they return."""

    name: ClassVar[str] = "aws"
    sdk: ClassVar[Callable[[], Sequence[RegionListing]]]
    live: ClassVar[Callable[[], Sequence[RegionListing]] | None] = None

    @classmethod
    def from_settings(cls, settings: Any) -> _Fake:
        return cls()

    @classmethod
    def sdk_region_listings(cls) -> Sequence[RegionListing]:
        return cls.sdk()

    def live_region_listings(self) -> Sequence[RegionListing]:
        if self.live is None:
            raise AssertionError("no live listing configured")
        return self.live()


def _register(monkeypatch: pytest.MonkeyPatch, **classes: type) -> None:
    real = plugins.load_provider_class

    def load(name: str) -> Any:
        return classes[name] if name in classes else real(name)

    monkeypatch.setattr(plugins, "available_providers", lambda: sorted(classes))
    monkeypatch.setattr(plugins, "load_provider_class", load)
    monkeypatch.setattr(scan, "load_provider_class", load)  # build_providers for --config


def _fake(
    sdk: Callable[[], Sequence[RegionListing]],
    live: Callable[[], Sequence[RegionListing]] | None = None,
) -> type:
    return type("FakeProvider", (_Fake,), {"sdk": staticmethod(sdk), "live": staticmethod(live)})


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["catalog", "check", *args])
    return result.exit_code, result.output


def _run_json(*args: str) -> tuple[int, dict[str, Any]]:
    """Exit code and the --json document (stdout only: a plugin's traceback is logged to stderr)."""
    result = CliRunner().invoke(cli, ["catalog", "check", *args, "--json"])
    doc: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, doc


def _config(tmp_path: Path, body: str = "[providers.aws]\n") -> str:
    path = tmp_path / "scan.toml"
    path.write_text(f'profile = "jp-default"\n{body}', encoding="utf-8")
    return str(path)


def test_in_step_exits_0_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    _register(monkeypatch, aws=_fake(lambda: [_aws_listing(load_catalog())]))
    code, output = _run()
    assert code == 0, output
    assert "catalog in step (1 source compared)" in output


def test_drift_exits_1_and_the_table_names_the_new_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def sdk() -> list[RegionListing]:
        base = _without(_aws_listing(load_catalog()), "ap-east-1")
        new = ListedRegion("me-test-1", cloud="aws", display_name="Middle East (Test)")
        return [replace(base, regions=(*base.regions, new))]

    _register(monkeypatch, aws=_fake(sdk))
    code, output = _run()
    assert code == 1, output
    assert "me-test-1" in output and "Middle East (Test)" in output and "new region" in output
    assert "ap-east-1" in output and "not listed" in output
    assert "catalog DRIFT: 1 new region" in output


def test_json_shape_with_a_live_source_that_drifts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def live() -> list[RegionListing]:
        listing = _azure_listing(load_catalog())
        return [_edited(listing, "southeastasia", paired_region="japaneast")]

    _register(
        monkeypatch,
        aws=_fake(lambda: [_aws_listing(load_catalog())]),
        azure=_fake(lambda: [], live),
    )
    code, doc = _run_json("--config", _config(tmp_path, "[providers.azure]\n"))
    assert code == 1, doc
    assert doc["schema"] == "residency-audit/catalog-check/v1"
    assert (doc["in_step"], doc["drift"], doc["incomplete"]) == (False, True, False)
    by_source = {(i["provider"], i["live"]): i for i in doc["listings"]}
    assert by_source[("aws", False)]["drift"] is False
    live_item = by_source[("azure", True)]
    assert live_item["changed_pairs"] == [
        {"code": "southeastasia", "catalog": "eastasia", "listed": "japaneast"}
    ]
    assert set(live_item) >= {
        "source",
        "compared",
        "new_regions",
        "changed_clouds",
        "changed_locations",
        "not_listed",
        "problems",
        "incomplete",
    }
    assert doc["unread"] == []


def test_a_live_source_that_cannot_be_read_exits_3_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def denied() -> list[RegionListing]:
        raise CollectionError(
            "AuthorizationFailed: no Microsoft.Resources/subscriptions/locations/read"
        )

    _register(monkeypatch, azure=_fake(lambda: [_azure_listing(load_catalog())], denied))
    code, output = _run("--config", _config(tmp_path, "[providers.azure]\n"))
    assert code == 3, output
    assert "could not read: azure (live): AuthorizationFailed" in output
    assert "INCOMPLETE: no drift in what could be read" in output


def test_a_partly_read_listing_exits_3_and_drift_still_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    partial = replace(_aws_listing(load_catalog()), problems=("ssm: AccessDeniedException",))
    _register(monkeypatch, aws=_fake(lambda: [partial]))
    code, doc = _run_json()
    assert code == 3, doc
    assert doc["listings"][0]["problems"] == ["ssm: AccessDeniedException"]

    drifted = replace(partial, regions=(*partial.regions, ListedRegion("xx-test-9", cloud="aws")))
    _register(monkeypatch, aws=_fake(lambda: [drifted]))
    code, output = _run()
    assert code == 1, output


def test_a_plugin_bug_is_a_source_not_read_not_a_silent_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> list[RegionListing]:
        raise KeyError("partitions")

    _register(monkeypatch, aws=_fake(broken), gcp=type("NoHooks", (), {"from_settings": 1}))
    code, doc = _run_json()
    assert code == 3, doc
    assert doc["unread"][0]["provider"] == "aws" and "KeyError" in doc["unread"][0]["reason"]
    assert doc["skipped"] == [
        {
            "provider": "gcp",
            "source": "installed SDK",
            "reason": "the plugin offers no region listing",
        }
    ]


def test_a_malformed_config_exits_2_naming_file_and_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _register(monkeypatch, aws=_fake(lambda: [_aws_listing(load_catalog())]))
    path = _config(tmp_path, "[providers.nosuchcloud]\n")
    code, output = _run("--config", path)
    assert code == 2, output
    assert path in output and "providers.nosuchcloud" in output
    code, output = _run("--config", _config(tmp_path, "providers = 3\n"))
    assert code == 2 and "providers" in output, output


def test_the_installed_botocore_is_in_the_catalog() -> None:
    """The real AWS plugin's listing of the installed botocore: every region of every partition
    is in the catalog, with its partition (eusc-de-east-1 is aws-eusc)."""
    aws = pytest.importorskip("residency_audit_aws")
    hook = getattr(aws.AwsProvider, "sdk_region_listings", None)
    if hook is None:
        pytest.skip("the AWS plugin offers no sdk_region_listings yet")
    listings = list(hook())
    assert listings and all(isinstance(x, RegionListing) for x in listings)
    catalog = load_catalog()
    result = check(listings, catalog)
    listed = {r.code: r.cloud for x in listings for r in x.regions}
    assert listed.get("eusc-de-east-1") == "aws-eusc"
    assert {"me-west-1", "sa-west-1"} <= set(listed)
    for item in result.listings:
        assert item.new_regions == () and item.changed_clouds == (), item
    assert not result.incomplete


# -- regions: input the catalog cannot answer is an error, not an empty table --------------------


def _regions(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["regions", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("value", ["XX", "UK", "EU", "JPN", "1"])
def test_regions_country_that_is_not_iso_alpha_2_exits_2_naming_it(value: str) -> None:
    code, output = _regions("--country", value)
    assert code == 2, output
    assert f"--country {value!r} is not an ISO 3166-1 alpha-2" in output


def test_regions_country_is_case_insensitive() -> None:
    code, output = _regions("--country", "jp", "--json")
    assert code == 0, output
    assert {"aws", "gcp", "azure"} <= {r["provider"] for r in json.loads(output)}


def test_regions_unknown_provider_exits_2_and_a_known_one_in_capitals_works() -> None:
    code, output = _regions("--provider", "oracle")
    assert code == 2 and "'oracle'" in output, output
    code, output = _regions("--provider", "AWS", "--country", "JP", "--json")
    assert code == 0, output
    assert {r["code"] for r in json.loads(output)} >= {"ap-northeast-1", "ap-northeast-3"}
