"""Pure functions: where a customer-managed key lives, including the copies Azure makes of it.

Key Vault (https://learn.microsoft.com/azure/key-vault/general/disaster-recovery-guidance, source
MicrosoftDocs/azure-security-docs@0253045958adf551765d35cfa7600038c0bf222f
articles/key-vault/general/disaster-recovery-guidance.md; and "Reliability in Azure Key Vault",
MicrosoftDocs/reliability-docs@56e16ee09a9bb392f03c4393d6e4cb2435d137ce
articles/reliability/reliability-key-vault.md) says: for most regions that are paired with another
region, a vault's contents are replicated within the region *and* to the paired region; Brazil
South, Brazil Southeast, West US 3 and every region without a pair are not replicated across
regions (they use zone-redundant storage in the region). So a key in a vault is a ``key``
location in the vault's region and, derived from the region pair table, one in the pair's region.

Managed HSM pools do not follow that model: a pool lives in its ``location`` and, with multi-region
replication, in each region its ``properties.regions`` (or the ``managedHSMs/{name}/regions`` list)
names; each is a ``key`` location.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from residency_audit.model import Evidence, Location, Role

__all__ = [
    "KEY_VAULT_DOC",
    "NO_CROSS_REGION_COPY",
    "PairStatus",
    "PairStatusLookup",
    "find_pool",
    "managed_hsm_host",
    "managed_hsm_key_locations",
    "vault_key_locations",
]

PROVIDER = "azure"
KEY_VAULT_DOC = "https://learn.microsoft.com/azure/key-vault/general/disaster-recovery-guidance"
# The regions the Key Vault documentation names as not replicated across regions (besides every
# region without a pair, which the pair table gives).
NO_CROSS_REGION_COPY = frozenset({"brazilsouth", "brazilsoutheast", "westus3"})


@dataclass(frozen=True)
class PairStatus:
    """What the region pair table says about one region."""

    secondary: str | None  # the paired region; None = no pair, or unknown (see ``known``)
    known: bool  # False: the catalog cannot say whether the region has a pair
    source: str = ""  # the pair table row's source
    reason: str = ""  # why the status is unknown
    why: Evidence | None = None  # the same, as values (``reason.<key>`` terms)


PairStatusLookup = Callable[[str], PairStatus]


def managed_hsm_host(key_uri: str | None) -> str | None:
    """``https://myhsm.managedhsm.azure.net/keys/k`` -> ``myhsm.managedhsm.azure.net``; None for
    anything but a Managed HSM URI. Pools are matched on their ``hsmUri`` host, then on the first
    label as the pool name (the published examples also show ``westus.hsm1.managedhsm...``)."""
    if not key_uri:
        return None
    host = urlsplit(key_uri if "//" in key_uri else f"https://{key_uri}").hostname
    if not host or ".managedhsm." not in host:
        return None
    return host.lower()


def find_pool(pools: Sequence[Mapping[str, Any]], key_uri: str | None) -> Mapping[str, Any] | None:
    """The pool whose ``hsmUri`` host is the key URI's, else the one named by its first label."""
    host = managed_hsm_host(key_uri)
    if host is None:
        return None
    for pool in pools:
        if managed_hsm_host(str((pool.get("properties") or {}).get("hsmUri") or "")) == host:
            return pool
    name = host.split(".", 1)[0]
    return next((p for p in pools if str(p.get("name", "")).lower() == name), None)


def _key(region: str | None, mechanism: str, target: str | None, **extra: Any) -> Location:
    return Location(
        role=Role.KEY,
        provider=PROVIDER,
        region=region,
        mechanism=mechanism,
        target=target,
        **extra,
    )


def vault_key_locations(
    target: str | None,
    vault_region: str | None,
    reason: str | None,
    pair: PairStatusLookup,
    why: Evidence | None = None,
) -> list[Location]:
    """The vault's region and the copy Key Vault keeps in its paired region (``reason`` / ``why``:
    why the vault's region is unknown, when it is)."""
    if not vault_region:
        why = why or Evidence(key="azure.vault-not-read")
        return [_key(None, "key-vault", target, unknown_reason=reason or "vault not read", why=why)]
    locations = [_key(vault_region, "key-vault", target)]
    code = vault_region.replace(" ", "").lower()
    if code in NO_CROSS_REGION_COPY:
        return locations  # documented as not replicated across regions
    status = pair(vault_region)
    if status.secondary:
        locations.append(
            _key(
                status.secondary,
                "key-vault-paired-replication",
                target,
                derived=True,
                unknown_reason=(
                    f"Key Vault replicates a vault's contents to its paired region "
                    f"({KEY_VAULT_DOC}); the pair of {vault_region} from the region pair table "
                    f"({status.source})"
                ),
                why=Evidence(
                    key="azure.vault-paired-copy", subject=vault_region, value=status.source
                ),
            )
        )
    elif not status.known:
        locations.append(
            _key(
                None,
                "key-vault-paired-replication",
                target,
                unknown_reason=(
                    f"Key Vault replicates a vault's contents to its paired region "
                    f"({KEY_VAULT_DOC}), but whether {vault_region} has a pair is unknown: "
                    f"{status.reason}"
                ),
                why=status.why or Evidence(key="azure.vault-pair-unknown", subject=vault_region),
            )
        )
    return locations


def managed_hsm_key_locations(
    target: str | None,
    pool: Mapping[str, Any] | None,
    regions: Sequence[Mapping[str, Any]] | None,
    reason: str | None,
    why: Evidence | None = None,
) -> list[Location]:
    """The pool's region (primary) and each region it is extended to.

    ``pool`` None: the pool was not found or not read (``reason``). ``regions`` None: its region
    list could not be read, so an extended region may hold the key (a location of unknown region).
    """
    if pool is None:
        why = why or Evidence(key="azure.hsm-not-read")
        return [
            _key(None, "managed-hsm", target, unknown_reason=reason or "pool not read", why=why)
        ]
    home = str(pool.get("location") or "") or None
    locations = [
        _key(
            home,
            "managed-hsm",
            target,
            unknown_reason=None if home else "the Managed HSM pool returned no location",
            why=None if home else Evidence(key="azure.hsm-no-location"),
        )
    ]
    if regions is None:
        locations.append(
            _key(
                None,
                "managed-hsm-multi-region",
                target,
                unknown_reason=reason or "the pool's replication regions could not be read",
                why=why or Evidence(key="azure.hsm-regions-unread"),
            )
        )
        return locations
    seen = {(home or "").lower()}
    for entry in regions:
        name = str(entry.get("name") or "")
        if not name or name.lower() in seen:
            continue
        seen.add(name.lower())
        state = entry.get("provisioningState")
        note = f"multi-region replication (provisioningState {state})" if state else None
        why = Evidence(key="azure.hsm-region-state", value=str(state)) if state else None
        locations.append(
            _key(name, "managed-hsm-multi-region", target, unknown_reason=note, why=why)
        )
    return locations
