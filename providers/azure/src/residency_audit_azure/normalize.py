"""Pure functions: API-shaped JSON (wire names, as in azure-rest-api-specs examples) -> model.

Nothing here calls the network. Facts that need another read (a replication destination's region, a
key vault's region, the catalog's pair table) are passed in already resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from residency_audit.model import (
    Bucket,
    Certainty,
    Encryption,
    EncryptionTier,
    Evidence,
    Gap,
    Hidden,
    Location,
    Namespace,
    PublicAccess,
    PublicVerdict,
    Role,
)

from .resource_ids import last_name

__all__ = [
    "ALLOW_BLOB_PUBLIC_ACCESS_DEFAULT",
    "PROVIDER",
    "STORAGE_API_VERSION",
    "STORAGE_ENCRYPTION_DOC",
    "Destination",
    "PairLookup",
    "ProbeResult",
    "account_bucket",
    "container_bucket",
    "conversion_secondary",
    "conversion_target",
    "customer_key",
    "encryption",
    "geo_mechanism",
    "geo_secondary",
    "outgoing_policies",
    "policy_applies",
    "primary_location",
    "primary_locations",
    "public_access",
    "replica_locations",
    "vault_name",
]

PROVIDER = "azure"
# Returns (secondary region, source) from the published pair table, or None.
PairLookup = Callable[[str], "tuple[str, str] | None"]
_ACCOUNT_SCOPE_KEY = "$account-encryption-key"
# The api-version azure-mgmt-storage 25.3 requests (its _configuration.py default; a test checks
# the installed SDK still sends it). Its StorageAccountProperties.allowBlobPublicAccess description,
# generated from azure-rest-api-specs specification/storage/resource-manager/Microsoft.Storage
# (stable/2026-09-01), reads "The default interpretation is false for this property": an account
# that does not return the field forbids anonymous access. Older API versions documented the
# opposite ("The default interpretation is true for this property"; e.g. the StorageAccount model of
# Az.Compute's storage helpers), and accounts from then may still omit the field: so the default
# never clears a container whose own level admits anonymous reads (``public_access``).
STORAGE_API_VERSION = "2026-09-01"
ALLOW_BLOB_PUBLIC_ACCESS_DEFAULT = False
STORAGE_ENCRYPTION_DOC = (
    "https://learn.microsoft.com/azure/storage/common/storage-service-encryption"
)


def _props(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    props = obj.get("properties")
    return props if isinstance(props, Mapping) else {}


def _lower(value: Any) -> str:
    return str(value).lower() if value is not None else ""


def geo_mechanism(sku_name: str | None) -> str | None:
    """``grs`` for Standard_GRS / Standard_RAGRS, ``gzrs`` for (RA-)GZRS; None for LRS/ZRS."""
    name = (sku_name or "").upper()
    if name.endswith("GZRS"):
        return "gzrs"
    if name.endswith("GRS"):
        return "grs"
    return None


def primary_location(account: Mapping[str, Any]) -> Location:
    region = _primary_region(account)
    return Location(
        role=Role.PRIMARY,
        provider=PROVIDER,
        region=region or None,
        mechanism="storage-account",
        target=account.get("name"),
        unknown_reason=None
        if region
        else "the account returned neither primaryLocation nor location",
        why=None if region else Evidence(key="azure.no-primary-location"),
    )


def primary_locations(account: Mapping[str, Any]) -> list[Location]:
    """The account's region, or -- for an account in an Edge Zone (``extendedLocation``) -- the
    zone that holds the data, with the parent region kept visible as a *possible* primary: Azure
    names the region the zone hangs off as the account's ``location``, and only the zone row of
    the catalog can say the zone is in the same country."""
    primary = primary_location(account)
    ext = account.get("extendedLocation")
    if not isinstance(ext, Mapping) or _lower(ext.get("type")) != "edgezone":
        return [primary]
    zone = str(ext.get("name") or "") or None
    return [
        Location(
            role=Role.PRIMARY,
            provider=PROVIDER,
            region=zone,
            namespace=Namespace.EDGE_ZONE,
            mechanism="edge-zone",
            target=account.get("name"),
            unknown_reason=None if zone else "extendedLocation of type EdgeZone without a name",
            why=None if zone else Evidence(key="azure.edge-zone-without-name"),
        ),
        primary.model_copy(
            update={
                "mechanism": "edge-zone-parent-region",
                "certainty": Certainty.POSSIBLE,
                "unknown_reason": _join(
                    f"parent region of Edge Zone {zone}: the account's location",
                    primary.unknown_reason,
                ),
                # a primary of unknown region says why; else: the zone's parent region
                "why": primary.why or Evidence(key="azure.edge-zone-parent-region", subject=zone),
            }
        ),
    ]


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def conversion_target(account: Mapping[str, Any]) -> str | None:
    """The SKU a redundancy conversion in progress is converting to, else None."""
    status = _props(account).get("storageAccountSkuConversionStatus")
    if not isinstance(status, Mapping) or _lower(status.get("skuConversionStatus")) != "inprogress":
        return None
    target = status.get("targetSkuName")
    return str(target) if target else None


def _primary_region(account: Mapping[str, Any]) -> str | None:
    return _props(account).get("primaryLocation") or account.get("location") or None


def _pair_secondary(
    account: Mapping[str, Any],
    pair: PairLookup,
    mechanism: str,
    *,
    found_note: str,
    missing_note: Callable[[str], str],
    found_why: Callable[[str], Evidence],
    missing_why: Callable[[str | None], Evidence],
    certainty: Certainty = Certainty.CONFIRMED,
) -> Location:
    """The secondary the pair table gives for the account's primary (derived), or a location of
    unknown region when the primary has no published pair."""
    primary = _primary_region(account)
    found = pair(primary) if primary else None
    return Location(
        role=Role.GEO_SECONDARY,
        provider=PROVIDER,
        region=found[0] if found else None,
        mechanism=mechanism,
        target=account.get("name"),
        certainty=certainty,
        derived=found is not None,
        unknown_reason=f"{found_note} ({found[1]})"
        if found
        else missing_note(primary or "the primary region"),
        why=found_why(found[1]) if found else missing_why(primary),
    )


def conversion_secondary(account: Mapping[str, Any], pair: PairLookup) -> list[Location]:
    """A conversion in progress to a geo-redundant SKU: the future secondary, as *possible*.

    Nothing is added when the account is already geo-redundant (its secondary is reported)."""
    target = conversion_target(account)
    mechanism = geo_mechanism(target)
    sku = account.get("sku")
    current = geo_mechanism(sku.get("name") if isinstance(sku, Mapping) else None)
    if mechanism is None or current is not None or _props(account).get("secondaryLocation"):
        return []
    note = f"redundancy conversion to {target} in progress: the secondary it will add"
    return [
        _pair_secondary(
            account,
            pair,
            mechanism,
            found_note=f"{note}, from the region pair table",
            missing_note=lambda primary: f"{note}; {primary} has no published pair",
            found_why=lambda source: Evidence(
                key="azure.conversion-pair", subject=target, value=source
            ),
            missing_why=lambda primary: Evidence(
                key="azure.conversion-no-pair", subject=target, value=primary
            ),
            certainty=Certainty.POSSIBLE,
        )
    ]


def geo_secondary(
    account: Mapping[str, Any], pair: PairLookup, *, mechanism_suffix: str = ""
) -> tuple[list[Location], list[Gap]]:
    """The geo-redundant secondary: the API's secondaryLocation, else the published pair."""
    props = _props(account)
    sku = account.get("sku")
    sku_name = sku.get("name") if isinstance(sku, Mapping) else None
    secondary = props.get("secondaryLocation")
    mechanism = geo_mechanism(sku_name)
    target = account.get("name")
    if sku_name is None:
        gap = Gap(
            field="sku",
            reason="the account's SKU (redundancy) was not returned; a geo-secondary may exist",
            hides=(Hidden.COPY,),
            why=Evidence(key="azure.sku-not-returned"),
        )
        if not secondary:
            return [], [gap]
        mechanism = "geo-redundancy"
    if secondary:
        # Returned by the API: trust it even for an SKU we would not call geo-redundant
        # (e.g. mid-conversion), because a copy there is exactly what we must report.
        loc = Location(
            role=Role.GEO_SECONDARY,
            provider=PROVIDER,
            region=secondary,
            mechanism=(mechanism or "geo-redundancy") + mechanism_suffix,
            target=target,
        )
        return [loc], []
    if mechanism is None:
        return [], []
    loc = _pair_secondary(
        account,
        pair,
        mechanism + mechanism_suffix,
        found_note="secondaryLocation not returned; from the region pair table",
        missing_note=lambda primary: (
            f"{sku_name} is geo-redundant but secondaryLocation was not returned and "
            f"{primary} has no published pair"
        ),
        found_why=lambda source: Evidence(key="azure.secondary-from-pairs", value=source),
        missing_why=lambda primary: Evidence(
            key="azure.secondary-no-pair", subject=sku_name, value=primary
        ),
    )
    return [loc], []


