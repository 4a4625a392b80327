"""Accepted exceptions: a TOML file of suppressions, each with a reason, an approver and an expiry.

::

    [[suppression]]
    id = "dr-copy-osaka"               # unique; reports and stale warnings name it
    fingerprint = "3f5a..."            # either one finding by fingerprint ...
    reason = "DR copy approved by the export-control committee (minutes 2025-07)"
    approved_by = "k.tanaka@example.co.jp"
    expires = 2026-03-31               # last day the exception holds (TOML date)

    [[suppression]]
    id = "logs-buckets"
    rule = "RA-LOC-*"                  # ... or rule + provider + scope + resource (all globs)
    provider = "aws"
    scope = "123456789012"
    resource = "access-logs-*"         # matched against the bucket name and its uid
    reason = "..."
    approved_by = "..."
    expires = 2026-06-30

A suppressed finding is never dropped: it keeps its place in every report with the exception that
covers it. An expired exception no longer covers anything, and one that matches no finding is
reported as stale so the file does not silently accumulate dead entries.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..errors import ConfigError
from ..model import Finding, SuppressionRef

__all__ = ["Matcher", "Suppression", "SuppressionMatch", "Suppressions", "load_suppressions"]

_PATTERN_KEYS = ("rule", "provider", "scope", "resource")
_REQUIRED = ("id", "reason", "approved_by", "expires")
_KNOWN = {*_REQUIRED, "fingerprint", *_PATTERN_KEYS}


class Suppression(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    reason: str
    approved_by: str
    expires: date  # inclusive: the exception holds through this day
    fingerprint: str | None = None
    rule: str | None = None
    provider: str | None = None
    scope: str | None = None
    resource: str | None = None

    def expired(self, today: date) -> bool:
        return today > self.expires

    def matches(self, finding: Finding) -> bool:
        if self.fingerprint is not None:
            return finding.fingerprint == self.fingerprint
        assert self.rule and self.provider and self.scope and self.resource  # checked at load
        if not (
            fnmatchcase(finding.rule_id, self.rule)
            and fnmatchcase(finding.provider, self.provider)
            and fnmatchcase(finding.scope, self.scope)
        ):
            return False
        # scope-level findings have no resource: only "*" (which matches "") covers them
        names = (finding.resource.name, finding.resource.uid) if finding.resource else ("",)
        return any(fnmatchcase(name, self.resource) for name in names)

    def ref(self) -> SuppressionRef:
        return SuppressionRef(
            id=self.id, reason=self.reason, approved_by=self.approved_by, expires=self.expires
        )


@dataclass(frozen=True)
class SuppressionMatch:
    """What a suppression file did to one set of findings."""

    refs: tuple[SuppressionRef | None, ...]  # per finding, the active exception covering it
    matched: dict[str, int]  # suppression id -> findings it matches (active or expired)

    @property
    def stale(self) -> tuple[str, ...]:
        return _stale(self.matched)


class Matcher:
    """Matches findings one at a time, so a pass over them can do its other work as it goes;
    every finding an exception covers gets the same (frozen) reference to it."""

    def __init__(self, items: tuple[Suppression, ...], today: date) -> None:
        self._items = items
        self._active = {s.id: s.ref() for s in items if not s.expired(today)}
        self.matched = {s.id: 0 for s in items}  # suppression id -> findings matched so far

    def __call__(self, finding: Finding) -> SuppressionRef | None:
        """The active exception covering ``finding`` (the first in the file), if any."""
        ref: SuppressionRef | None = None
        for sup in self._items:
            if sup.matches(finding):
                self.matched[sup.id] += 1
                if ref is None:
                    ref = self._active.get(sup.id)
        return ref

    @property
    def stale(self) -> tuple[str, ...]:
        return _stale(self.matched)


def _stale(matched: dict[str, int]) -> tuple[str, ...]:
    return tuple(sid for sid, n in matched.items() if n == 0)


@dataclass(frozen=True)
class Suppressions:
    items: tuple[Suppression, ...] = ()
    source: str | None = None

    def matcher(self, today: date) -> Matcher:
        return Matcher(self.items, today)

    def match(self, findings: Iterable[Finding], today: date) -> SuppressionMatch:
        matcher = self.matcher(today)
        refs = tuple(matcher(f) for f in findings)
        return SuppressionMatch(refs=refs, matched=matcher.matched)


def load_suppressions(path: Path) -> Suppressions:
    """Read and validate a suppressions file; any problem is a ConfigError naming file and key."""
    file = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("suppressions file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read suppressions file: {exc}", file=file) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=file) from None
    extra = sorted(set(raw) - {"suppression"})
    if extra:
        raise ConfigError(
            "unknown top-level key (expected [[suppression]] tables)", file=file, key=extra[0]
        )
    entries = raw.get("suppression", [])
    if not isinstance(entries, list):
        raise ConfigError(
            "must be an array of tables: [[suppression]]", file=file, key="suppression"
        )
    return Suppressions(items=tuple(_parse_all(entries, file)), source=file)


def _parse_all(entries: Iterable[Any], file: str) -> Iterable[Suppression]:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        sup = _parse(entry, file, f"suppression[{index}]")
        if sup.id in seen:
            raise ConfigError(f"duplicate id {sup.id!r}", file=file, key=f"suppression[{index}].id")
        seen.add(sup.id)
        yield sup


def _parse(entry: Any, file: str, where: str) -> Suppression:
    if not isinstance(entry, dict):
        raise ConfigError("must be a table", file=file, key=where)
    unknown = sorted(set(entry) - _KNOWN)
    if unknown:
        raise ConfigError("unknown key", file=file, key=f"{where}.{unknown[0]}")
    for key in _REQUIRED:
        if key not in entry:
            raise ConfigError(
                "required (every exception needs an id, reason, approver and expiry)",
                file=file,
                key=f"{where}.{key}",
            )
    for key in sorted(set(entry) - {"expires"}):
        value = entry[key]
        if not isinstance(value, str) or not value.strip():
            raise ConfigError("must be a non-empty string", file=file, key=f"{where}.{key}")
    values = {
        key: value.strip() if isinstance(value, str) else value for key, value in entry.items()
    }
    values["expires"] = _date(entry["expires"], file, f"{where}.expires")
    patterns = [key for key in _PATTERN_KEYS if key in entry]
    if "fingerprint" in entry:
        if patterns:
            raise ConfigError(
                "give either fingerprint or rule/provider/scope/resource, not both",
                file=file,
                key=f"{where}.{patterns[0]}",
            )
    else:
        missing = [key for key in _PATTERN_KEYS if key not in entry]
        if missing:
            raise ConfigError(
                "a suppression without a fingerprint needs rule, provider, scope and resource "
                '(use "*" to match any)',
                file=file,
                key=f"{where}.{missing[0]}",
            )
    return Suppression.model_validate(values)


def _date(value: Any, file: str, key: str) -> date:
    if isinstance(value, datetime):
        raise ConfigError("must be a date (2026-03-31), not a date-time", file=file, key=key)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError("must be a date like 2026-03-31", file=file, key=key)
