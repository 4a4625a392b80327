"""The scan config (TOML): profile, providers, classification keys, attestations, output options.

Every problem is a :class:`ConfigError` naming the file and the dotted key, raised before anything
is collected or written.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ConfigError
from .formats import DEFAULT_FORMATS, Format
from .model import Severity
from .rules import Attestation, ClassificationSettings
from .rules.selection import RulePattern, RuleSelection, require_some_rule
from .tickets.settings import TicketsSettings
from .validation import config_error

__all__ = [
    "Config",
    "OutputSettings",
    "ReportSettings",
    "ScanSettings",
    "load_config",
]

Lang = Literal["ja", "en"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AsffSettings(_Strict):
    """Where findings.asff.json is imported (docs/standard-formats.md); None: see report/asff."""

    account: str | None = Field(default=None, pattern=r"^\d{12}$")
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")


class OutputSettings(_Strict):
    dir: Path | None = None
    lang: Lang = "ja"
    formats: tuple[Format, ...] = DEFAULT_FORMATS
    fail_on: Severity = Severity.HIGH
    asff: AsffSettings = AsffSettings()


class ReportSettings(_Strict):
    # IANA zone (Asia/Tokyo) every date and time in the HTML report and workbook is shown in;
    # None = the machine's zone. JSON and CSV keep UTC.
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            from .localtime import display_zone

            display_zone(value)  # ValueError names the value; the loader adds file and key
        return value


class ScanSettings(_Strict):
    max_workers: int = Field(default=4, ge=1, le=64)  # scopes collected at once
    # scan --shard: a scope listing more buckets than this is shared by bucket name, not whole
    shard_split: int = Field(default=5_000, ge=1)
    # rule ids or globs (location.*); None: every rule. --rules / --exclude-rules override them
    rules: tuple[RulePattern, ...] | None = None
    exclude_rules: tuple[RulePattern, ...] = ()

    @model_validator(mode="after")
    def _selects_a_rule(self) -> ScanSettings:
        require_some_rule(self.rules, self.exclude_rules)  # a selection that reports nothing
        return self

    @property
    def selection(self) -> RuleSelection:
        return RuleSelection(include=self.rules, exclude=self.exclude_rules)


class HistorySettings(_Strict):
    url: str | None = None  # sqlite:///... or postgresql+psycopg://...
    suppressions: Path | None = None


class Config(_Strict):
    profile: str = "jp-default"
    providers: dict[str, dict[str, Any]] = Field(min_length=1)
    classification: ClassificationSettings = ClassificationSettings()
    attestations: tuple[Attestation, ...] = ()
    output: OutputSettings = OutputSettings()
    report: ReportSettings = ReportSettings()
    scan: ScanSettings = ScanSettings()
    history: HistorySettings = HistorySettings()
    tickets: TicketsSettings = TicketsSettings()
    # where the file was read from; relative paths in it are taken from here
    base_dir: Path = Field(default=Path("."), exclude=True)
    source: str = Field(default="<config>", exclude=True)

    def output_dir(self, override: Path | None = None) -> Path:
        """``--output``, else ``[output].dir`` (relative to the config file), else ``reports/``."""
        if override is not None:
            return override
        return self.base_dir / self.output.dir if self.output.dir else Path("reports")

    def history_url(self, out_dir: Path) -> str:
        """``[history].url``, else the SQLite history beside the reports."""
        return self.history.url or f"sqlite:///{(out_dir / 'history.db').resolve()}"


def parse_config(data: Mapping[str, Any], *, source: str, base_dir: Path) -> Config:
    try:
        config = Config.model_validate({**data, "base_dir": base_dir, "source": source})
    except ValidationError as exc:
        raise config_error(exc, file=source, model=Config) from None
    for name, table in config.providers.items():
        if not isinstance(table, dict):
            raise ConfigError("must be a table", file=source, key=f"providers.{name}")
    return config


def load_config(path: Path) -> Config:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", file=str(path)) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from None
    return parse_config(data, source=str(path), base_dir=path.resolve().parent)
