"""Ready-made permission documents: what `residency-audit permissions` asks a plugin for.

The core knows no cloud's policy language. It gathers the command's options into a
:class:`PermissionRequest`, checks them against what the plugin says it understands
(:class:`PermissionDocuments`), and the plugin renders the document from the operations it
declares. A plugin that does not implement the protocol still answers the plain request with
``Provider.permission_policy()`` as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import ClassVar, Literal, Protocol, runtime_checkable

from .errors import InputError
from .plugins import Provider

__all__ = [
    "FORMATS",
    "VARIANTS",
    "PermissionDocuments",
    "PermissionRequest",
    "permission_document",
]

Variant = Literal["default", "organization", "member-role"]
VARIANTS: tuple[Variant, ...] = ("default", "organization", "member-role")
FORMATS = ("json", "cloudformation", "gcloud")


@dataclass(frozen=True)
class PermissionRequest:
    """Which document, in which format, for which role. A field left empty was not asked for
    (the plugin then takes its settings' value: the scan config's, when one was given)."""

    # default: the policy of the identity a scan runs as; organization: the management (caller)
    # account's; member-role: the role each member account lets the management account assume
    variant: Variant = "default"
    format: str = "json"
    role_name: str | None = None
    external_id: str | None = None
    management_account: str | None = None
    partition: str | None = None
    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()

    # the option each field comes from, for messages that name what the user typed
    OPTIONS: ClassVar[Mapping[str, str]] = {
        "role_name": "--role-name",
        "external_id": "--external-id",
        "management_account": "--management-account",
        "partition": "--partition",
        "subscriptions": "--subscription",
        "management_groups": "--management-group",
    }

    def given(self) -> list[str]:
        """The option fields set, in declaration order (``variant``/``format`` not included)."""
        return [
            f.name
            for f in fields(self)
            if f.name in self.OPTIONS and getattr(self, f.name) not in (None, ())
        ]

    @staticmethod
    def option(name: str) -> str:
        """The command-line spelling of a field (``subscriptions`` -> ``--subscription``)."""
        return PermissionRequest.OPTIONS.get(name, f"--{name.replace('_', '-')}")


@runtime_checkable
class PermissionDocuments(Protocol):
    """A provider that renders its own permission documents.

    ``permission_variants`` and ``permission_formats`` list what it offers (``default`` and
    ``json`` among them); ``permission_options`` the :class:`PermissionRequest` fields it reads.
    The core refuses anything else before asking; a combination the plugin cannot render (a
    CloudFormation template of the management policy) is an :class:`InputError` it raises.
    """

    permission_variants: ClassVar[Sequence[str]]
    permission_formats: ClassVar[Sequence[str]]
    permission_options: ClassVar[frozenset[str]]

    def permission_document(self, request: PermissionRequest) -> str:
        """The document, ready to save to a file (ending with a newline)."""
        ...


def _variant_flag(variant: str) -> str:
    return f"--{variant}"


def permission_document(name: str, provider: Provider, request: PermissionRequest) -> str:
    """The document ``request`` asks ``provider`` (loaded as ``name``) for; InputError (exit 2)
    naming the option for anything the plugin does not offer."""
    if not isinstance(provider, PermissionDocuments):
        asked = [PermissionRequest.option(f) for f in request.given()]
        if request.variant != "default":
            asked.insert(0, _variant_flag(request.variant))
        if request.format != "json":
            asked.insert(0, f"--format {request.format}")
        if asked:
            raise InputError(
                f"{', '.join(asked)}: the {name} plugin offers only its default policy "
                f"(`residency-audit permissions {name}`)"
            )
        return json.dumps(provider.permission_policy(), indent=2, ensure_ascii=False) + "\n"
    if request.variant not in provider.permission_variants:
        offered = [_variant_flag(v) for v in provider.permission_variants if v != "default"]
        raise InputError(
            f"{_variant_flag(request.variant)}: not offered by the {name} plugin"
            + (f" (it offers {', '.join(offered)})" if offered else "")
        )
    if request.format not in provider.permission_formats:
        raise InputError(
            f"--format {request.format}: not offered by the {name} plugin "
            f"(it offers {', '.join(provider.permission_formats)})"
        )
    unused = [f for f in request.given() if f not in provider.permission_options]
    if unused:
        takes = sorted(PermissionRequest.option(f) for f in provider.permission_options)
        raise InputError(
            f"{', '.join(PermissionRequest.option(f) for f in unused)}: does not apply to "
            f"{name}" + (f" (it takes {', '.join(takes)})" if takes else "")
        )
    return provider.permission_document(request)
