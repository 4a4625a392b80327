"""Errors of the history store. The CLI renders them; none carries a database password."""

from __future__ import annotations

from ..errors import ResidencyAuditError

__all__ = ["HistoryError", "HistoryLockedError", "ScanNotFoundError"]


class HistoryError(ResidencyAuditError):
    """The history database cannot be opened, migrated, read or written."""


class HistoryLockedError(HistoryError):
    """Another scan holds the write lock longer than we were willing to wait."""


class ScanNotFoundError(HistoryError):
    """No recorded scan matches the id (or prefix) asked for."""