@dataclass(frozen=True)
class Destination:
    """An object-replication destination account, read (``account``) or not (``reason``, and the
    ``gap`` of the read that failed, if one was tried)."""

    ref: str  # name or resource id as the policy gives it
    account: Mapping[str, Any] | None = None
    reason: str | None = None
    gap: Gap | None = None
    why: Evidence | None = None  # ``reason`` as values (``reason.<key>`` terms)


def outgoing_policies(
    account: Mapping[str, Any], policies: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """Policies whose source is this account (the list also holds incoming ones)."""
    me = {_lower(account.get("name")), _lower(account.get("id"))}
    return [p for p in policies if _lower(_props(p).get("sourceAccount")) in me]


def policy_applies(policy: Mapping[str, Any], container: str) -> tuple[bool, str | None]:
    """Whether ``container`` is a source of the policy, and its destination container.

    A policy listed without rules is taken to cover every container (never assumed safe)."""
    rules = _props(policy).get("rules")
    if not isinstance(rules, list) or not rules:
        return True, None
    for rule in rules:
        if isinstance(rule, Mapping) and rule.get("sourceContainer") == container:
            return True, rule.get("destinationContainer")
    return False, None


def replica_locations(
    policy: Mapping[str, Any],
    destination: Destination,
    dest_container: str | None,
    pair: PairLookup,
) -> list[Location]:
    """The destination account's region (REPLICA) and, if it is geo-redundant, its secondary."""
    name = last_name(destination.ref)
    target = f"{name}/{dest_container}" if dest_container else name
    if destination.account is None:
        return [
            Location(
                role=Role.REPLICA,
                provider=PROVIDER,
                region=None,
                mechanism="object-replication",
                target=target,
                unknown_reason=destination.reason or "the destination account could not be read",
                why=destination.why or Evidence(key="azure.destination-unread"),
            )
        ]
    primary = primary_location(destination.account)
    locs = [
        Location(
            role=Role.REPLICA,
            provider=PROVIDER,
            region=primary.region,
            mechanism="object-replication",
            target=target,
            unknown_reason=primary.unknown_reason,
            why=primary.why,
        )
    ]
    # The replica is itself geo-replicated when the destination account is GRS/GZRS.
    secondaries, _ = geo_secondary(destination.account, pair, mechanism_suffix="-of-replica")
    locs.extend(loc.model_copy(update={"target": target}) for loc in secondaries)
    return locs


def vault_name(keyvault_uri: str | None) -> str | None:
    """``https://myvault.vault.azure.net`` -> ``myvault``; None for a managed HSM or junk."""
    if not keyvault_uri:
        return None
    host = urlsplit(keyvault_uri if "//" in keyvault_uri else f"https://{keyvault_uri}").hostname
    if not host or ".vault." not in host:
        return None
    return host.split(".", 1)[0].lower()


def customer_key(account: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``keyvaultproperties`` of a customer-managed key ({} if not returned); None when the
    account does not use Key Vault keys."""
    enc = _props(account).get("encryption")
    if not isinstance(enc, Mapping) or _lower(enc.get("keySource")) != "microsoft.keyvault":
        return None
    kv = enc.get("keyvaultproperties")
    return kv if isinstance(kv, Mapping) else {}


def encryption(
    account: Mapping[str, Any], container: Mapping[str, Any] | None
) -> tuple[Encryption, list[Gap]]:
    enc = _props(account).get("encryption")
    if enc is None:
        # Azure Storage encrypts all data at rest with Microsoft-managed keys unless a customer
        # key is configured (STORAGE_ENCRYPTION_DOC); an account without the block has none
        not_returned = Evidence(key="azure.not-returned", subject=STORAGE_ENCRYPTION_DOC)
        return Encryption(tier=EncryptionTier.PROVIDER_MANAGED, details=(not_returned,)), []
    if not isinstance(enc, Mapping) or not enc.get("keySource"):
        return Encryption(tier=EncryptionTier.UNKNOWN), [
            Gap(
                field="encryption",
                reason="the account returned no encryption.keySource",
                hides=(Hidden.KEY,),
                why=Evidence(key="azure.no-key-source"),
            )
        ]
    details: list[Evidence] = []
    gaps: list[Gap] = []
    source = _lower(enc.get("keySource"))
    key_id: str | None = None
    if source == "microsoft.storage":
        tier = EncryptionTier.PROVIDER_MANAGED
        details.append(Evidence(key="azure.microsoft-managed"))
    elif source == "microsoft.keyvault":
        tier = EncryptionTier.CUSTOMER_MANAGED
        kv = customer_key(account) or {}
        uri = kv.get("keyvaulturi")
        key_id = kv.get("currentVersionedKeyIdentifier") or (
            f"{str(uri).rstrip('/')}/keys/{kv.get('keyname')}" if uri else None
        )
        details.append(Evidence(key="azure.key-vault"))
    else:
        tier = EncryptionTier.UNKNOWN
        gaps.append(
            Gap(
                field="encryption",
                reason=f"unrecognised keySource {enc.get('keySource')!r}",
                hides=(Hidden.KEY,),
                why=Evidence(
                    key="azure.unrecognised-key-source", subject=str(enc.get("keySource"))
                ),
            )
        )
    if enc.get("requireInfrastructureEncryption") is True:
        details.append(Evidence(key="azure.infrastructure-encryption"))
    scope = _props(container or {}).get("defaultEncryptionScope")
    if scope and scope != _ACCOUNT_SCOPE_KEY:
        details.append(Evidence(key="azure.encryption-scope", subject=str(scope)))
        gaps.append(
            Gap(
                field="encryption.scope",
                reason=f"encryption scope {scope!r} not read; its key may live in another vault",
                hides=(Hidden.KEY,),
                why=Evidence(key="azure.encryption-scope-not-read", subject=str(scope)),
            )
        )
    return Encryption(tier=tier, key_id=key_id, details=tuple(details)), gaps


@dataclass(frozen=True)
class ProbeResult:
    succeeded: bool
    detail: str  # the outcome in a sentence, for a gap's reason
    answered: bool = True  # False: no answer, throttled or a server error -- it proves nothing
    response: str | None = None  # the answer as received ("HTTP 403 AuthorizationFailure")
    tried: bool = True  # False: there was nothing to try (no blob endpoint)

    @property
    def evidence(self) -> Evidence:
        if not self.tried:
            outcome = "not-tried"
        elif self.succeeded:
            outcome = "succeeded"
        else:
            outcome = "refused" if self.answered else "unanswered"
        return Evidence(key="azure.anonymous-listing", value=outcome, text=self.response)


def public_access(
    account: Mapping[str, Any],
    container: Mapping[str, Any] | None,
    probe: ProbeResult | None,
    *,
    settings_read: bool = True,
) -> PublicAccess:
    """The verdict from the account's settings, the container's level and the anonymous try.

    ``settings_read=False`` (connection-string mode: no ARM) means allowBlobPublicAccess and the
    network rules are unknown: a container whose level allows anonymous access may or may not be
    public, so it is UNKNOWN unless the anonymous try succeeded; a private one is NOT_BLOCKED,
    the worst those settings could make it.
    """
    props = _props(account)
    acls = props.get("networkAcls")
    allow_public = props.get("allowBlobPublicAccess")
    shown_allow = Evidence(key="azure.allow-blob-public-access", value=_show(allow_public))
    defaulted = allow_public is None and settings_read
    if defaulted:
        allow_public = ALLOW_BLOB_PUBLIC_ACCESS_DEFAULT
        shown_allow = Evidence(
            key="azure.allow-blob-public-access-default",
            subject=STORAGE_API_VERSION,
            value=_show(allow_public),
        )
    network = props.get("publicNetworkAccess")
    default_action = acls.get("defaultAction") if isinstance(acls, Mapping) else None
    level = _props(container).get("publicAccess") if container is not None else None
    evidence = [
        shown_allow,
        Evidence(key="azure.container-public-access", value=_show(level)),
        Evidence(key="azure.public-network-access", value=_show(network)),
        Evidence(key="azure.network-default-action", value=_show(default_action)),
        Evidence(
            key="azure.allow-shared-key-access", value=_show(props.get("allowSharedKeyAccess"))
        ),
    ]
    if probe is not None:
        evidence.append(probe.evidence)
    # the network is a level Azure offers too (guideline (1)-2 names firewalls): an account any
    # network can reach is not "blocked at every level" even when anonymous access is off
    closed = _lower(network) == "disabled" or _lower(default_action) == "deny"
    anonymous_level = _lower(level) in ("blob", "container")
    if probe is not None and probe.succeeded:
        verdict = PublicVerdict.PUBLIC
    elif not settings_read:
        verdict = PublicVerdict.UNKNOWN if anonymous_level else PublicVerdict.NOT_BLOCKED
    elif defaulted and anonymous_level and not closed and (probe is None or not probe.answered):
        # the container admits anonymous reads and only a default (which older API versions
        # read the other way) says the account forbids them; no anonymous try was refused
        verdict = PublicVerdict.UNKNOWN
    elif defaulted and anonymous_level:
        # the network (or a refused try) keeps anonymous reads out, but only that default says
        # the account forbids them: not blocked at every level (as when it is stated true)
        verdict = PublicVerdict.NOT_BLOCKED
    elif allow_public is False:
        verdict = PublicVerdict.BLOCKED if closed else PublicVerdict.NOT_BLOCKED
    elif level is None:
        verdict = PublicVerdict.UNKNOWN
    elif anonymous_level and not closed:
        verdict = PublicVerdict.PUBLIC
    elif anonymous_level and probe is not None and not probe.answered:
        # only the network rules stand between the container and the internet, and the try
        # that would have shown whether they let us through went unanswered
        verdict = PublicVerdict.UNKNOWN
    else:
        verdict = PublicVerdict.NOT_BLOCKED
    return PublicAccess(verdict=verdict, evidence=tuple(evidence))


def _show(value: Any) -> str:
    """A setting as the evidence records it: booleans as ``true`` / ``false``."""
    if value is None:
        return "not-returned"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _tags(account: Mapping[str, Any]) -> dict[str, str]:
    tags = account.get("tags")
    if not isinstance(tags, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in tags.items()}


def container_bucket(
    scope: str,
    account: Mapping[str, Any],
    container: Mapping[str, Any],
    locations: Sequence[Location],
    enc: Encryption,
    public: PublicAccess,
    gaps: Sequence[Gap],
) -> Bucket:
    account_id = str(account.get("id") or "")
    name = str(container.get("name"))
    uid = container.get("id") or f"{account_id}/blobServices/default/containers/{name}"
    return Bucket(
        provider=PROVIDER,
        scope=scope,
        name=f"{account.get('name')}/{name}",
        uid=str(uid),
        tags=_tags(account),
        locations=tuple(locations),
        encryption=enc,
        public_access=public,
        gaps=tuple(gaps),
    )


def account_bucket(
    scope: str,
    account: Mapping[str, Any],
    locations: Sequence[Location],
    enc: Encryption,
    gaps: Sequence[Gap],
) -> Bucket:
    """Stands in for an account whose containers could not be listed, so it is never skipped."""
    return Bucket(
        provider=PROVIDER,
        scope=scope,
        name=f"{account.get('name')}/*",
        uid=str(account.get("id") or account.get("name")),
        tags=_tags(account),
        locations=tuple(locations),
        encryption=enc,
        public_access=public_access(account, None, None),
        gaps=tuple(gaps),
    )
