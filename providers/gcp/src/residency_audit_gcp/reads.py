"""Every Google Cloud read the plugin makes: what it feeds and what its failure hides.

One row per request of ``permissions.REQUESTS`` (keyed by the same API method name), plus a row
for each part of the ``buckets.list`` answer that can be missing on its own (a bucket the list
names as unreachable, a field it leaves out or garbles). The normalizer builds every such gap
from its row, so a gap records exactly what the unread answer could have shown; the README shows
this table and a test keeps the two in step.

The plugin does not judge principals outside the organisation (item (2)-3) per bucket: the IAM
policy feeds the public-access verdict only, so its failure hides public access alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from residency_audit.model import Hidden
from residency_audit.reads import ReadSpec

__all__ = [
    "ACL",
    "ASSETS_IAM",
    "ASSETS_LIST",
    "ASSETS_PROJECTS",
    "BACKEND_BUCKETS",
    "BUCKETS_LIST",
    "BUCKET_GET",
    "ENCRYPTION",
    "FOLDERS_SEARCH",
    "IAM_POLICY",
    "LABELS",
    "LOGGING",
    "PROJECTS_SEARCH",
    "READS",
    "REPORT_CONFIGS",
    "TRANSFER_JOBS",
    "UNREACHABLE",
]

BUCKETS_LIST = "storage.buckets.list"
IAM_POLICY = "storage.buckets.getIamPolicy"
PROJECTS_SEARCH = "resourcemanager.projects.search"
FOLDERS_SEARCH = "resourcemanager.folders.search"
# parts of the buckets.list answer
UNREACHABLE = f"{BUCKETS_LIST}: unreachable bucket"
ACL = f"{BUCKETS_LIST}: acl"
ENCRYPTION = f"{BUCKETS_LIST}: encryption"
LABELS = f"{BUCKETS_LIST}: labels"
LOGGING = f"{BUCKETS_LIST}: logging"
# services that copy a bucket's data (or its object metadata) elsewhere: one list per project
BACKEND_BUCKETS = "compute.backendBuckets.list"
TRANSFER_JOBS = "storagetransfer.transferJobs.list"
REPORT_CONFIGS = "storageinsights.reportConfigs.list"
# a destination bucket outside the project's own listing: where its copy is
BUCKET_GET = "storage.buckets.get"
# Cloud Asset Inventory (source = "inventory"): one request name, three listings
ASSETS_LIST = "cloudasset.assets.list"
ASSETS_PROJECTS = f"{ASSETS_LIST}: projects"
ASSETS_IAM = f"{ASSETS_LIST}: IAM policies"

READS: Mapping[str, ReadSpec] = {
    PROJECTS_SEARCH: ReadSpec("the projects under the organization or a folder (the scopes)", None),
    FOLDERS_SEARCH: ReadSpec(
        "the folders under the organization or a folder (walked for projects)", None
    ),
    BUCKETS_LIST: ReadSpec(
        "the project's buckets, each with its location, dual-region placement, default KMS key, "
        "labels, public access prevention, uniform access and ACLs",
        None,
    ),
    UNREACHABLE: ReadSpec(
        "a bucket the list names but cannot return: nothing of it is read",
        "location",
        (Hidden.COPY, Hidden.KEY, Hidden.PUBLIC_ACCESS, Hidden.CLASSIFICATION),
    ),
    ACL: ReadSpec(
        "the bucket ACL, which grants access when uniform bucket-level access is off",
        "public_access.acl",
        (Hidden.PUBLIC_ACCESS,),
    ),
    ENCRYPTION: ReadSpec(
        "the default KMS key: encryption tier and the key's location",
        "encryption",
        (Hidden.KEY,),
    ),
    LABELS: ReadSpec("the labels (classification)", "tags", (Hidden.CLASSIFICATION,)),
    LOGGING: ReadSpec(
        "the usage and storage log bucket (`logging.logBucket`): object names and requests "
        "copied there",
        "logging",
        (Hidden.COPY,),
    ),
    BACKEND_BUCKETS: ReadSpec(
        "the project's Cloud CDN backend buckets: which buckets Google's edge caches serve",
        "cloud_cdn",
        (Hidden.COPY,),
    ),
    TRANSFER_JOBS: ReadSpec(
        "the project's Storage Transfer Service jobs (and event-driven replication): where a "
        "bucket's objects are copied",
        "storage_transfer",
        (Hidden.COPY,),
    ),
    REPORT_CONFIGS: ReadSpec(
        "the project's Storage Insights inventory report configs: where a bucket's object "
        "metadata is written",
        "storage_insights",
        (Hidden.COPY,),
    ),
    BUCKET_GET: ReadSpec(
        "the location of a destination bucket (transfer sink, log bucket, inventory "
        "destination) that is not among the project's listed buckets",
        "locations",
        (Hidden.COPY,),
    ),
    IAM_POLICY: ReadSpec(
        "IAM bindings to allUsers/allAuthenticatedUsers (public access)",
        "public_access.iam_policy",
        (Hidden.PUBLIC_ACCESS,),
    ),
    ASSETS_LIST: ReadSpec(
        "source = inventory: every bucket resource under the organization, folder or project "
        "(as buckets.list returns it, but ACLs), with the snapshot's time",
        None,
    ),
    ASSETS_PROJECTS: ReadSpec(
        "source = inventory: the projects under the organization or folder (number to id, "
        "and which are active)",
        None,
    ),
    ASSETS_IAM: ReadSpec(
        "source = inventory: every bucket's IAM policy; if it fails, each policy is read live",
        None,
        fails_scope=False,
    ),
}
