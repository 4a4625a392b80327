"""Errors of the history store. The CLI renders them; none carries a database password."""

from __future__ import annotations

from ..errors import InputError, ResidencyAuditError

__all__ = ["HistoryError", "HistoryInputError", "HistoryLockedError", "ScanNotFoundError"]


class HistoryError(ResidencyAuditError):
    """The history database cannot be opened, migrated, read or written."""

    exit_code = 1


class HistoryInputError(HistoryError, InputError):
    """What the user asked for is unusable: a bad URL, a history that does not exist (exit 2)."""

    exit_code = 2


class HistoryLockedError(HistoryError):
    """Another scan holds the write lock longer than we were willing to wait."""


class ScanNotFoundError(HistoryInputError):
    """No recorded scan matches the id (or prefix) asked for."""
