"""The ``source = "inventory"`` settings of ``[providers.aws]``: which AWS Config aggregator the
buckets' configurations are read from, and when a setting is read live instead."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from residency_audit.inventory_source import DEFAULT_MAX_AGE, SOURCES, parse_max_age
from residency_audit.plugin_settings import SettingsReader

__all__ = ["INVENTORY_KEYS", "InventorySettings", "inventory_settings"]

INVENTORY_KEYS = frozenset(
    {
        "source",
        "aggregator",
        "aggregator_region",
        "inventory_query",
        "freshness",
        "max_age",
        "verify_sample",
        "verify_seed",
    }
)
QUERIES = ("select", "list")
# what max_age is measured against: "aggregator", the later of the capture time and the covering
# source's last successful aggregation; "capture", the item's capture time alone (strict)
FRESHNESS = ("aggregator", "capture")
# AWS Config: "a name ... 1-256 characters: letters, digits, . _ -"
_AGGREGATOR = re.compile(r"^[\w.-]{1,256}$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z]+)+-\d+$")


@dataclass(frozen=True)
class InventorySettings:
    aggregator: str
    region: str | None  # None = the partition's home region
    # "select": one advanced query (SelectAggregateResourceConfig), 100 items a call;
    # "list": ListAggregateDiscoveredResources + BatchGetAggregateResourceConfig (moto has these)
    query: str = "select"
    max_age: timedelta = DEFAULT_MAX_AGE
    verify_sample: int = 0
    verify_seed: int | None = None
    freshness: str = "aggregator"


def inventory_settings(top: SettingsReader) -> InventorySettings | None:
    """None for ``source = "live"`` (the default); errors name ``providers.aws.KEY``."""
    source = top.choice("source", "live", SOURCES)
    if source == "live":
        extra = sorted(k for k in INVENTORY_KEYS - {"source"} if top.raw.get(k) is not None)
        if extra:
            raise top.error(extra[0], 'is a setting of source = "inventory"')
        return None
    aggregator = top.string("aggregator")
    if aggregator is None or not _AGGREGATOR.match(aggregator):
        raise top.error(
            "aggregator",
            'must name the AWS Config aggregator (letters, digits, ".", "_", "-") with '
            'source = "inventory"',
        )
    region = top.string("aggregator_region")
    if region is not None and not _REGION.match(region):
        raise top.error("aggregator_region", "must be a region code like 'ap-northeast-1'")
    raw_age = top.raw.get("max_age")
    try:
        max_age = DEFAULT_MAX_AGE if raw_age is None else parse_max_age(raw_age)
    except ValueError as exc:
        raise top.error("max_age", str(exc)) from None
    return InventorySettings(
        aggregator=aggregator,
        region=region,
        query=top.choice("inventory_query", "select", QUERIES),
        max_age=max_age,
        verify_sample=top.integer("verify_sample", 0, 0, 100_000),
        verify_seed=top.integer("verify_seed", None, 0, 2**63 - 1),
        freshness=top.choice("freshness", "aggregator", FRESHNESS),
    )
