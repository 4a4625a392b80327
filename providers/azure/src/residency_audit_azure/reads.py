"""Every Azure read the plugin makes: what it feeds and what its failure hides.

Keyed by the operation names the client reports (``AzureApiError.operation``); the ARM ones are
the read names of ``permissions.REQUEST_ACTIONS``, so a test can check that every request a full
scan sends has a row here. The provider builds each failed read's gap from its row, so a gap
records exactly what the unread answer could have shown; the README shows this table.
"""

from __future__ import annotations

from collections.abc import Mapping

from residency_audit.model import Evidence, Gap, Hidden
from residency_audit.reads import ReadSpec

__all__ = ["NOT_READ_WITHOUT_ARM", "NO_ARM_LOCATION", "READS"]

READS: Mapping[str, ReadSpec] = {
    "subscriptions.list": ReadSpec(
        "the subscriptions to scan (not sent with an explicit `subscriptions` list)", None
    ),
    "storageAccounts.list": ReadSpec(
        "every account: its region, SKU (geo-secondary), key source and key vault, "
        "public-access and network settings, and tags (classification)",
        None,
    ),
    "blobContainers.list": ReadSpec(
        "the account's containers (the bucket unit), each one's public-access level, default "
        "encryption scope and which object replication rules apply to it",
        "containers",
        (Hidden.COPY, Hidden.KEY, Hidden.PUBLIC_ACCESS),
    ),
    "objectReplicationPolicies.list": ReadSpec(
        "object replication: which containers are copied to which destination account",
        "object_replication",
        (Hidden.COPY,),
    ),
    "storageAccounts.getProperties": ReadSpec(
        "a replication destination (or a diagnostic-log destination) not in the "
        "subscription's account list: its region and geo-secondary (the copy's locations)",
        "object_replication.destination",
        (Hidden.COPY,),
    ),
    "vaults.listBySubscription": ReadSpec(
        "the region of the key vault that holds a customer-managed key (and so its paired "
        "region, where Key Vault keeps a copy)",
        "encryption.key_vault",
        (Hidden.KEY,),
    ),
    "managedHsms.listBySubscription": ReadSpec(
        "the Managed HSM pool that holds a customer-managed key: its region and the regions it "
        "is replicated to (`properties.regions`)",
        "encryption.managed_hsm",
        (Hidden.KEY,),
    ),
    "mhsmRegions.listByResource": ReadSpec(
        "a Managed HSM pool's replication regions when the pool listing does not return them",
        "encryption.managed_hsm.regions",
        (Hidden.KEY,),
    ),
    "subscriptions.listLocations": ReadSpec(
        "`catalog check` only: the regions Azure lists for the subscription, with physical "
        "location and pair (a failure is a problem of that listing, never of a scan)",
        None,
        fails_scope=False,
    ),
    "resources.query": ReadSpec(
        "`source = \"inventory\"`: Azure Resource Graph's copy of every storage account's "
        "settings (region, SKU, key source and vault, public-access and network settings, tags) "
        "and, for customer-managed keys, the key vaults' regions; the containers and object "
        "replication policies it does not hold are read live",
        None,
    ),
    "cdnProfiles.list": ReadSpec(
        "the subscription's Front Door Standard/Premium and CDN profiles (sku: which edges)",
        "edge_caches",
        (Hidden.COPY,),
    ),
    "afdOriginGroups.listByProfile": ReadSpec(
        "a Front Door Standard/Premium profile's origin groups", "edge_caches", (Hidden.COPY,)
    ),
    "afdOrigins.listByOriginGroup": ReadSpec(
        "an origin group's origins: which storage accounts Front Door's edges cache",
        "edge_caches",
        (Hidden.COPY,),
    ),
    "cdnEndpoints.listByProfile": ReadSpec(
        "a CDN profile's endpoints: their origins (which storage accounts the edges cache) and "
        "geo filters",
        "edge_caches",
        (Hidden.COPY,),
    ),
    "frontDoors.list": ReadSpec(
        "classic Front Doors: their backends (which storage accounts the edges cache)",
        "edge_caches",
        (Hidden.COPY,),
    ),
    "diagnosticSettings.list": ReadSpec(
        "the blob service's diagnostic settings: where its resource logs (object names, "
        "requests) are sent",
        "diagnostic_settings",
        (Hidden.COPY,),
    ),
    "workspaces.get": ReadSpec(
        "the region of a Log Analytics workspace that receives the blob service's logs",
        "diagnostic_settings.destination",
        (Hidden.COPY,),
    ),
    "eventHubNamespaces.get": ReadSpec(
        "the region of an Event Hubs namespace that receives the blob service's logs",
        "diagnostic_settings.destination",
        (Hidden.COPY,),
    ),
    "blobInventoryPolicies.get": ReadSpec(
        "the account's blob inventory rules: which containers' listings are written to which "
        "container (404: no policy)",
        "blob_inventory",
        (Hidden.COPY,),
    ),
    "backupVaults.list": ReadSpec(
        "the subscription's Backup vaults: region, storage redundancy, cross-region restore",
        "backup_vaults",
        (Hidden.COPY,),
    ),
    "backupInstances.list": ReadSpec(
        "a Backup vault's protected resources: which storage accounts and containers it backs up",
        "backup_vaults",
        (Hidden.COPY,),
    ),
    "backupPolicies.list": ReadSpec(
        "a Backup vault's policies: whether a backup keeps a vaulted copy (vault tier)",
        "backup_vaults.policy",
        (Hidden.COPY,),
    ),
    "getAccountInformation": ReadSpec(
        "connection-string mode: the SKU, i.e. whether a geo-secondary exists",
        "sku",
        (Hidden.COPY,),
    ),
    "listContainers": ReadSpec(
        "connection-string mode: the containers and their public-access level", None
    ),
    "anonymousListing": ReadSpec(
        "`verify_anonymous`: whether an anonymous listing really works (it can only make the "
        "verdict public; an unanswered try leaves it unknown where only the network rules "
        "stand between the container and the internet)",
        "public_access.anonymous_listing",
        (Hidden.PUBLIC_ACCESS,),
    ),
}

