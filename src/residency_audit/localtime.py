"""How the reports show dates and times: in one zone, and named (``2026-12-02 03:17 JST``).

A daily 03:17 scan in Tokyo must not be dated the day before, so every date and time a reader sees
is in the report's zone (``--timezone``, ``[report] timezone``, else the machine's). The JSON files
keep UTC ISO 8601: they are for programs, and a program should not have to know our zone.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["as_utc", "display_zone", "local_date", "local_when", "zone_label"]

_ZONEINFO_DIR = "zoneinfo/"


def as_utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already (scan times are UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def display_zone(name: str | None = None) -> tzinfo:
    """The zone ``name`` (IANA, e.g. ``Asia/Tokyo``, or ``UTC``), else the machine's own.

    Raises ``ValueError`` naming the value when it is not a zone this machine knows.
    """
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {name!r}: use an IANA name such as Asia/Tokyo or UTC"
            ) from exc
    return _machine_zone()


def _machine_zone() -> tzinfo:
    """The machine's zone as a named zone where it can be found (so summer time is right for
    dates in the past too), else its current fixed offset."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(Path("/etc/localtime").resolve())
        if _ZONEINFO_DIR in target:
            candidates.append(target.split(_ZONEINFO_DIR, 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return datetime.now().astimezone().tzinfo or UTC


def _local(value: datetime, zone: tzinfo) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def zone_label(value: datetime, zone: tzinfo) -> str:
    """The zone's abbreviation at that moment (JST, CET, UTC); ``UTC+05:30`` where the zone has
    none (tz data spells those ``+0530``)."""
    local = _local(value, zone)
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.strftime("%z")  # +0530
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"


def local_when(value: datetime, zone: tzinfo) -> str:
    """``2026-12-02 03:17 JST``: minutes are what a reader compares; the zone is always named."""
    return f"{_local(value, zone):%Y-%m-%d %H:%M} {zone_label(value, zone)}"


def local_date(value: datetime, zone: tzinfo) -> date:
    """The calendar date in the report's zone (a 03:17 JST scan is dated that day in Japan)."""
    return _local(value, zone).date()
