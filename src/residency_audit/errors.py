"""Errors the library raises. Only the CLI turns them into messages and exit codes.

::

    ResidencyAuditError
    ├── InputError            exit 2: bad config, profile, inventory or arguments
    │   └── ConfigError       names the file and the key
    └── CollectionError       a scope or provider could not be collected (recorded, exit 3)
"""

from __future__ import annotations

__all__ = ["CollectionError", "ConfigError", "InputError", "ResidencyAuditError"]


class ResidencyAuditError(Exception):
    """Base of every error this package raises on purpose."""


class InputError(ResidencyAuditError):
    """Input the user gave us is unusable. The CLI exits with code 2."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.message = message
        self.file = file
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
        if self.key:
            where = f"{where}: {self.key}" if where else self.key
        return f"{where}: {self.message}" if where else self.message


class ConfigError(InputError):
    """A config, profile or settings table is invalid."""


class CollectionError(ResidencyAuditError):
    """A whole scope (account, project, subscription) or provider could not be listed."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        self.code = code
        super().__init__(message)
