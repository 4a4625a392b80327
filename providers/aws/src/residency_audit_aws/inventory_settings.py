"""The ``source = "inventory"`` settings of ``[providers.aws]``: which AWS Config aggregator the
buckets' configurations are read from, and when a setting is read live instead."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from residency_audit.errors import ConfigError
from residency_audit.inventory_source import DEFAULT_MAX_AGE
from residency_audit.plugin_settings import InventoryKeys, Text

__all__ = ["InventorySettings", "InventoryTable", "inventory_settings"]

QUERIES = ("select", "list")
# AWS Config: "a name ... 1-256 characters: letters, digits, . _ -"
_AGGREGATOR = re.compile(r"^[\w.-]{1,256}$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z]+)+-\d+$")


def _region(value: Any) -> Any:
    if not isinstance(value, str) or not _REGION.match(value.strip()):
        raise ValueError("must be a region code like 'ap-northeast-1'")
    return value.strip()


class InventoryTable(InventoryKeys):
    """The ``source = "inventory"`` keys of ``[providers.aws]``."""

    aggregator: Text | None = None
    aggregator_region: Annotated[str, BeforeValidator(_region)] | None = None
    # "select": one advanced query (SelectAggregateResourceConfig), 100 items a call;
    # "list": ListAggregateDiscoveredResources + BatchGetAggregateResourceConfig (moto has these)
    inventory_query: Literal["select", "list"] = "select"
    # what max_age is measured against: "aggregator", the later of the capture time and the
    # covering source's last successful aggregation; "capture", the item's capture time alone
    freshness: Literal["aggregator", "capture"] = "aggregator"
    # S3 Inventory configurations, which AWS Config does not record: "skip" leaves them unread
    # (S3 delivers a report only to a bucket in its source's region: no other country), "live"
    # reads them, one call a bucket -- 20,000 buckets cost 20,000 calls more
    inventory_reports: Literal["skip", "live"] = "skip"


_OWN_KEYS = ("aggregator", "aggregator_region", "inventory_query", "freshness", "inventory_reports")


@dataclass(frozen=True)
class InventorySettings:
    aggregator: str
    region: str | None  # None = the partition's home region
    query: str = "select"
    max_age: timedelta = DEFAULT_MAX_AGE
    verify_sample: int = 0
    verify_seed: int | None = None
    freshness: str = "aggregator"
    inventory_reports: str = "skip"


def inventory_settings(table: InventoryTable, prefix: str) -> InventorySettings | None:
    """None for ``source = "live"`` (the default); errors name ``providers.aws.KEY``."""
    table.live_only(prefix, _OWN_KEYS)
    if table.source == "live":
        return None
    if table.aggregator is None or not _AGGREGATOR.match(table.aggregator):
        raise ConfigError(
            'must name the AWS Config aggregator (letters, digits, ".", "_", "-") with '
            'source = "inventory"',
            key=f"{prefix}.aggregator",
        )
    return InventorySettings(
        aggregator=table.aggregator,
        region=table.aggregator_region,
        query=table.inventory_query,
        max_age=table.max_age,
        verify_sample=table.verify_sample,
        verify_seed=table.verify_seed,
        freshness=table.freshness,
        inventory_reports=table.inventory_reports,
    )
