"""Errors the library raises. Only the CLI turns them into messages and exit codes.

::

    ResidencyAuditError
    ├── InputError            exit 2: bad config, profile, inventory or arguments
    │   ├── ConfigError       names the file and the key
    │   └── NoProviderAuthenticated
    │                         every provider failed with a CredentialError: nothing collected,
    │                         nothing written
    └── CollectionError       a scope or provider could not be collected (recorded, exit 3)
        └── CredentialError   ... because the provider has no usable credentials
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "CollectionError",
    "ConfigError",
    "CredentialError",
    "InputError",
    "NoProviderAuthenticated",
    "ResidencyAuditError",
]


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


class CredentialError(CollectionError):
    """A provider found no usable credentials, or the cloud refused them (expired, invalid).

    The message is one line naming the credential chain tried and the command or setting that
    fixes it, with no SDK text; ``detail`` keeps the SDK's own words for ``-v``.
    """

    def __init__(self, message: str, *, code: str | None = None, detail: str | None = None) -> None:
        self.detail = detail
        super().__init__(message, code=code)


class NoProviderAuthenticated(InputError):
    """Every configured provider failed to authenticate, so nothing could be collected: a report
    would only say so, and a history entry would read as a scan that found no bucket. The scan
    stops before writing anything (exit 2). ``failures``: provider -> its one-line message."""

    def __init__(self, failures: Mapping[str, str]) -> None:
        self.failures = dict(failures)
        lines = "\n".join(f"  {message}" for message in self.failures.values())
        super().__init__(
            "no provider could authenticate, so nothing was collected "
            f"(no report or history written):\n{lines}"
        )
