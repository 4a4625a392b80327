"""Unknown is never safe, read by read: refusing, throttling or stalling any one ARM read of a full
scan keeps every (bucket, guideline item) pair the clean scan found, at the same or a worse
severity -- lower only where a place became unknown and the unverified finding says so.

One ARM stub serves the whole module; each case injects its fault at the HTTP level on every
request of one read (every attempt, so the SDK's retries give up) and runs the real pipeline.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from residency_audit.model import ScopeStatus
from residency_audit.results import ScanResult
from residency_audit.rules.gaps import SCOPE_ITEMS
from residency_audit.testing import lost_under_fault, scan_provider
from residency_audit_azure.permissions import INVENTORY_READS, REQUEST_ACTIONS, read_for
from residency_audit_azure.reads import READS
from residency_audit_azure.testing import DENIED, THROTTLED, ArmStub, Fault, StubRequest

from .conftest import estate_seed

# the reads a live scan sends (List Locations is `catalog check`'s, tested in test_locations.py;
# Resource Graph's query is the inventory source's, tested in test_graph_source.py)
CATALOG_CHECK_READS = frozenset({"subscriptions.listLocations"})
ARM_READS = tuple(
    dict.fromkeys(
        name
        for name, *_ in REQUEST_ACTIONS
        if name not in CATALOG_CHECK_READS and name not in INVENTORY_READS
    )
)
READ_TIMEOUT = 1.0  # long enough that a loaded machine does not time out clean reads
CLEAN_TIMEOUT = 10.0  # the baseline has no fault to wait out: it must not time out at all
FAULTS = {
    "denied": (DENIED, "AuthorizationFailed"),
    "throttled": (THROTTLED, "SubscriptionRequestsThrottled"),
    "server-busy": (
        Fault(
            503,
            "ServerBusy",
            "The server is currently unable to receive requests. Please retry your request.",
        ),
        "ServerBusy",
    ),
    "timeout": (Fault(stall=READ_TIMEOUT * 4), "ServiceResponseTimeoutError"),
}
# reads whose failure leaves buckets out of the inventory (the scope says so instead)
LISTINGS = frozenset({"subscriptions.list", "storageAccounts.list", "blobContainers.list"})


def property_estate() -> dict[str, Any]:
    """The shared estate without its seeded faults, so the clean scan lists every container and
    a bucket missing under a fault can only be the fault's doing."""
    estate = copy.deepcopy(estate_seed())
    for sub in estate["subscriptions"]:
        for account in sub.get("accounts", []):
            account.pop("faults", None)
    return estate


class Estate:
    def __init__(self, stub: ArmStub, workdir: Path) -> None:
        self.stub = stub
        self.workdir = workdir
        self.settings = {
            "arm_endpoint": stub.url,
            "credential": "anonymous",
            "retries": 1,  # one retry: a transient fault is retried, a lasting one gives up
            "connect_timeout": 1.0,
            "read_timeout": READ_TIMEOUT,
        }
        self.clean = self.scan(read_timeout=CLEAN_TIMEOUT)
        self.clean_reads = self.reads_sent()

    def scan(self, read_timeout: float = READ_TIMEOUT) -> ScanResult:
        self.stub.clear_requests()
        settings = self.settings | {"read_timeout": read_timeout}
        return scan_provider("azure", settings, self.workdir)

    def reads_sent(self) -> list[str | None]:
        return [read_for(r.method, r.path) for r in self.stub.requests]


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    with ArmStub(property_estate()) as stub:
        yield Estate(stub, tmp_path_factory.mktemp("azure-faults"))


def items_of(result: ScanResult) -> set[str]:
    """The guideline items of the bucket-level findings."""
    return {item for f in result.findings if f.resource for item in f.guideline_items}


def test_the_clean_scan_sends_every_read_and_finds_under_every_item(estate: Estate) -> None:
    sent = estate.clean_reads
    assert None not in sent, "a request of the full scan has no row in REQUEST_ACTIONS"
    assert set(sent) == set(ARM_READS)  # so no case below tests a read the scan never makes
    assert set(ARM_READS) <= set(READS)
    # the estate is rich enough for the property to mean something; the plugin reads no RBAC,
    # so (2)-3 (external principals) is never judged for Azure
    assert {"(2)-1", "(2)-2", "(1)-3", "(1)-note", "(1)-2"} <= items_of(estate.clean)
    seeded = {
        f"{account['name']}/{container['name']}"
        for sub in property_estate()["subscriptions"]
        for account in sub.get("accounts", [])
        for container in account.get("containers", [])
    }
    assert {b.name for b in estate.clean.inventory.buckets} == seeded
    # a clean baseline: no read timed out (the estate's own refusals, like a gone resource
    # group, are part of it)
    codes = [g.error_code or "" for b in estate.clean.inventory.buckets for g in b.gaps]
    assert not [c for c in codes if "Timeout" in c], codes


