"""Reading a ``[providers.NAME]`` settings table: the checks every provider plugin shares.

A plugin builds one :class:`SettingsReader` over its table and asks it for typed values; every
error is a :class:`~residency_audit.errors.ConfigError` whose ``key`` is the full dotted path
(``providers.aws.partitions.aws-cn.regions``), so the CLI can point at the exact line. Checks
that belong to one cloud (account-id shapes, partition names, connection strings) stay in the
plugin, built on :meth:`SettingsReader.error` and :attr:`SettingsReader.raw`.

Absent keys and ``None`` values mean "not set" throughout: TOML has no null, and a plugin called
from Python can pass ``None`` to mean the default. Error messages never echo a value that might
be a secret (URLs are not echoed at all: one could carry a password).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, overload
from urllib.parse import urlsplit

from .errors import ConfigError

__all__ = ["SettingsReader"]


class SettingsReader:
    """Typed, validated access to one settings table.

    ``allowed`` lists the keys the table may hold; any other key is rejected here, before a
    value is read (``None`` = any key, for tables keyed by user data such as project ids).
    """

    def __init__(
        self, raw: Mapping[str, Any], prefix: str, allowed: Collection[str] | None
    ) -> None:
        self._raw = raw
        self._prefix = prefix
        if allowed is not None:
            unknown = sorted(str(k) for k in set(raw) - set(allowed))
            if unknown:
                raise ConfigError(
                    f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}",
                    key=self.key(unknown[0]),
                )

    @property
    def raw(self) -> Mapping[str, Any]:
        """The table as given, for checks only one plugin needs."""
        return self._raw

    @property
    def prefix(self) -> str:
        """The dotted path of this table, e.g. ``providers.gcp``."""
        return self._prefix

    def key(self, name: str) -> str:
        """The dotted key of ``name`` in this table, as errors name it."""
        return f"{self._prefix}.{name}"

    def error(self, name: str, message: str) -> ConfigError:
        """An error about ``name`` for the caller to raise (plugin-specific checks)."""
        return ConfigError(message, key=self.key(name))

    def _get(self, name: str) -> Any:
        return self._raw.get(name)

    @overload
    def string(self, name: str, default: str) -> str: ...
    @overload
    def string(self, name: str, default: None = None) -> str | None: ...
    def string(self, name: str, default: str | None = None) -> str | None:
        """A non-empty string, surrounding whitespace removed."""
        value = self._get(name)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, "must be a non-empty string")
        return value.strip()

    def choice(self, name: str, default: str, choices: Iterable[str]) -> str:
        """One of ``choices`` (a string, compared after removing surrounding whitespace)."""
        options = tuple(choices)
        value = self._get(name)
        if value is None:
            return default
        if not isinstance(value, str) or value.strip() not in options:
            raise self.error(name, f"must be one of {', '.join(options)}")
        return value.strip()

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(name, "must be true or false")
        return value

    @overload
    def integer(self, name: str, default: int, low: int, high: int) -> int: ...
    @overload
    def integer(self, name: str, default: None, low: int, high: int) -> int | None: ...
    def integer(self, name: str, default: int | None, low: int, high: int) -> int | None:
        """An integer from ``low`` to ``high`` inclusive (``true`` is not an integer here)."""
        value = self._get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(name, f"must be an integer from {low} to {high}")
        return value

    @overload
    def number(self, name: str, default: float, high: float | None = None) -> float: ...
    @overload
    def number(self, name: str, default: None, high: float | None = None) -> float | None: ...
    def number(self, name: str, default: float | None, high: float | None = None) -> float | None:
        """A number above 0 (and at most ``high``, when given): rates, timeouts."""
        value = self._get(name)
        if value is None:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not value > 0
            or (high is not None and value > high)
        ):
            bound = "" if high is None else f" up to {high:g}"
            raise self.error(name, f"must be a positive number{bound}")
        return float(value)

    def string_list(
        self, name: str, what: str, *, non_empty: bool = False
    ) -> tuple[str, ...] | None:
        """A list of strings, as given (order and repeats kept: the plugin decides on those).

        ``what`` names the items in the error: ``must be a list of <what>``. Each item's own
        shape (account id, region code) is the plugin's check.
        """
        value = self._get(name)
        if value is None:
            return None
        if (
            not isinstance(value, list | tuple)
            or not all(isinstance(v, str) for v in value)
            or (non_empty and not value)
        ):
            raise self.error(name, f"must be a {'non-empty ' if non_empty else ''}list of {what}")
        return tuple(value)

    def table(
        self,
        name: str,
        allowed: Collection[str] | None = None,
        *,
        message: str = "must be a table",
    ) -> SettingsReader | None:
        """A nested table as a reader whose keys are named ``<prefix>.<name>.<key>``."""
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.error(name, message)
        return SettingsReader(value, self.key(name), allowed)

    def url(self, name: str) -> str | None:
        """An http(s) URL with a host and no credentials in it; a trailing ``/`` is dropped.

        Credentials belong in the plugin's credential chain, where they are never rendered.
        """
        value = self.string(name)
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            has_host = bool(parts.hostname)
            parts.port  # noqa: B018  (raises on a port that is not a number)
        except ValueError:  # an unclosed IPv6 bracket, a port like ":abc"
            raise self.error(name, "must be an http(s) URL") from None
        if parts.scheme not in ("http", "https") or not has_host or any(c.isspace() for c in value):
            raise self.error(name, "must be an http(s) URL")
        if "@" in parts.netloc:
            raise self.error(
                name, "must not carry credentials (user:password@); the plugin's credentials apply"
            )
        return value.rstrip("/")
