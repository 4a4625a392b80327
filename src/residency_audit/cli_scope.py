"""A scan scoped on its command line: ``scan --provider`` with ``--account``, ``--project``,
``--subscription``, ``--region`` and ``--aws-profile``, with or without a config file.

The options become the providers' settings tables. Without a config file each named provider
starts from its defaults, which means the SDK's default credentials. With one, ``--provider``
narrows the scan to the providers it names (a provider the file does not configure starts from
its defaults), and each option wins over the file's value for the key it sets. Which key that
is, the plugin says (:class:`residency_audit.plugins.CommandLineScoped`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config, parse_config
from .errors import ConfigError, InputError
from .plugins import available_providers, load_provider_class

__all__ = ["SCOPE_OPTIONS", "CommandLineScope", "ScopedConfig", "scoped_config", "split_values"]

# the options of `scan` a plugin may map to its settings (click's parameter names)
SCOPE_OPTIONS = ("account", "project", "subscription", "region", "aws_profile")

Value = tuple[str, ...] | str


def split_values(values: tuple[str, ...]) -> tuple[str, ...]:
    """A repeated option whose values may each be comma-separated, in order, once each."""
    parts = (v.strip() for value in values for v in value.split(","))
    return tuple(dict.fromkeys(p for p in parts if p))


def flag(option: str) -> str:
    return "--" + option.replace("_", "-")


@dataclass(frozen=True)
class CommandLineScope:
    providers: tuple[str, ...] = ()  # --provider, in the order given
    values: Mapping[str, Value] = field(default_factory=dict)  # only the options given


@dataclass(frozen=True)
class ScopedConfig:
    config: Config
    # settings key ("providers.aws.include_accounts") -> the option that set it, so a plugin's
    # complaint about a value is told as the option's
    origins: Mapping[str, str]
    # settings key -> the option that could have set it (not given)
    options: Mapping[str, str] = field(default_factory=dict)

    def explain(self, error: ConfigError) -> InputError:
        """A settings error in a value an option gave, named by that option; one in a setting an
        option could give says so."""
        key = error.key or ""
        if key in self.origins:
            return InputError(f"{self.origins[key]}: {error.message}")
        if key in self.options:
            return InputError(f"{error} (or give {self.options[key]})")
        return error


def _mapping(name: str, named: bool, source: str | None = None) -> Mapping[str, tuple[str, ...]]:
    try:
        cls = load_provider_class(name)
    except ConfigError as exc:
        if named:
            raise InputError(f"--provider: {exc.message}") from None
        exc.file = exc.file or source  # a provider the config file names
        exc.args = (str(exc),)
        raise
    mapping: Mapping[str, tuple[str, ...]] = getattr(cls, "command_line_settings", {})
    return mapping


def _not_taken(option: str, scanned: list[str]) -> InputError:
    takers = [n for n in available_providers() if option in _mapping(n, named=False)]
    where = f"applies to {', '.join(takers)}" if takers else "applies to no installed provider"
    return InputError(
        f"{flag(option)} {where}, and this scan covers {', '.join(scanned)} "
        "(add --provider, or drop the option)"
    )


def scoped_config(config: Config | None, scope: CommandLineScope) -> ScopedConfig:
    """The config the scan runs: the file's (if any), narrowed and overridden by the options."""
    if config is None and not scope.providers:
        raise InputError(
            "nothing to scan: give --config FILE, or --provider aws|gcp|azure "
            "(repeatable) to scan with the SDKs' default credentials"
        )
    tables: dict[str, dict[str, Any]] = dict(config.providers) if config else {}
    if scope.providers:
        tables = {n: dict(tables.get(n, {})) for n in dict.fromkeys(scope.providers)}
    source = config.source if config else None
    mappings = {n: _mapping(n, bool(scope.providers), source) for n in tables}
    origins: dict[str, str] = {}
    options = {
        f"providers.{name}.{keys[0]}": flag(option)
        for name, mapping in mappings.items()
        for option, keys in mapping.items()
    }
    for option, value in scope.values.items():
        takers = [n for n in tables if option in mappings[n]]
        if not takers:
            raise _not_taken(option, list(tables))
        for name in takers:
            key, *replaced = mappings[name][option]
            table = {k: v for k, v in tables[name].items() if k not in replaced}
            table[key] = list(value) if isinstance(value, tuple) else value
            tables[name] = table
            origins[f"providers.{name}.{key}"] = flag(option)
    if config is None:
        built = parse_config({"providers": tables}, source="command line", base_dir=Path.cwd())
    else:
        built = config.model_copy(update={"providers": tables})
    return ScopedConfig(built, origins, options)
