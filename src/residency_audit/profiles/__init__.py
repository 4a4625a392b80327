"""Policy profiles: which countries are of concern, allowed or government-access, and why.

``load_profile("jp-default")`` gives a built-in; ``load_profile(Path("mine.toml"))`` a user profile
that extends one (format in docs/profiles.md).
"""

from __future__ import annotations

from pathlib import Path

from residency_audit.errors import ConfigError
from residency_audit.profiles.builtin import BUILTIN_NAMES, builtin_profile, builtin_profiles
from residency_audit.profiles.describe import describe_profile, profile_summary
from residency_audit.profiles.model import Basis, CountryPolicy, Profile, Tier, Weakening
from residency_audit.profiles.user import load_user_profile

__all__ = [
    "Basis",
    "CountryPolicy",
    "Profile",
    "Tier",
    "Weakening",
    "builtin_profiles",
    "describe_profile",
    "load_profile",
    "profile_summary",
]


def load_profile(name_or_path: str | Path) -> Profile:
    """A built-in profile by name, or a user profile from a TOML file.

    A string that names a built-in is always the built-in, even if a file of that name exists.
    """
    if isinstance(name_or_path, str) and name_or_path in BUILTIN_NAMES:
        return builtin_profile(name_or_path)
    path = Path(name_or_path)
    if isinstance(name_or_path, str) and not path.exists() and _looks_like_name(name_or_path):
        raise ConfigError(
            f"unknown profile {name_or_path!r}: not a built-in ({', '.join(BUILTIN_NAMES)}) "
            "and no such file",
            key="profile",
        )
    return load_user_profile(path)


def _looks_like_name(value: str) -> bool:
    return "/" not in value and "\\" not in value and not value.endswith(".toml")