# Connection-string mode never reaches ARM, so what only ARM says is unread in every bucket.
NO_ARM_LOCATION = (
    "connection-string mode: the data plane does not say where the account is (no ARM)"
)
_NO_ARM = Evidence(key="azure.no-arm-setting")  # the setting is named by the gap's field
NOT_READ_WITHOUT_ARM: tuple[Gap, ...] = (
    Gap(
        field="location",
        reason=NO_ARM_LOCATION,
        hides=(Hidden.COPY,),
        why=Evidence(key="azure.no-arm-location"),
    ),
    READS["objectReplicationPolicies.list"].gap("not readable without ARM", why=_NO_ARM),
    # what copies the account's data around it: Front Door / CDN origins, log and inventory
    # exports, Backup vaults
    READS["cdnProfiles.list"].gap(
        "Front Door and CDN origins not readable without ARM", why=_NO_ARM
    ),
    READS["diagnosticSettings.list"].gap(
        "diagnostic settings not readable without ARM", why=_NO_ARM
    ),
    READS["blobInventoryPolicies.get"].gap(
        "the blob inventory policy is not readable without ARM", why=_NO_ARM
    ),
    READS["backupVaults.list"].gap("Backup vaults not readable without ARM", why=_NO_ARM),
    Gap(
        field="encryption",
        reason="key source not readable without ARM",
        hides=(Hidden.KEY,),
        why=_NO_ARM,
    ),
    Gap(
        field="public_access.account",
        reason="allowBlobPublicAccess and network rules not readable without ARM",
        hides=(Hidden.PUBLIC_ACCESS,),
        why=_NO_ARM,
    ),
    Gap(
        field="tags",
        reason="the account's tags are not readable without ARM",
        hides=(Hidden.CLASSIFICATION,),
        why=_NO_ARM,
    ),
)
