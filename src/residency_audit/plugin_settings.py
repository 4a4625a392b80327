"""The value types every provider plugin's ``[providers.NAME]`` model is built from.

A plugin declares its table as a :class:`~residency_audit.validation.StrictModel` of these types
and reads it with :func:`parse_table`; every error is a ConfigError in the one wording of
:mod:`residency_audit.validation`, keyed by the full dotted path
(``providers.aws.partitions.aws-cn.regions``). Checks that belong to one cloud (account-id
shapes, partition names) are the plugin's own validators, raising ``ValueError`` with their
message. Ranges are ``Field(ge=..., le=...)`` on :data:`Count` / :data:`Number`.

Absent keys and ``None`` values mean "not set" throughout: TOML has no null, and a plugin called
from Python can pass ``None`` to mean the default. Error messages never echo a value that might
be a secret (URLs are not echoed at all: one could carry a password).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StrictBool, StrictInt

from .errors import ConfigError
from .inventory_source import DEFAULT_MAX_AGE, parse_max_age
from .validation import StrictModel, kind_of, validated

__all__ = [
    "Count",
    "Flag",
    "HttpUrl",
    "InventoryKeys",
    "Number",
    "Text",
    "parse_table",
]

M = TypeVar("M", bound=BaseModel)


def parse_table(model: type[M], raw: Mapping[str, Any] | None, prefix: str) -> M:
    """The table validated; ``None`` values are "not set" (the model's default applies)."""
    given = {k: v for k, v in (raw or {}).items() if v is not None}
    return validated(model, given, prefix=prefix)


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number (got {kind_of(value)})")
    return float(value)


# a non-empty string, surrounding whitespace removed
Text = Annotated[str, Field(strict=True), AfterValidator(_text)]
Flag = StrictBool
# an integer (``true`` is not one here)
Count = StrictInt
# a number, integer or not, never true/false
Number = Annotated[float, BeforeValidator(_number)]


def _url(value: str) -> str:
    """An http(s) URL with a host and no credentials in it; a trailing ``/`` is dropped.

    Credentials belong in the plugin's credential chain, where they are never rendered."""
    try:
        parts = urlsplit(value)
        has_host = bool(parts.hostname)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:  # an unclosed IPv6 bracket, a port like ":abc"
        raise ValueError("must be an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not has_host or any(c.isspace() for c in value):
        raise ValueError("must be an http(s) URL")
    if "@" in parts.netloc:
        raise ValueError(
            "must not carry credentials (user:password@); the plugin's credentials apply"
        )
    return value.rstrip("/")


HttpUrl = Annotated[Text, AfterValidator(_url)]


def _max_age(value: Any) -> Any:
    return parse_max_age(value)


class InventoryKeys(StrictModel):
    """The keys every plugin's ``source = "inventory"`` shares (docs/inventory-sources.md)."""

    source: Literal["live", "inventory"] = "live"
    # "24h", "90m", "2d", or seconds (parse_max_age's forms)
    max_age: Annotated[timedelta, BeforeValidator(_max_age)] = DEFAULT_MAX_AGE
    verify_sample: Annotated[Count, Field(ge=0, le=100_000)] = 0
    verify_seed: Annotated[Count, Field(ge=0, le=2**63 - 1)] | None = None

    def live_only(self, prefix: str, inventory_keys: tuple[str, ...]) -> None:
        """With ``source = "live"``, a key of the inventory source is a mistake: say which."""
        if self.source != "live":
            return
        given = sorted(k for k in (*inventory_keys, *_SHARED) if k in self.model_fields_set)
        if given:
            raise ConfigError('is a setting of source = "inventory"', key=f"{prefix}.{given[0]}")


_SHARED = ("max_age", "verify_sample", "verify_seed")
