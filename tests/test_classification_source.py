"""The report can say which tag made a bucket sensitive, or that none did."""

from __future__ import annotations

from residency_audit.model import Bucket, Classification
from residency_audit.rules import ClassificationSettings, classify_with_source


def _bucket(tags: dict[str, str]) -> Bucket:
    return Bucket(provider="aws", scope="1", name="b", uid="arn:aws:s3:::b", tags=tags)


def test_source_names_the_deciding_tag() -> None:
    settings = ClassificationSettings()
    cls_, source = classify_with_source(_bucket({"Data-Classification": "Sensitive"}), settings)
    assert cls_ is Classification.SENSITIVE
    assert source == "Data-Classification=Sensitive"  # shown as a code beside the class


def test_source_says_when_no_tag_or_unknown_value() -> None:
    settings = ClassificationSettings()
    cls_, source = classify_with_source(_bucket({"owner": "x"}), settings)
    assert cls_ is Classification.UNCLASSIFIED
    assert source is None  # no tag decided: the class says so
    cls_, source = classify_with_source(_bucket({"classification": "top-secret"}), settings)
    assert cls_ is Classification.UNCLASSIFIED
    assert source == "classification=top-secret"  # the tag that left it unclassified
