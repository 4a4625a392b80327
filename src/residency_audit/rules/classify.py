"""Bucket classification from tags/labels."""

from __future__ import annotations

from ..model import Bucket, Classification, Inventory
from .settings import ClassificationSettings

__all__ = ["apply_classification", "classify"]


def classify(bucket: Bucket, settings: ClassificationSettings) -> Classification:
    """The class named by the first configured key present on the bucket; else unclassified."""
    tags = {key.casefold(): value for key, value in sorted(bucket.tags.items())}
    for key in settings.keys:
        value = tags.get(key.casefold())
        if value is None:
            continue
        folded = value.strip().casefold()
        for cls_, accepted in settings.values.items():
            if any(folded == candidate.casefold() for candidate in accepted):
                return cls_
        # the first key present decides, even when its value is not one we know
        return Classification.UNCLASSIFIED
    return Classification.UNCLASSIFIED


def apply_classification(inventory: Inventory, settings: ClassificationSettings) -> Inventory:
    """A copy of the inventory with every bucket's ``classification`` set (for reports)."""
    buckets = tuple(
        b.model_copy(update={"classification": classify(b, settings)}) for b in inventory.buckets
    )
    return inventory.model_copy(update={"buckets": buckets})
