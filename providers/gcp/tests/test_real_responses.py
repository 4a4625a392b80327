"""Real recorded Cloud Storage and Cloud KMS answers, nobody here wrote, through ``normalize``.

``data/real/`` holds each answer as published (recordings keep their body, not their HTTP
headers), with a sibling ``<name>.source.json`` naming the repository, path, commit, licence and
kind: ``recording`` (captured from the live API by its publisher: cloud-custodian's GCP flights,
gcpdiag's curl dumps, Config Connector's real-GCP ``_http.log``) or ``fixture`` (test data the
publisher wrote or edited: policy-library's Cloud Asset Inventory exports, a python-storage
unit-test API response). A bucket's IAM policy is paired with it only where the same source read
it; elsewhere the policy counts as not read, as the plugin would report it. Expectations are
written from what each answer means for a compliance officer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from residency_audit.catalog import load_catalog
from residency_audit.model import (
    Bucket,
    Certainty,
    EncryptionTier,
    Evidence,
    Namespace,
    PublicVerdict,
    Role,
)
from residency_audit_gcp import normalize

DATA = Path(__file__).parent / "data" / "real"
NOT_READ = ("not-recorded", "the recording holds no getIamPolicy answer for this bucket")
EU_STATES = {"BE", "DE", "ES", "FI", "FR", "IT", "NL", "PL", "SE"}
MRM = Role.MULTI_REGION_MEMBER


def load(name: str) -> Any:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def resources(doc: Any) -> dict[str, Mapping[str, Any]]:
    """Bucket resources by name: a buckets.list page, a buckets.get answer or a CAI export."""
    if isinstance(doc, list):  # Cloud Asset Inventory: the bucket resource is resource.data
        found = [a["resource"]["data"] for a in doc if "resource" in a]
    else:
        found = doc.get("items", [doc])
    return {r["name"]: r for r in found}


def members(code: str) -> tuple[str, ...]:
    return load_catalog().dual_region_members("gcp", code)


@dataclass(frozen=True)
class Expect:
    """What a compliance officer should read for one bucket of one recorded answer."""

    bucket: str
    locations: Sequence[tuple[Role, str, Certainty]]
    countries: set[str]  # every country the data locations resolve to
    tier: EncryptionTier
    verdict: PublicVerdict
    gaps: Sequence[str] = ()
    evidence: Evidence | None = None  # a fact the verdict must name
    key_location: str | None = None  # the kms location of the CMEK key
    never: set[str] = field(default_factory=set)  # countries the data must not resolve to
    pap: str | None = None  # the public access prevention setting the evidence must report
    # (any setting but enforced follows the organization policy, which the evidence says)


@dataclass(frozen=True)
class Case:
    resource_file: str
    expect: Expect
    iam_file: str | None = None


US = {"US"}
ACL_GAP = ("public_access.acl",)
PM, CM = EncryptionTier.PROVIDER_MANAGED, EncryptionTier.CUSTOMER_MANAGED
C, P = Certainty.CONFIRMED, Certainty.POSSIBLE
IAM_GAP = ("public_access.iam_policy",)
UBLA_ON, UBLA_OFF = Evidence(key="gcs.ubla", value="on"), Evidence(key="gcs.ubla", value="off")


def grant(member: str, role: str) -> Evidence:
    return Evidence(key="gcs.iam-grant", subject=member, value=role)


CASES = [
    # cloud-custodian bucket-iam-policy flight: one buckets.list and each bucket's IAM policy
    Case(
        "c7n-buckets-list-us-east1",
        Expect(
            "cloud-custodian-test-1",
            [(Role.PRIMARY, "us-east1", C)],
            US,
            PM,
            PublicVerdict.PUBLIC,
            evidence=grant("allUsers", "roles/cloudbuild.builds.builder"),
        ),
        iam_file="c7n-iam-test-1-allusers",
    ),
    Case(
        "c7n-buckets-list-us-east1",
        Expect(
            "cloud-custodian-test-2",
            [(Role.PRIMARY, "us-east1", C)],
            US,
            PM,
            PublicVerdict.PUBLIC,
            gaps=("public_access.acl",),  # uniform access off, no ACL in the answer
            evidence=grant("allAuthenticatedUsers", "roles/cloudbuild.builds.builder"),
        ),
        iam_file="c7n-iam-test-2-allauthenticatedusers",
    ),
    Case(
        # uniform access off, and this list answer carries no ACL: the ACL could still grant
        "c7n-buckets-list-us-east1",
        Expect(
            "cloud-custodian-test-3",
            [(Role.PRIMARY, "us-east1", C)],
            US,
            PM,
            PublicVerdict.UNKNOWN,
            gaps=("public_access.acl",),
        ),
        iam_file="c7n-iam-test-3-project-only",
    ),
    Case(
        # EU multi-region, recorded before locationType existed: possible over EU states only
        "c7n-bucket-get-eu-legacy",
        Expect(
            "staging.cloud-custodian.appspot.com",
            [(MRM, "EU", P)],
            {"DE", "FR", "NL"},
            PM,
            PublicVerdict.UNKNOWN,
            gaps=("public_access.iam_policy", "public_access.acl"),
            never={"GB", "CH"},
        ),
    ),
    Case(
        # US multi-region with project-team ACLs only: nothing public in what was read
        "c7n-buckets-list-us-multi-region",
        Expect("c7n-bucket", [(MRM, "US", C)], US, PM, PublicVerdict.UNKNOWN, gaps=IAM_GAP),
    ),
    Case(
        "c7n-buckets-list-us-multi-region",
        Expect(
            "dataproc-staging-us-central1-000000000000-knhtjgwy",
            [(Role.PRIMARY, "us-central1", C)],
            US,
            PM,
            PublicVerdict.UNKNOWN,
            gaps=IAM_GAP,
        ),
    ),
    Case(
        # no iamConfiguration at all: ACLs apply, and the answer carries them
        "c7n-buckets-list-uniform-access-mixed",
        Expect(
            "artifacts.custodian-1291.appspot.com",
            [(MRM, "US", C)],
            US,
            PM,
            PublicVerdict.UNKNOWN,
            gaps=IAM_GAP,
            evidence=UBLA_OFF,
        ),
    ),
    Case(
        "c7n-buckets-list-uniform-access-mixed",
        Expect(
            "custodian-gce-trail",
            [(Role.PRIMARY, "us-east1", C)],
            US,
            PM,
            PublicVerdict.UNKNOWN,
            gaps=IAM_GAP,
            evidence=UBLA_ON,
        ),
    ),
    # cloud-custodian bucket-set-iam-policy flight: the policy before and after the removal
    Case(
        "c7n-buckets-list-acl-allauthenticatedusers",
        Expect(
            "iam-test-bucket-wuc48fhtok",
            [(MRM, "US", C)],
            US,
            PM,
            PublicVerdict.PUBLIC,
            evidence=grant("allUsers", "roles/storage.objectViewer"),
        ),
        iam_file="c7n-iam-set-before-public",
    ),
    Case(
        # the IAM grants are gone, but the legacy bucket ACL still reads allAuthenticatedUsers
        "c7n-buckets-list-acl-allauthenticatedusers",
        Expect(
            "iam-test-bucket-wuc48fhtok",
            [(MRM, "US", C)],
            US,
            PM,
            PublicVerdict.PUBLIC,
            evidence=Evidence(key="gcs.acl-grant", subject="allAuthenticatedUsers", value="READER"),
        ),
        iam_file="c7n-iam-set-after-removal",
    ),
    # policy-library Cloud Asset Inventory exports
    Case(
        "cai-storage-cmek-us-key",
        Expect(
            "my-storage-bucket",
            [(Role.PRIMARY, "us-central1", C)],
            US,
            CM,
            PublicVerdict.UNKNOWN,
            gaps=IAM_GAP,
            key_location="us",
        ),
    ),
    Case(
        # "encryption": {} is no default key: Google-managed
        "cai-storage-cmek-us-key",
        Expect(
            "my-storage-bucket-with-secure-logging",
            [(Role.PRIMARY, "us-central1", C)],
            US,
            PM,
            PublicVerdict.UNKNOWN,
            gaps=IAM_GAP,
        ),
    ),
    Case(
        # only the former name bucketPolicyOnly is set: uniform access is on
        "cai-storage-bucket-policy-only",
        Expect(
            "my-storage-bucket-with-bucketpolicyonly",
            [(Role.PRIMARY, "us-central1", C)],
            US,
            CM,
            PublicVerdict.UNKNOWN,
            gaps=IAM_GAP,
            evidence=UBLA_ON,
            key_location="us",
        ),
    ),
    Case(
        "cai-storage-bucket-policy-only",
        Expect(
            "my-storage-bucket-with-logging",  # asset ...-with-null-bucketpolicyonly
            [(Role.PRIMARY, "us-central1", C)],
            US,
            CM,
            PublicVerdict.UNKNOWN,
            gaps=IAM_GAP,
            evidence=UBLA_OFF,
            key_location="us",
        ),
    ),
    Case(
        # configurable dual-region answered without locationType: the two data locations hold it
        "python-storage-custom-dual-region",
        Expect(
            "bucket-name",
            [(MRM, "us-east1", C), (MRM, "us-west1", C)],
            US,
            PM,
            PublicVerdict.UNKNOWN,
            gaps=("public_access.iam_policy", "public_access.acl"),
        ),
    ),
    # Config Connector's real-GCP log: a predefined dual-region answered with its code only
    Case(
        # EUR5 names no regions: the pair comes from the catalog, and it puts data in the UK
        "kcc-bucket-get-eur5-dual-region",
        Expect(
            "storagebucket-${uniqueId}",
            [(MRM, "europe-west1", C), (MRM, "europe-west2", C)],
            {"BE", "GB"},
            PM,
            PublicVerdict.UNKNOWN,
            gaps=IAM_GAP,  # uniform access on: no ACL to read
            evidence=UBLA_ON,
            never={"DE", "FR", "NL", "IE", "US"},
            pap="inherited",
        ),
    ),
    # gcpdiag's curl dumps of a real test project: buckets.list and one bucket's IAM policy
    Case(
        # only project roles in IAM, but uniform access off and the list carries no ACL
        "gcpdiag-buckets-list-us-inherited",
        Expect(
            "gcpdiag-gcs1bucket-aaaa",
            [(MRM, "US", C)],
            US,
            PM,
            PublicVerdict.UNKNOWN,
            gaps=ACL_GAP,
            pap="inherited",
        ),
        iam_file="gcpdiag-iam-gcs1bucket-project-only",
    ),
    Case(
        "gcpdiag-buckets-list-us-inherited",
        Expect(
            "gcpdiag-gcs1bucket-labels-aaaa",
            [(MRM, "US", C)],
            US,
            PM,
            PublicVerdict.UNKNOWN,
            gaps=IAM_GAP + ACL_GAP,
            pap="inherited",
        ),
    ),
    Case(
        # a regional bucket, uniform access on: only the unread IAM policy keeps it unknown
        "c7n-bucket-get-us-central1-inherited",
        Expect(
            "cfb-gcuvtiqb",
            [(Role.PRIMARY, "us-central1", C)],
            US,
            PM,
            PublicVerdict.UNKNOWN,
            gaps=IAM_GAP,
            evidence=UBLA_ON,
            pap="inherited",
        ),
    ),
    Case(
        # inherited prevention did not stop objectAdmin for allAuthenticatedUsers being granted
        "c7n-buckets-list-us-inherited-full",
        Expect(
            "c7n-iam-matched-test-x7r2k",
            [(MRM, "US", C)],
            US,
            PM,
            PublicVerdict.PUBLIC,
            evidence=grant("allAuthenticatedUsers", "roles/storage.objectAdmin"),
            pap="inherited",
        ),
        iam_file="c7n-iam-matched-allauthenticatedusers",
    ),
]
KEY_FILES = {
    # recorded cryptoKeys.list answers: every key name is a key location as Cloud KMS spells it
    "c7n-kms-cryptokeys-global": "global",
    "c7n-kms-cryptokeys-us-central1": "us-central1",
}


def scan(case: Case) -> Bucket:
    resource = resources(load(case.resource_file))[case.expect.bucket]
    if case.iam_file is None:
        return normalize.bucket_from_resource("proj", resource, members, None, NOT_READ)
    return normalize.bucket_from_resource("proj", resource, members, load(case.iam_file))


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.resource_file}:{c.expect.bucket}:{c.iam_file}" for c in CASES]
)
def test_recorded_bucket_reads_as_it_means(case: Case) -> None:
    want = case.expect
    bucket = scan(case)
    data = [loc for loc in bucket.locations if loc.role is not Role.KEY]
    assert [(loc.role, loc.region, loc.certainty) for loc in data] == list(want.locations)
    catalog = load_catalog()
    countries = {cc for loc in data for cc in catalog.resolve(loc).countries}
    assert want.countries <= countries
    assert not countries & want.never
    if want.countries == US:
        assert countries == US
    assert bucket.encryption.tier is want.tier
    keys = [loc for loc in bucket.locations if loc.role is Role.KEY]
    if want.key_location is None:
        assert keys == [] and bucket.encryption.key_id is None
    else:
        (key,) = keys
        assert (key.region, key.namespace, key.target) == (
            want.key_location,
            Namespace.KMS,
            bucket.encryption.key_id,
        )
    assert bucket.public_access.verdict is want.verdict
    assert sorted(g.field for g in bucket.gaps) == sorted(want.gaps)
    if want.evidence:
        assert want.evidence in bucket.public_access.evidence
    if want.pap:
        key = "gcs.pap" if want.pap == "enforced" else "gcs.pap-org"
        assert Evidence(key=key, value=want.pap) in bucket.public_access.evidence


def test_a_public_access_gap_never_reads_as_not_public() -> None:
    for case in CASES:
        bucket = scan(case)
        if any(g.field.startswith("public_access.") for g in bucket.gaps):
            assert bucket.public_access.verdict in (PublicVerdict.UNKNOWN, PublicVerdict.PUBLIC)


@pytest.mark.parametrize(("name", "location"), sorted(KEY_FILES.items()))
def test_recorded_key_names_are_kms_key_locations(name: str, location: str) -> None:
    keys = load(name)["cryptoKeys"]
    assert keys
    for key in keys:
        loc = normalize.key_location(key["name"])
        assert (loc.role, loc.region, loc.namespace) == (Role.KEY, location, Namespace.KMS)
        assert loc.unknown_reason is None and loc.target == key["name"]


def test_regional_recorded_key_resolves_to_its_country() -> None:
    (key,) = load("c7n-kms-cryptokeys-us-central1")["cryptoKeys"]
    resolution = load_catalog().resolve(normalize.key_location(key["name"]))
    assert (resolution.countries, resolution.certainty) == (("US",), Certainty.CONFIRMED)


def test_every_data_file_names_its_source_and_is_expected_on() -> None:
    names = {p.name.removesuffix(".json") for p in DATA.glob("*.json")}
    data = {n for n in names if not n.endswith(".source")}
    assert len(data) >= 10
    for name in data:
        source = json.loads((DATA / f"{name}.source.json").read_text(encoding="utf-8"))
        assert source["repository"].count("/") == 1, name
        assert source["path"] and source["licence"] in {"Apache-2.0", "MIT"}, name
        assert len(source["commit"]) == 40 and int(source["commit"], 16) >= 0, name
        assert source["kind"] in {"recording", "fixture"}, name
    assert {n for n in names if n.endswith(".source")} == {f"{n}.source" for n in data}
    used = {c.resource_file for c in CASES} | {c.iam_file for c in CASES if c.iam_file}
    assert used | set(KEY_FILES) == data
