"""User profile files (TOML): extend a built-in, add or remove countries per set.

See docs/profiles.md for the format. Every problem is a ConfigError naming the file and the key
(e.g. ``concern.add[0].country``). Removing a country its base flags is allowed but recorded in
``Profile.weakened`` with the guideline items it weakens, so every report can say so.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from residency_audit.errors import ConfigError
from residency_audit.profiles._validate import (
    SET_NAMES,
    WEAKENS,
    array,
    country_code,
    no_unknown_keys,
    string,
    table,
)
from residency_audit.profiles.builtin import BUILTIN_NAMES, builtin_profile
from residency_audit.profiles.model import Basis, Profile, Weakening

__all__ = ["load_user_profile"]

_TOP_KEYS = ("name", "description_en", "description_ja", "extends", *SET_NAMES)
_SET_KEYS = ("add", "remove", "replace")
_ENTRY_KEYS = ("country", "basis_en", "basis_ja", "source", "policy_default")

Members = dict[str, tuple[Basis, ...]]


def load_user_profile(path: Path) -> Profile:
    file = str(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("profile file not found", file=file) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read profile file: {exc.strerror}", file=file) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("profile file is not UTF-8 text", file=file) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", file=file) from exc

    no_unknown_keys(data, _TOP_KEYS, file=file, prefix="")
    if "name" not in data:
        raise ConfigError("missing required key", file=file, key="name")
    name = string(data["name"], file=file, key="name")
    if name in BUILTIN_NAMES:
        raise ConfigError(
            f"{name!r} is a built-in profile name; give your profile its own name",
            file=file,
            key="name",
        )
    if "extends" not in data:
        raise ConfigError(
            f"missing required key (one of: {', '.join(BUILTIN_NAMES)})", file=file, key="extends"
        )
    extends = string(data["extends"], file=file, key="extends")
    if extends not in BUILTIN_NAMES:
        raise ConfigError(
            f"unknown built-in profile {extends!r} (one of: {', '.join(BUILTIN_NAMES)})",
            file=file,
            key="extends",
        )
    base = builtin_profile(extends)
    default_basis = Basis(
        label_en=f"Listed by user profile '{name}'",
        label_ja=f"利用者プロファイル「{name}」による指定",
        source=f"user profile '{name}'",
        policy_default=True,
    )
    ctx = _Ctx(file=file, default_basis=default_basis)
    sets: dict[str, Members] = {}
    for set_name in SET_NAMES:
        base_members: Members = getattr(base, set_name)
        if set_name in data:
            spec = table(data[set_name], file=file, key=set_name)
            sets[set_name] = ctx.apply(set_name, spec, base_members)
        else:
            sets[set_name] = dict(base_members)

    weakened = tuple(
        Weakening(country=cc, removed_from=set_name, items=WEAKENS[set_name])
        for set_name in ("concern", "government_access")
        for cc in sorted(getattr(base, set_name))
        if cc not in sets[set_name]
    )
    return Profile(
        name=name,
        description_en=_optional_text(
            data, "description_en", f"User profile extending {extends}", file
        ),
        description_ja=_optional_text(
            data, "description_ja", f"{extends} を拡張した利用者プロファイル", file
        ),
        base=extends,
        concern=sets["concern"],
        government_access=sets["government_access"],
        allowed=sets["allowed"],
        weakened=weakened,
    )


def _optional_text(data: dict[str, Any], key: str, default: str, file: str) -> str:
    return string(data[key], file=file, key=key) if key in data else default


class _Ctx:
    def __init__(self, *, file: str, default_basis: Basis) -> None:
        self.file = file
        self.default_basis = default_basis

    def apply(self, set_name: str, spec: dict[str, Any], base: Members) -> Members:
        file = self.file
        no_unknown_keys(spec, _SET_KEYS, file=file, prefix=f"{set_name}.")
        if "replace" in spec and ("add" in spec or "remove" in spec):
            raise ConfigError(
                "use either replace, or add/remove, not both", file=file, key=f"{set_name}.replace"
            )
        if "replace" in spec:
            entries = self._entries(spec["replace"], f"{set_name}.replace")
            # A bare code keeps the base's bases for that country (e.g. JP's), if it had any.
            return _sorted(
                {cc: bases or base.get(cc) or (self.default_basis,) for cc, bases in entries}
            )

        result = dict(base)
        removed: set[str] = set()
        for i, raw in enumerate(array(spec.get("remove", []), file=file, key=f"{set_name}.remove")):
            key = f"{set_name}.remove[{i}]"
            cc = country_code(raw, file=file, key=key)
            if cc in removed:
                raise ConfigError(f"{cc} is listed twice", file=file, key=key)
            if cc not in base:
                raise ConfigError(
                    f"{cc} is not in the base profile's {set_name} set", file=file, key=key
                )
            removed.add(cc)
            del result[cc]
        for i, (cc, bases) in enumerate(self._entries(spec.get("add", []), f"{set_name}.add")):
            if cc in removed:
                raise ConfigError(
                    f"{cc} is both removed and added", file=file, key=f"{set_name}.add[{i}]"
                )
            own = bases or (self.default_basis,)
            result[cc] = tuple(dict.fromkeys((*result.get(cc, ()), *own)))
        return _sorted(result)

    def _entries(self, raw: Any, key: str) -> list[tuple[str, tuple[Basis, ...]]]:
        """Entries as (country, explicit bases); bare codes give no explicit basis."""
        out: list[tuple[str, tuple[Basis, ...]]] = []
        seen: set[str] = set()
        for i, item in enumerate(array(raw, file=self.file, key=key)):
            item_key = f"{key}[{i}]"
            if isinstance(item, dict):
                cc, basis = self._entry_table(item, item_key)
                bases: tuple[Basis, ...] = (basis,) if basis else ()
            else:
                cc, bases = country_code(item, file=self.file, key=item_key), ()
            if cc in seen:
                raise ConfigError(f"{cc} is listed twice", file=self.file, key=item_key)
            seen.add(cc)
            out.append((cc, bases))
        return out

    def _entry_table(self, item: dict[str, Any], key: str) -> tuple[str, Basis | None]:
        file = self.file
        no_unknown_keys(item, _ENTRY_KEYS, file=file, prefix=f"{key}.")
        if "country" not in item:
            raise ConfigError("missing required key", file=file, key=f"{key}.country")
        cc = country_code(item["country"], file=file, key=f"{key}.country")
        texts = {
            k: string(item[k], file=file, key=f"{key}.{k}")
            for k in ("basis_en", "basis_ja", "source")
            if k in item
        }
        policy_default = item.get("policy_default", True)
        if not isinstance(policy_default, bool):
            raise ConfigError("expected true or false", file=file, key=f"{key}.policy_default")
        if not texts and "policy_default" not in item:
            return cc, None
        # Reports are bilingual: a basis given in one language must be given in both.
        for k in ("basis_en", "basis_ja"):
            if k not in texts:
                raise ConfigError("basis_en and basis_ja go together", file=file, key=f"{key}.{k}")
        return cc, Basis(
            label_en=texts["basis_en"],
            label_ja=texts["basis_ja"],
            source=texts.get("source", self.default_basis.source),
            policy_default=policy_default,
        )


def _sorted(members: dict[str, tuple[Basis, ...]]) -> Members:
    return {cc: members[cc] for cc in sorted(members)}
