"""The profile files' format as pydantic models: shapes, types and codes are checked here, with
one error wording (``residency_audit.validation``); what depends on the base profile (a country
removed that the base does not list, one listed twice) is checked by the loaders.

User profiles: docs/profiles.md. Built-in profiles: ``profiles/data`` (see ``builtin.py``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    StrictBool,
    StrictStr,
    Tag,
    ValidationInfo,
    field_validator,
)

from residency_audit.catalog import iso_countries
from residency_audit.validation import TAG, StrictModel

__all__ = [
    "SET_NAMES",
    "WEAKENS",
    "BuiltinBasis",
    "BuiltinProfileFile",
    "CountryCode",
    "Entry",
    "EntryTable",
    "SetSpec",
    "UserProfileFile",
]

SET_NAMES = ("concern", "government_access", "allowed")
# Removing a country from these sets weakens these guideline items.
WEAKENS: dict[str, tuple[str, ...]] = {"concern": ("(2)-1",), "government_access": ("(2)-2",)}

_ISO2 = re.compile(r"^[A-Z]{2}$")


def _iso(value: str) -> str:
    if not _ISO2.match(value):
        raise ValueError(
            f"{value!r} is not an ISO 3166-1 alpha-2 code (two upper-case letters, e.g. 'JP')"
        )
    if value not in iso_countries():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


CountryCode = Annotated[StrictStr, AfterValidator(_iso)]
Text = Annotated[StrictStr, AfterValidator(_text)]


class EntryTable(StrictModel):
    """``{country = "SY", basis_en = "...", basis_ja = "...", source = "..."}``."""

    country: CountryCode
    basis_en: Text | None = None
    basis_ja: Text | None = None
    source: Text | None = None
    policy_default: StrictBool | None = None


def _entry_kind(value: Any) -> str:
    return TAG.format("table") if isinstance(value, dict) else TAG.format("code")


# a bare country code, or a table with its basis
Entry = Annotated[
    Annotated[CountryCode, Tag(TAG.format("code"))]
    | Annotated[EntryTable, Tag(TAG.format("table"))],
    Discriminator(_entry_kind),
]


class SetSpec(StrictModel):
    """How a user profile changes one of its base's sets."""

    add: tuple[Entry, ...] | None = None
    remove: tuple[CountryCode, ...] | None = None
    replace: tuple[Entry, ...] | None = None

    @field_validator("replace")
    @classmethod
    def _alone(cls, value: tuple[Any, ...] | None, info: ValidationInfo) -> tuple[Any, ...] | None:
        if value is not None and (
            info.data.get("add") is not None or info.data.get("remove") is not None
        ):
            raise ValueError("use either replace, or add/remove, not both")
        return value


class UserProfileFile(StrictModel):
    name: Text
    extends: Text
    description_en: Text | None = None
    description_ja: Text | None = None
    concern: SetSpec | None = None
    government_access: SetSpec | None = None
    allowed: SetSpec | None = None


class BuiltinBasis(StrictModel):
    """A basis of ``bases.toml``; ``corroboration`` is checked but never shown as a basis."""

    label_en: Text
    label_ja: Text
    source: Text
    policy_default: StrictBool = False
    corroboration: tuple[Text, ...] = ()


class BuiltinProfileFile(StrictModel):
    """A built-in profile: each set maps a basis name to the countries it covers."""

    name: Text
    description_en: Text
    description_ja: Text
    concern: dict[str, tuple[CountryCode, ...]] = Field(default_factory=dict)
    government_access: dict[str, tuple[CountryCode, ...]] = Field(default_factory=dict)
    allowed: dict[str, tuple[CountryCode, ...]] = Field(default_factory=dict)
