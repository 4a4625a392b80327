"""The ``fixture`` provider: serves a saved, normalized inventory file as if it were a cloud.

It is registered through the same entry-point group as the real plugins, so the core's own tests
exercise discovery, concurrency and failure handling without any cloud SDK. A scope recorded in the
file as ``failed`` is replayed as a collection error, so exit code 3 can be tested end to end.

Settings (``[providers.fixture]``): ``path`` = the inventory JSON file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from .errors import CollectionError, ConfigError
from .inventory_file import load_inventory
from .model import Bucket, CoverageNote, Inventory, ScopeStatus
from .plugin_settings import Text, parse_table
from .plugins import Scope
from .validation import StrictModel

__all__ = ["FixtureProvider"]


class _FixtureTable(StrictModel):
    path: Text | None = None


class FixtureProvider:
    name: ClassVar[str] = "fixture"

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._inventory: Inventory | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> FixtureProvider:
        path = parse_table(_FixtureTable, settings, "providers.fixture").path
        if path and not Path(path).is_file():
            # said here, before any scope is collected; the scan adds the config file's name
            raise ConfigError(f"no inventory file at {path}", key="providers.fixture.path")
        provider = cls(Path(path) if path else None)
        if path:
            provider._load()  # a local file: a malformed one is bad input, found before the scan
        return provider

    def _load(self) -> Inventory:
        if self._path is None:
            raise ConfigError(
                "missing: the path of an inventory file", key="providers.fixture.path"
            )
        if self._inventory is None:
            self._inventory = load_inventory(self._path)
        return self._inventory

    def scopes(self) -> Iterable[Scope]:
        inventory = self._load()
        seen: dict[tuple[str, str], str | None] = {}
        for result in inventory.scopes:
            seen[(result.provider, result.scope)] = result.name
        for bucket in inventory.buckets:
            seen.setdefault((bucket.provider, bucket.scope), None)
        return [Scope(provider=p, id=s, name=n) for (p, s), n in sorted(seen.items())]

    def buckets(self, scope: Scope) -> Iterator[Bucket | CoverageNote]:
        inventory = self._load()
        recorded = next(
            (s for s in inventory.scopes if (s.provider, s.scope) == (scope.provider, scope.id)),
            None,
        )
        if recorded is not None:
            yield from recorded.notes
        for bucket in inventory.buckets:
            if (bucket.provider, bucket.scope) == (scope.provider, scope.id):
                # the resolve stage recomputes countries from the current catalog
                yield bucket.model_copy(
                    update={
                        "locations": tuple(
                            loc.model_copy(update={"resolution": None}) for loc in bucket.locations
                        ),
                        "classification": None,
                        "classification_source": None,
                    }
                )
        if recorded is not None and recorded.status is not ScopeStatus.COMPLETE:
            raise CollectionError(recorded.error or f"scope recorded as {recorded.status}")

    def required_permissions(self) -> Sequence[str]:
        return ()

    def permission_policy(self) -> Mapping[str, Any]:
        return {"note": "the fixture provider reads a local file and needs no cloud permission"}
