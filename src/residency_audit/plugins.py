"""The provider plugin contract and entry-point discovery.

A provider plugin is a separate distribution that registers a class under the entry-point group
``residency_audit.providers``::

    [project.entry-points."residency_audit.providers"]
    aws = "residency_audit_aws:AwsProvider"

The class is built with :meth:`Provider.from_settings` from the ``[providers.NAME]`` table of the
scan config. Building it makes no network call. Discovery is lazy and loads a plugin only when asked
for by name, so ``--help`` never imports a cloud SDK.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from .errors import CollectionError, ConfigError
from .model import Bucket, CoverageNote

if TYPE_CHECKING:
    from .shard import ShardPlan

__all__ = [
    "ENTRY_POINT_GROUP",
    "CollectionError",
    "CommandLineScoped",
    "Provider",
    "Scope",
    "ShardAware",
    "TagAware",
    "available_providers",
    "load_provider_class",
]

ENTRY_POINT_GROUP = "residency_audit.providers"


@dataclass(frozen=True)
class Scope:
    """An account / project / subscription that a provider can list buckets in."""

    provider: str
    id: str
    name: str | None = None
    # plugin-private context (partition, role to assume, ...); never rendered
    context: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@runtime_checkable
class Provider(Protocol):
    """What a provider plugin implements.

    ``buckets`` yields normalized buckets and, interleaved, coverage notes (a region not enabled, a
    region that could not be reached). A setting it cannot read goes into the bucket's gaps. A scope
    it cannot list at all raises :class:`CollectionError`; the scan records it and goes on.
    """

    name: ClassVar[str]

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Provider: ...

    def scopes(self) -> Iterable[Scope]: ...

    def buckets(self, scope: Scope) -> Iterator[Bucket | CoverageNote]: ...

    def required_permissions(self) -> Sequence[str]: ...

    def permission_policy(self) -> Mapping[str, Any]:
        """A least-privilege policy document (IAM policy, custom role, role definition)."""
        ...


@runtime_checkable
class TagAware(Protocol):
    """A provider whose tags cost a read of their own (S3's GetBucketTagging) may implement this.

    Before the first scope, the scan tells it the tag keys it uses (the classification keys; an
    empty set when none). A provider told nothing reads every bucket's tags.
    """

    def use_tag_keys(self, keys: frozenset[str]) -> None: ...


@runtime_checkable
class ShardAware(Protocol):
    """A provider that can share one scope's buckets between shards (``scan --shard I/N``).

    Before the first scope the scan hands it the shard's plan. Once it has listed a scope, and
    before any per-bucket read, it calls ``plan.share(provider, scope, listed_count)`` and reads
    only the buckets whose ``share.owns(name)`` is true. A scope it fails to list is recorded as
    such; the assembly decides whether that shard's share mattered. A provider that does not
    implement this is sharded by whole scopes (see residency_audit.shard).
    """

    def use_shard(self, plan: ShardPlan) -> None: ...


@runtime_checkable
class CommandLineScoped(Protocol):
    """A provider whose settings `scan` may take from its own options.

    ``command_line_settings`` maps an option of `scan` (``account``, ``project``,
    ``subscription``, ``region``, ``aws_profile``) to the settings key it sets, then any keys it
    replaces (GCP's ``--project`` replaces an ``organization``). An option given on the command line
    wins over the config file. A provider maps only the options that mean something to it, and
    `scan` refuses an option none of the scanned providers maps.
    """

    command_line_settings: ClassVar[Mapping[str, tuple[str, ...]]]


def available_providers() -> list[str]:
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def load_provider_class(name: str) -> type[Provider]:
    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not matches:
        known = ", ".join(available_providers()) or "none installed"
        raise ConfigError(
            f"unknown provider {name!r} (installed: {known})", key=f"providers.{name}"
        )
    loaded = matches[0].load()
    if not isinstance(loaded, type) or not hasattr(loaded, "from_settings"):
        raise ConfigError(
            f"entry point {matches[0].value!r} is not a provider class", key=f"providers.{name}"
        )
    return loaded