def scan_with(estate: Estate, applies: Callable[[StubRequest], bool], answer: Fault) -> ScanResult:
    estate.stub.inject(applies, answer)
    try:
        return estate.scan()
    finally:
        estate.stub.clear_faults()


def assert_nothing_lost(estate: Estate, faulted: ScanResult, read: str, code: str) -> None:
    buckets = faulted.inventory.buckets
    assert all(g.reason.strip() for b in buckets for g in b.gaps)
    assert all(s.error for s in faulted.inventory.scopes if s.status is ScopeStatus.FAILED)

    spec = READS[read]
    if spec.field is not None:  # a bucket-level read: its gap says what it hides, and why
        hit = [g for b in buckets for g in b.gaps if g.field == spec.field]
        assert hit and all(g.hides == spec.hides and g.error_code == code for g in hit)

    if read == "subscriptions.list":
        # nothing is listed at all: one failed scope "*" stands for every subscription
        (scope,) = faulted.inventory.scopes
        assert (scope.scope, scope.status) == ("*", ScopeStatus.FAILED)
        assert code in (scope.error or "")
        (unlisted,) = [f for f in faulted.findings if f.rule_id == "scope.unlisted"]
        assert unlisted.scope == "*" and unlisted.unverified
        assert set(unlisted.guideline_items) == set(SCOPE_ITEMS) >= items_of(estate.clean)
        return

    # every bucket is still there, or its scope says that buckets are missing
    unlisted = {f.scope for f in faulted.findings if f.rule_id == "scope.unlisted"}
    present = {b.uid for b in buckets}
    missing = {b.scope for b in estate.clean.inventory.buckets if b.uid not in present}
    assert missing <= unlisted
    if read not in LISTINGS:
        assert not missing
    assert lost_under_fault(estate.clean, faulted) == []


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("read", ARM_READS)
def test_one_failing_read_loses_nothing(estate: Estate, read: str, fault: str) -> None:
    answer, code = FAULTS[fault]
    faulted = scan_with(estate, lambda r: read_for(r.method, r.path) == read, answer)
    assert read in estate.reads_sent()
    assert_nothing_lost(estate, faulted, read, code)


@pytest.mark.parametrize("read", sorted(LISTINGS))
def test_a_listing_refused_on_its_second_page_loses_nothing(estate: Estate, read: str) -> None:
    def second_page(request: StubRequest) -> bool:
        return read_for(request.method, request.path) == read and "$skipToken" in request.query

    faulted = scan_with(estate, second_page, DENIED)
    assert any(second_page(r) for r in estate.stub.requests)  # the estate pages this listing
    assert_nothing_lost(estate, faulted, read, "AuthorizationFailed")
    # what the first page listed is still scanned (page size 2)
    names = {b.name for b in faulted.inventory.buckets}
    assert FIRST_PAGE_KEPT[read] <= names


FIRST_PAGE_KEPT = {
    "subscriptions.list": set(),  # scopes are all or nothing: the scan needs the whole list
    "storageAccounts.list": {"hkgrs/ledger", "hkgrs/site", "sggrs/replica-c1"},
    "blobContainers.list": {"tokyolrs/c1", "tokyolrs/c2", "tokyolrs/*"},
}


def test_every_client_read_has_a_row_and_the_readme_shows_the_table() -> None:
    import re

    from residency_audit.reads import markdown_table
    from residency_audit_azure import client

    # the operation names the client puts on its errors are what the provider looks up
    source = Path(client.__file__).read_text("utf-8")
    operations = set(
        re.findall(r'_(?:translated|storage_translated|collect)\(\s*"([^"]+)"', source)
    )
    assert operations and operations | {"anonymousListing"} == set(READS)
    assert set(ARM_READS) <= operations
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    section = readme.split("## What each read feeds, and what its failure hides\n", 1)[1]
    assert markdown_table(READS) in section.split("\n## ", 1)[0]
