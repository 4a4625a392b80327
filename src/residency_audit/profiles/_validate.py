"""Checks shared by the built-in and user profile loaders; every failure names file and key."""

from __future__ import annotations

import re
from typing import Any

from residency_audit.catalog import iso_countries
from residency_audit.errors import ConfigError

SET_NAMES = ("concern", "government_access", "allowed")
# Removing a country from these sets weakens these guideline items.
WEAKENS: dict[str, tuple[str, ...]] = {"concern": ("(2)-1",), "government_access": ("(2)-2",)}

_ISO2 = re.compile(r"^[A-Z]{2}$")


def country_code(value: Any, *, file: str, key: str) -> str:
    """An ISO 3166-1 alpha-2 code in upper case, or ConfigError."""
    if not isinstance(value, str):
        raise ConfigError(f"expected a country code string, got {_kind(value)}", file=file, key=key)
    if not _ISO2.match(value):
        raise ConfigError(
            f"{value!r} is not an ISO 3166-1 alpha-2 code (two upper-case letters, e.g. 'JP')",
            file=file,
            key=key,
        )
    if value not in iso_countries():
        raise ConfigError(
            f"{value!r} is not an ISO 3166-1 alpha-2 country code", file=file, key=key
        )
    return value


def string(value: Any, *, file: str, key: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"expected a string, got {_kind(value)}", file=file, key=key)
    if not allow_empty and not value.strip():
        raise ConfigError("must not be empty", file=file, key=key)
    return value


def table(value: Any, *, file: str, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table, got {_kind(value)}", file=file, key=key)
    return value


def array(value: Any, *, file: str, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"expected an array, got {_kind(value)}", file=file, key=key)
    return value


def no_unknown_keys(
    data: dict[str, Any], allowed: tuple[str, ...], *, file: str, prefix: str
) -> None:
    for k in data:
        if k not in allowed:
            raise ConfigError(
                f"unknown key (expected one of: {', '.join(allowed)})",
                file=file,
                key=f"{prefix}{k}",
            )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
