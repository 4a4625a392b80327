"""Evaluation settings: how buckets are classified and which attestations the user has made.

These are built by the config loader from the scan config (``[classification]``,
``[[attestations]]``, ``[scan] rules``) and passed to :func:`residency_audit.rules.evaluate`.
``today`` is explicit so evaluation stays a pure function of its inputs (the CLI passes the
current date).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from ..model import Classification
from .selection import RuleSelection

__all__ = ["Attestation", "ClassificationSettings", "EvaluationSettings"]

_NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

_DEFAULT_VALUES: dict[Classification, tuple[str, ...]] = {
    Classification.SENSITIVE: ("sensitive", "confidential", "restricted", "secret"),
    Classification.INTERNAL: ("internal",),
    Classification.PUBLIC: ("public",),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClassificationSettings(_Frozen):
    """Which tag/label keys carry a classification and which values mean what.

    Keys are tried in order; the first one present on the bucket decides. Keys and values match
    case-insensitively (GCP labels are lower-case, AWS and Azure tags are not). A value that maps to
    no class leaves the bucket unclassified -- which is never treated as harmless.
    """

    keys: tuple[_NonEmpty, ...] = ("data-classification", "classification")
    values: Mapping[Classification, tuple[_NonEmpty, ...]] = Field(
        default_factory=lambda: dict(_DEFAULT_VALUES)
    )

    @field_validator("values")
    @classmethod
    def _check_values(
        cls, values: Mapping[Classification, tuple[str, ...]]
    ) -> Mapping[Classification, tuple[str, ...]]:
        if Classification.UNCLASSIFIED in values:
            raise ValueError("'unclassified' is what no match means; it takes no values")
        owner: dict[str, Classification] = {}
        for cls_, accepted in values.items():
            for value in accepted:
                folded = value.casefold()
                if folded in owner and owner[folded] is not cls_:
                    raise ValueError(
                        f"value {value!r} is listed under both {owner[folded]} and {cls_}"
                    )
                owner[folded] = cls_
        return values


class Attestation(_Frozen):
    """A dated, signed-off record that a provider contract was reviewed for item (1)-1 or (2)-3."""

    provider: _NonEmpty
    scope: _NonEmpty  # account / project / subscription id, or "*" for every scope of the provider
    item: Literal["(1)-1", "(2)-3"]
    reviewed_on: date
    reviewer: _NonEmpty
    expires: date
    note: str = ""

    @model_validator(mode="after")
    def _dates_in_order(self) -> Attestation:
        if self.expires < self.reviewed_on:
            raise ValueError("expires is before reviewed_on")
        return self

    def covers(self, provider: str, scope: str) -> bool:
        return self.provider == provider and self.scope in ("*", scope)


class EvaluationSettings(_Frozen):
    classification: ClassificationSettings = Field(default_factory=ClassificationSettings)
    attestations: tuple[Attestation, ...] = ()
    today: date
    # an attestation expiring within this many days gives an info finding
    expiry_warning_days: Annotated[int, Field(ge=0)] = 30
    # which rules run (``[scan] rules`` / ``exclude_rules``, ``--rules`` / ``--exclude-rules``)
    rules: RuleSelection = RuleSelection()
