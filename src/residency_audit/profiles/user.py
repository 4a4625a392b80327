"""User profile files (TOML): extend a built-in, add or remove countries per set.

See docs/profiles.md for the format. Every problem is a ConfigError naming the file and the key
(e.g. ``concern.add[0].country``). Removing a country its base flags is allowed but recorded in
``Profile.weakened`` with the guideline items it weakens, so every report can say so.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from residency_audit.errors import ConfigError
from residency_audit.profiles.builtin import BUILTIN_NAMES, builtin_profile
from residency_audit.profiles.files import (
    SET_NAMES,
    WEAKENS,
    Entry,
    EntryTable,
    SetSpec,
    UserProfileFile,
)
from residency_audit.profiles.model import Basis, Profile, Weakening
from residency_audit.validation import validated

__all__ = ["load_user_profile"]

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

    spec = validated(UserProfileFile, data, file=file)
    name = spec.name
    if name in BUILTIN_NAMES:
        raise ConfigError(
            f"{name!r} is a built-in profile name; give your profile its own name",
            file=file,
            key="name",
        )
    if spec.extends not in BUILTIN_NAMES:
        raise ConfigError(
            f"unknown built-in profile {spec.extends!r} (one of: {', '.join(BUILTIN_NAMES)})",
            file=file,
            key="extends",
        )
    base = builtin_profile(spec.extends)
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
        change: SetSpec | None = getattr(spec, set_name)
        sets[set_name] = (
            dict(base_members) if change is None else ctx.apply(set_name, change, base_members)
        )

    weakened = tuple(
        Weakening(country=cc, removed_from=set_name, items=WEAKENS[set_name])
        for set_name in ("concern", "government_access")
        for cc in sorted(getattr(base, set_name))
        if cc not in sets[set_name]
    )
    return Profile(
        name=name,
        description_en=spec.description_en or f"User profile extending {spec.extends}",
        description_ja=spec.description_ja or f"{spec.extends} を拡張した利用者プロファイル",
        base=spec.extends,
        concern=sets["concern"],
        government_access=sets["government_access"],
        allowed=sets["allowed"],
        weakened=weakened,
    )


class _Ctx:
    """What depends on the base profile, or on entries together: checked after the shapes."""

    def __init__(self, *, file: str, default_basis: Basis) -> None:
        self.file = file
        self.default_basis = default_basis

    def apply(self, set_name: str, spec: SetSpec, base: Members) -> Members:
        file = self.file
        if spec.replace is not None:
            entries = self._entries(spec.replace, f"{set_name}.replace")
            # A bare code keeps the base's bases for that country (e.g. JP's), if it had any.
            return _sorted(
                {cc: bases or base.get(cc) or (self.default_basis,) for cc, bases in entries}
            )

        result = dict(base)
        removed: set[str] = set()
        for i, cc in enumerate(spec.remove or ()):
            key = f"{set_name}.remove[{i}]"
            if cc in removed:
                raise ConfigError(f"{cc} is listed twice", file=file, key=key)
            if cc not in base:
                raise ConfigError(
                    f"{cc} is not in the base profile's {set_name} set", file=file, key=key
                )
            removed.add(cc)
            del result[cc]
        for i, (cc, bases) in enumerate(self._entries(spec.add or (), f"{set_name}.add")):
            if cc in removed:
                raise ConfigError(
                    f"{cc} is both removed and added", file=file, key=f"{set_name}.add[{i}]"
                )
            own = bases or (self.default_basis,)
            result[cc] = tuple(dict.fromkeys((*result.get(cc, ()), *own)))
        return _sorted(result)

    def _entries(self, raw: tuple[Entry, ...], key: str) -> list[tuple[str, tuple[Basis, ...]]]:
        """Entries as (country, explicit bases); bare codes give no explicit basis."""
        out: list[tuple[str, tuple[Basis, ...]]] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            item_key = f"{key}[{i}]"
            if isinstance(item, EntryTable):
                cc, basis = item.country, self._basis(item, item_key)
                bases: tuple[Basis, ...] = (basis,) if basis else ()
            else:
                cc, bases = item, ()
            if cc in seen:
                raise ConfigError(f"{cc} is listed twice", file=self.file, key=item_key)
            seen.add(cc)
            out.append((cc, bases))
        return out

    def _basis(self, item: EntryTable, key: str) -> Basis | None:
        given = (item.basis_en, item.basis_ja, item.source, item.policy_default)
        if all(v is None for v in given):
            return None
        # Reports are bilingual: a basis given in one language must be given in both.
        for name in ("basis_en", "basis_ja"):
            if getattr(item, name) is None:
                raise ConfigError(
                    "basis_en and basis_ja go together", file=self.file, key=f"{key}.{name}"
                )
        assert item.basis_en is not None and item.basis_ja is not None
        return Basis(
            label_en=item.basis_en,
            label_ja=item.basis_ja,
            source=item.source or self.default_basis.source,
            policy_default=True if item.policy_default is None else item.policy_default,
        )


def _sorted(members: dict[str, tuple[Basis, ...]]) -> Members:
    return {cc: members[cc] for cc in sorted(members)}
