"""Built-in profiles, shipped as TOML data in ``profiles/data``.

Format: ``bases.toml`` defines named bases (label_en, label_ja, source, policy_default, and
``corroboration``: secondary copies that led to the primary text, checked here but kept out of the
:class:`Basis`, so no profile, report or ticket can show one as the basis); each
profile file has ``name``, ``description_en``, ``description_ja`` and one table per set
(``concern``, ``government_access``, ``allowed``) mapping a basis name to the countries it covers.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources
from typing import Any

from residency_audit.errors import ConfigError
from residency_audit.profiles.files import SET_NAMES, BuiltinBasis, BuiltinProfileFile
from residency_audit.profiles.model import Basis, Profile
from residency_audit.validation import validated

__all__ = [
    "BUILTIN_NAMES",
    "PRIMARY_HOSTS",
    "builtin_profile",
    "builtin_profiles",
    "primary_source",
]

BUILTIN_NAMES = ("jp-default", "jp-group-d")

# Hosts a built-in basis may cite as its source: e-Gov (the law), the Official Gazette, the
# Ministry of Justice's translation, METI, and CISTEC for the guideline itself. Anything else
# (an encyclopedia, a document-sharing copy, a blog) belongs in `corroboration`.
PRIMARY_HOSTS = (
    "laws.e-gov.go.jp",
    "elaws.e-gov.go.jp",
    "kanpou.npb.go.jp",
    "www.japaneselawtranslation.go.jp",
    "www.meti.go.jp",
    "www.cistec.or.jp",
)
_URL_HOST = re.compile(r"https?://([^/\s]+)")


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped with the package."""
    return list(BUILTIN_NAMES)


def _read(name: str) -> tuple[str, dict[str, Any]]:
    where = f"residency_audit/profiles/data/{name}"
    text = resources.files("residency_audit.profiles").joinpath("data", name).read_text("utf-8")
    try:
        return where, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # a packaging bug, reported like any bad profile
        raise ConfigError(str(exc), file=where) from exc


def primary_source(text: str, *, file: str, key: str) -> str:
    """A basis source whose every URL is on a primary host (see PRIMARY_HOSTS)."""
    for host in _URL_HOST.findall(text):
        if host.lower() not in PRIMARY_HOSTS:
            raise ConfigError(
                f"{host} is not a primary source (allowed: {', '.join(PRIMARY_HOSTS)}); "
                "move secondary copies to corroboration",
                file=file,
                key=key,
            )
    return text


@functools.cache
def _bases() -> dict[str, Basis]:
    where, data = _read("bases.toml")
    bases: dict[str, Basis] = {}
    for basis_id, raw in data.items():
        basis = validated(BuiltinBasis, raw, file=where, prefix=basis_id)
        bases[basis_id] = Basis(
            label_en=basis.label_en,
            label_ja=basis.label_ja,
            source=primary_source(basis.source, file=where, key=f"{basis_id}.source"),
            policy_default=basis.policy_default,
        )
    return bases


@functools.cache
def builtin_profile(name: str) -> Profile:
    """A built-in profile by name; ConfigError for an unknown name."""
    if name not in BUILTIN_NAMES:
        raise ConfigError(
            f"unknown built-in profile {name!r} (built-ins: {', '.join(BUILTIN_NAMES)})",
            key="profile",
        )
    where, data = _read(f"{name}.toml")
    spec = validated(BuiltinProfileFile, data, file=where)
    bases = _bases()
    sets: dict[str, dict[str, tuple[Basis, ...]]] = {}
    for set_name in SET_NAMES:
        members: dict[str, list[Basis]] = {}
        for basis_id, countries in getattr(spec, set_name).items():
            if basis_id not in bases:
                raise ConfigError(
                    "no such basis in bases.toml", file=where, key=f"{set_name}.{basis_id}"
                )
            for code in countries:
                members.setdefault(code, []).append(bases[basis_id])
        sets[set_name] = {cc: tuple(members[cc]) for cc in sorted(members)}
    return Profile(
        name=spec.name,
        description_en=spec.description_en,
        description_ja=spec.description_ja,
        concern=sets["concern"],
        government_access=sets["government_access"],
        allowed=sets["allowed"],
    )
