"""Data plane on Azurite (npm azurite 3.35.0): container public-access levels, the anonymous
listing check, the connection-string mode, and the probe's timeout."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from residency_audit.model import Bucket, Classification, Evidence, Hidden, PublicVerdict, Role
from residency_audit.plugins import Scope
from residency_audit.testing import bucket_named, scan_provider
from residency_audit_azure import AzureProvider
from residency_audit_azure.testing import ArmStub, Azurite

from .conftest import seed

pytestmark = pytest.mark.emulator

SUB = "0f0e0d0c-0b0a-4909-8807-060504030201"
LEVELS = {"private": None, "blobpub": "blob", "contpub": "container"}


@pytest.fixture(scope="module")
def seeded(azurite: Azurite) -> Azurite:
    seed(azurite, "hkblob", LEVELS)
    seed(azurite, "tokyoblob", {"reports": None, "web": "container"})
    return azurite


def arm_estate() -> dict[str, Any]:
    level = {None: "None", "blob": "Blob", "container": "Container"}
    return {
        "subscriptions": [
            {
                "subscriptionId": SUB,
                "accounts": [
                    {
                        "name": "hkblob",
                        "location": "eastasia",
                        "sku": "Standard_RAGRS",
                        "properties": {
                            "secondaryLocation": "southeastasia",
                            "allowBlobPublicAccess": True,
                        },
                        "containers": [
                            {"name": n, "publicAccess": level[lv]} for n, lv in LEVELS.items()
                        ],
                    }
                ],
            }
        ]
    }


LISTED = Evidence(key="azure.anonymous-listing", value="succeeded", text="HTTP 200")


def probe(bucket: Bucket) -> Evidence:
    """The anonymous try's evidence item (there is one per container)."""
    [tried] = [e for e in bucket.public_access.evidence if e.key == "azure.anonymous-listing"]
    return tried


def buckets_of(provider: AzureProvider, scope: Scope) -> dict[str, Bucket]:
    return {b.name: b for b in provider.buckets(scope) if isinstance(b, Bucket)}


def test_anonymous_check_confirms_what_the_container_level_says(seeded: Azurite) -> None:
    with ArmStub(arm_estate()) as stub:
        provider = AzureProvider.from_settings(
            {
                "arm_endpoint": stub.url,
                "credential": "anonymous",
                "subscriptions": [SUB],
                "blob_endpoint": seeded.endpoint_template,
                "verify_anonymous": True,
            }
        )
        found = buckets_of(provider, Scope("azure", SUB))
    contpub, blobpub, private = (
        found["hkblob/contpub"],
        found["hkblob/blobpub"],
        found["hkblob/private"],
    )
    assert contpub.public_access.verdict is PublicVerdict.PUBLIC
    assert LISTED in contpub.public_access.evidence
    # blob-level access allows reading blobs, not listing: refused, yet still public by config
    assert blobpub.public_access.verdict is PublicVerdict.PUBLIC
    assert probe(blobpub).value == "refused" and (probe(blobpub).text or "").startswith("HTTP 403")
    assert private.public_access.verdict is PublicVerdict.NOT_BLOCKED
    assert probe(private).value == "refused" and (probe(private).text or "").startswith("HTTP 403")

    data_plane = [e for e in provider.request_log.entries() if e.host.endswith(str(seeded.port))]
    assert len(data_plane) == 3 and {e.method for e in data_plane} == {"GET"}


def test_connection_string_mode_reads_the_data_plane_and_marks_the_rest_unknown(
    seeded: Azurite,
) -> None:
    provider = AzureProvider.from_settings(
        {"connection_string": seeded.connection_string("tokyoblob"), "verify_anonymous": True}
    )
    (scope,) = provider.scopes()
    assert scope.id == "tokyoblob"
    found = buckets_of(provider, scope)
    assert set(found) == {"tokyoblob/reports", "tokyoblob/web"}
    web, reports = found["tokyoblob/web"], found["tokyoblob/reports"]
    assert web.public_access.verdict is PublicVerdict.PUBLIC
    assert LISTED in web.public_access.evidence
    assert reports.public_access.verdict is PublicVerdict.NOT_BLOCKED

    primary = reports.primary
    assert primary is not None and primary.region is None and primary.unknown_reason
    # Azurite's data plane reports Standard_RAGRS: a secondary exists, its region is unknown
    (geo,) = [loc for loc in reports.locations if loc.role is Role.GEO_SECONDARY]
    assert geo.region is None and "Standard_RAGRS" in (geo.unknown_reason or "")
    gaps = {g.field: g for g in reports.gaps}
    assert gaps["object_replication"].may_hide_copy
    assert {"location", "encryption", "public_access.account"} <= set(gaps)
    # nor what copies the account around it: edge caches, log and inventory exports, backups
    for field in ("edge_caches", "diagnostic_settings", "blob_inventory", "backup_vaults"):
        assert gaps[field].may_hide_copy
    # no ARM, no tags: the classification is unknown, never "no tag"
    assert gaps["tags"].hides == (Hidden.CLASSIFICATION,)
    assert reports.uid.endswith("/tokyoblob/reports")
    assert {e.method for e in provider.request_log.entries()} == {"GET"}


def test_connection_string_mode_grades_what_it_cannot_read_as_the_worst_it_could_be(
    seeded: Azurite, tmp_path: Path
) -> None:
    result = scan_provider(
        "azure", {"connection_string": seeded.connection_string("tokyoblob")}, tmp_path
    )
    web = bucket_named(result, "tokyoblob/web")
    # no ARM: the tags are unread, so the class is unknown (graded as if sensitive), not "none"
    assert web.classification is Classification.UNKNOWN
    # the class rests on the unread tags (a gap says so), not on a tag
    assert any(Hidden.CLASSIFICATION in g.hides for g in web.gaps)
    assert web.classification_source is None
    # the container allows anonymous access, and the unread account setting could forbid it
    assert web.public_access.verdict is PublicVerdict.UNKNOWN
    rules = {f.rule_id for f in result.findings if f.resource and f.resource.name == web.name}
    assert "public.unknown" in rules and "gap.may-hide-copy" in rules


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port that accepts TCP connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


def test_anonymous_check_is_bounded_by_its_timeout(black_hole: int) -> None:
    estate = arm_estate()
    with ArmStub(estate) as stub:
        provider = AzureProvider.from_settings(
            {
                "arm_endpoint": stub.url,
                "credential": "anonymous",
                "subscriptions": [SUB],
                "blob_endpoint": f"http://127.0.0.1:{black_hole}/{{account}}",
                "verify_anonymous": True,
                "verify_timeout": 0.25,
            }
        )
        started = time.monotonic()
        found = buckets_of(provider, Scope("azure", SUB))
        elapsed = time.monotonic() - started
    assert elapsed < 5
    private = found["hkblob/private"]
    assert probe(private).value == "unanswered"
    # an unanswered probe proves nothing: it is a gap, and the verdict rests on the settings
    assert [g.field for g in private.gaps] == ["public_access.anonymous_listing"]
    assert private.public_access.verdict is PublicVerdict.NOT_BLOCKED
    assert found["hkblob/contpub"].public_access.verdict is PublicVerdict.PUBLIC
