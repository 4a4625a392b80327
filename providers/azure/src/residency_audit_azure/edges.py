"""Pure: Front Door and CDN origins (API-shaped JSON) -> edge-cache locations of the accounts
they front.

An origin whose host is a storage account's blob or static-website endpoint makes every edge of
the profile a possible holder of whole objects of that account (``Role.CACHE``). The edge set is
one catalog code in the ``cdn`` namespace: ``frontdoor`` for Front Door (Standard/Premium and
classic) and for CDN profiles of sku ``Standard_Microsoft``, which Microsoft serves from Front
Door's edge; ``cdn:<sku>`` for the other CDN skus.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from residency_audit.model import Certainty, EdgeFilter, Location, Namespace, Role

__all__ = [
    "FRONT_DOOR_SKUS",
    "afd_origin_hosts",
    "cache_location",
    "classic_front_door_hosts",
    "edge_code",
    "endpoint_filter",
    "endpoint_hosts",
    "fronted_accounts",
    "is_front_door_profile",
    "origin_account",
]

FRONT_DOOR = "frontdoor"
WEB_CONTAINER = "$web"  # the container a static website serves
# Microsoft.Cdn profile skus that are Front Door Standard/Premium (origin groups, not endpoints)
FRONT_DOOR_SKUS = frozenset({"standard_azurefrontdoor", "premium_azurefrontdoor"})
# "Azure CDN Standard from Microsoft" runs on Front Door's edge network
_ON_FRONT_DOOR_EDGE = frozenset({"standard_microsoft"})

# ACCOUNT[-secondary].blob.core.windows.net, ACCOUNT.z13.web.core.windows.net, their
# privatelink forms (Front Door Premium's private origins), the sovereign clouds' suffixes and
# the Azure DNS zone endpoints (ACCOUNT.z5.blob.storage.azure.net)
_STORAGE_HOST = re.compile(
    r"^(?P<account>[a-z0-9]{3,24})(?:-secondary)?\."
    r"(?:privatelink\.)?"
    r"(?P<kind>blob|web|z\d+\.web|z\d+\.blob)\."
    r"(?:core\.windows\.net|core\.chinacloudapi\.cn|core\.usgovcloudapi\.net|"
    r"core\.cloudapi\.de|storage\.azure\.net)\.?$"
)


def _props(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    props = obj.get("properties")
    return props if isinstance(props, Mapping) else {}


def origin_account(host: Any) -> tuple[str, str | None] | None:
    """(account, container) whose data ``host`` serves: a blob endpoint serves every container
    (None), a static-website endpoint only ``$web``. None for a host that is not a storage
    account's endpoint."""
    if not isinstance(host, str):
        return None
    text = host.strip().lower()
    if "//" in text:  # a URL rather than a host name
        text = text.split("//", 1)[1]
    text = text.split("/", 1)[0].split(":", 1)[0]
    found = _STORAGE_HOST.match(text)
    if found is None:
        return None
    return found.group("account"), WEB_CONTAINER if found.group("kind").endswith("web") else None


def _sku(profile: Mapping[str, Any]) -> str:
    sku = profile.get("sku")
    name = sku.get("name") if isinstance(sku, Mapping) else None
    return str(name or "")


def is_front_door_profile(profile: Mapping[str, Any]) -> bool:
    return _sku(profile).lower() in FRONT_DOOR_SKUS


def edge_code(profile: Mapping[str, Any]) -> tuple[str, str]:
    """(catalog code, mechanism) of a Microsoft.Cdn profile's edges."""
    sku = _sku(profile)
    if sku.lower() in FRONT_DOOR_SKUS or sku.lower() in _ON_FRONT_DOOR_EDGE:
        return FRONT_DOOR, "azure-front-door" if sku.lower() in FRONT_DOOR_SKUS else "azure-cdn"
    return f"cdn:{sku or 'unknown'}", "azure-cdn"


def cache_location(
    region: str, mechanism: str, target: str, edge_filter: EdgeFilter | None = None
) -> Location:
    return Location(
        role=Role.CACHE,
        provider="azure",
        region=region,
        namespace=Namespace.CDN,
        mechanism=mechanism,
        target=target,
        certainty=Certainty.POSSIBLE,
        edge_filter=edge_filter,
    )


def endpoint_hosts(endpoint: Mapping[str, Any]) -> list[str]:
    """The host names of a classic CDN endpoint's origins (a disabled one included: it can be
    enabled again without the auditor's notice, and its edges may still hold what it served)."""
    hosts = []
    for origin in _props(endpoint).get("origins") or []:
        if isinstance(origin, Mapping):
            host = _props(origin).get("hostName") or origin.get("hostName")
            if host:
                hosts.append(str(host))
    return hosts


def endpoint_filter(endpoint: Mapping[str, Any]) -> EdgeFilter | None:
    """A CDN endpoint's geo filter, when one filter covers the whole endpoint (``/``).

    A filter on a sub-path leaves the rest of the endpoint unfiltered, so it narrows nothing;
    two whole-endpoint filters are not combined either (the result would be a guess)."""
    whole = [
        f
        for f in _props(endpoint).get("geoFilters") or []
        if isinstance(f, Mapping) and str(f.get("relativePath") or "").strip() in ("/", "/*", "")
    ]
    if len(whole) != 1:
        return None
    action = str(whole[0].get("action") or "").lower()
    countries = tuple(str(c).upper() for c in whole[0].get("countryCodes") or [] if c)
    if action not in ("allow", "block") or not countries:
        return None
    return EdgeFilter(mode="allow" if action == "allow" else "block", countries=countries)


def classic_front_door_hosts(front_door: Mapping[str, Any]) -> Iterator[str]:
    """Every backend address of a classic Front Door's backend pools."""
    for pool in _props(front_door).get("backendPools") or []:
        if not isinstance(pool, Mapping):
            continue
        for backend in _props(pool).get("backends") or []:
            if isinstance(backend, Mapping) and backend.get("address"):
                yield str(backend["address"])


def afd_origin_hosts(origins: Sequence[Mapping[str, Any]]) -> list[str]:
    """Front Door Standard/Premium origins' host names (disabled ones included, see above)."""
    return [str(_props(o)["hostName"]) for o in origins if _props(o).get("hostName")]


def fronted_accounts(hosts: Sequence[str]) -> list[tuple[str, str | None]]:
    """(account, container or None for every one) for the storage endpoints among ``hosts``,
    each once, in order."""
    found = (origin_account(h) for h in hosts)
    return list(dict.fromkeys(a for a in found if a))
