"""The same property for connection-string mode on Azurite: refusing, throttling or stalling any
one data-plane read (container listing, account information, the anonymous try) keeps every
(bucket, guideline item) pair of the clean scan.

The faults come from the project's loopback fault proxy (``residency_audit.faultproxy``) between
the plugin and Azurite; its error bodies are S3-shaped, which the storage SDK reads like its own
(status first, then the XML ``Code``). ``retries = 0``: the storage SDK's retry policy backs off
15 s before its first retry, too slow for a test; the ARM property test covers giving up after
retries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from residency_audit.faultproxy import FaultProxy, ProxiedRequest
from residency_audit.model import PublicVerdict, ScopeStatus
from residency_audit.results import ScanResult
from residency_audit.testing import bucket_named, lost_under_fault, scan_provider
from residency_audit_azure.reads import READS
from residency_audit_azure.testing import Azurite, account_key

from .conftest import seed

pytestmark = pytest.mark.emulator

ACCOUNT = "tokyoblob"
TIMEOUT = 0.75
CLEAN_TIMEOUT = 10.0  # no fault to wait out: a loaded machine must not time out the baseline
# each data-plane read, told apart by its query as sent
DATA_PLANE_READS: dict[str, Callable[[ProxiedRequest], bool]] = {
    "listContainers": lambda r: "comp=list" in r.path and "restype=container" not in r.path,
    "getAccountInformation": lambda r: "restype=account" in r.path,
    "anonymousListing": lambda r: (
        "restype=container" in r.path and "authorization" not in r.headers
    ),
}
FAULTS = {"denied": 403, "slowdown": 503, "stall": None}


def settings(proxy: FaultProxy) -> dict[str, object]:
    connection_string = (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};"
        f"AccountKey={account_key(ACCOUNT)};BlobEndpoint={proxy.url}/{ACCOUNT};"
    )
    return {
        "connection_string": connection_string,
        "verify_anonymous": True,
        "verify_timeout": TIMEOUT,
        "read_timeout": TIMEOUT,
        "retries": 0,
    }


class FaultyPlane:
    """One proxy for the module (the buckets' uids carry its URL): which read fails, and how, is
    chosen per scan."""

    def __init__(self, proxy: FaultProxy, workdir: Path) -> None:
        self.proxy = proxy
        self.workdir = workdir
        self.failing: str | None = None
        self.seen: list[ProxiedRequest] = []

    def applies(self, request: ProxiedRequest) -> bool:
        self.seen.append(request)
        return self.failing is not None and DATA_PLANE_READS[self.failing](request)

    def scan(self, failing: str | None = None, fault: str = "denied") -> ScanResult:
        self.failing, self.proxy.faults, self.seen = failing, (fault,), []
        chosen = settings(self.proxy)
        if failing is None:
            chosen |= {"verify_timeout": CLEAN_TIMEOUT, "read_timeout": CLEAN_TIMEOUT}
        try:
            return scan_provider("azure", chosen, self.workdir)
        finally:
            self.failing = None


@pytest.fixture(scope="module")
def plane(azurite: Azurite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultyPlane]:
    seed(azurite, ACCOUNT, {"reports": None, "web": "container"})
    holder: list[FaultyPlane] = []
    upstream = f"http://127.0.0.1:{azurite.port}"
    with FaultProxy(
        upstream,
        rate=1.0,
        faults=("denied",),
        stall=TIMEOUT * 3,
        applies=lambda r: holder[0].applies(r),
    ) as proxy:
        holder.append(FaultyPlane(proxy, tmp_path_factory.mktemp("data-plane")))
        yield holder[0]


@pytest.fixture(scope="module")
def clean(plane: FaultyPlane) -> ScanResult:
    result = plane.scan()
    # every request of the scan is one of the reads, and each read was made
    kinds = [[name for name, is_it in DATA_PLANE_READS.items() if is_it(r)] for r in plane.seen]
    assert all(len(k) == 1 for k in kinds), [r.path for r in plane.seen]
    assert {k[0] for k in kinds} == set(DATA_PLANE_READS) <= set(READS)
    assert bucket_named(result, f"{ACCOUNT}/web").public_access.verdict is PublicVerdict.PUBLIC
    # a clean baseline: no read failed (connection-string mode leaves its own gaps, with no code)
    assert not [g for b in result.inventory.buckets for g in b.gaps if g.error_code]
    return result


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("read", sorted(DATA_PLANE_READS))
def test_one_failing_data_plane_read_loses_nothing(
    plane: FaultyPlane, clean: ScanResult, read: str, fault: str
) -> None:
    faulted = plane.scan(read, fault)
    assert lost_under_fault(clean, faulted) == []
    buckets = faulted.inventory.buckets
    assert all(g.reason.strip() for b in buckets for g in b.gaps)
    spec = READS[read]
    if spec.field is None:  # the container listing: the scope fails and says why
        (scope,) = faulted.inventory.scopes
        assert scope.status is ScopeStatus.FAILED and scope.error
        return
    assert {b.uid for b in buckets} == {b.uid for b in clean.inventory.buckets}
    hit = [g for b in buckets for g in b.gaps if g.field == spec.field]
    if read == "anonymousListing" and fault == "denied":
        assert not hit  # a refusal answers the question: it is evidence, not a gap
        return
    status = FAULTS[fault]
    assert hit and all(g.hides == spec.hides for g in hit)
    # the gap says what answered: the status, or that nothing did
    said = [f"{g.error_code} {g.reason}" for g in hit]
    assert all(str(status or "no response") in text or "Timeout" in text for text in said), said
