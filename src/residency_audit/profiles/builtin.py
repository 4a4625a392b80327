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
from residency_audit.profiles._validate import (
    SET_NAMES,
    array,
    country_code,
    no_unknown_keys,
    string,
    table,
)
from residency_audit.profiles.model import Basis, Profile

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


def primary_source(value: Any, *, file: str, key: str) -> str:
    """A basis source whose every URL is on a primary host (see PRIMARY_HOSTS)."""
    text = string(value, file=file, key=key)
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
        t = table(raw, file=where, key=basis_id)
        no_unknown_keys(
            t,
            ("label_en", "label_ja", "source", "policy_default", "corroboration"),
            file=where,
            prefix=f"{basis_id}.",
        )
        for i, lead in enumerate(
            array(t.get("corroboration", []), file=where, key=f"{basis_id}.corroboration")
        ):
            string(lead, file=where, key=f"{basis_id}.corroboration[{i}]")
        bases[basis_id] = Basis(
            label_en=string(t.get("label_en"), file=where, key=f"{basis_id}.label_en"),
            label_ja=string(t.get("label_ja"), file=where, key=f"{basis_id}.label_ja"),
            source=primary_source(t.get("source"), file=where, key=f"{basis_id}.source"),
            policy_default=t.get("policy_default", False) is True,
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
    no_unknown_keys(
        data, ("name", "description_en", "description_ja", *SET_NAMES), file=where, prefix=""
    )
    bases = _bases()
    sets: dict[str, dict[str, tuple[Basis, ...]]] = {}
    for set_name in SET_NAMES:
        members: dict[str, list[Basis]] = {}
        for basis_id, countries in table(data.get(set_name, {}), file=where, key=set_name).items():
            key = f"{set_name}.{basis_id}"
            if basis_id not in bases:
                raise ConfigError("no such basis in bases.toml", file=where, key=key)
            for i, cc in enumerate(array(countries, file=where, key=key)):
                code = country_code(cc, file=where, key=f"{key}[{i}]")
                members.setdefault(code, []).append(bases[basis_id])
        sets[set_name] = {cc: tuple(members[cc]) for cc in sorted(members)}
    return Profile(
        name=string(data.get("name"), file=where, key="name"),
        description_en=string(data.get("description_en"), file=where, key="description_en"),
        description_ja=string(data.get("description_ja"), file=where, key="description_ja"),
        concern=sets["concern"],
        government_access=sets["government_access"],
        allowed=sets["allowed"],
    )
