"""Bucket classification from tags/labels."""

from __future__ import annotations

from ..model import Bucket, Classification, Hidden, Inventory
from .gaps import hides
from .settings import ClassificationSettings

__all__ = ["apply_classification", "classified", "classify", "classify_with_source"]


def classify_with_source(
    bucket: Bucket, settings: ClassificationSettings
) -> tuple[Classification, str | None]:
    """The class and the tag that decided it (``key=value``, in no language: readers show it as
    a code beside the class), or None where no tag decided (none present, or unread: the class
    itself, unclassified or unknown, says which).

    Tags that could not be read make the class UNKNOWN (graded as if sensitive): "no tag" would
    be a claim the scan cannot make.
    """
    unread = hides(bucket, Hidden.CLASSIFICATION)
    if unread and settings.keys:
        return Classification.UNKNOWN, None
    tags = {key.casefold(): (key, value) for key, value in sorted(bucket.tags.items())}
    for key in settings.keys:
        found = tags.get(key.casefold())
        if found is None:
            continue
        tag_key, value = found
        folded = value.strip().casefold()
        for cls_, accepted in settings.values.items():
            if any(folded == candidate.casefold() for candidate in accepted):
                return cls_, f"{tag_key}={value}"
        # the first key present decides, even when its value is not one we know
        return Classification.UNCLASSIFIED, f"{tag_key}={value}"
    return Classification.UNCLASSIFIED, None


def classify(bucket: Bucket, settings: ClassificationSettings) -> Classification:
    """The class named by the first configured key present on the bucket; else unclassified."""
    return classify_with_source(bucket, settings)[0]


def classified(bucket: Bucket, settings: ClassificationSettings) -> Bucket:
    """A copy of the bucket with its ``classification`` and its source set (for reports)."""
    cls_, source = classify_with_source(bucket, settings)
    return bucket.model_copy(update={"classification": cls_, "classification_source": source})


def apply_classification(inventory: Inventory, settings: ClassificationSettings) -> Inventory:
    """A copy of the inventory with every bucket's ``classification`` set (for reports)."""
    buckets = tuple(classified(b, settings) for b in inventory.buckets)
    return inventory.model_copy(update={"buckets": buckets})
