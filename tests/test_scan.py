"""Collection: discovery by entry point, bounded concurrency, failures recorded, never skipped."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from residency_audit.errors import CollectionError
from residency_audit.model import (
    Bucket,
    CoverageNote,
    Location,
    Role,
    ScopeStatus,
)
from residency_audit.plugins import Scope, available_providers, load_provider_class
from residency_audit.scan import collect


class FakeCloud:
    """A provider whose scopes behave as told: ok, slow, failing, partially failing."""

    name: ClassVar[str] = "fake"

    def __init__(self, plan: dict[str, str], delay: float = 0.0) -> None:
        self.plan = plan
        self.delay = delay
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> FakeCloud:
        return cls({})

    def scopes(self) -> Iterable[Scope]:
        return [Scope(provider="aws", id=sid) for sid in self.plan]

    def buckets(self, scope: Scope) -> Iterator[Bucket | CoverageNote]:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.delay)
            mode = self.plan[scope.id]
            if mode == "fail":
                raise CollectionError("AccessDenied: cannot assume role")
            if mode == "note":
                yield CoverageNote(
                    kind="region-unreachable",
                    detail="eu-south-2: timeout",
                    affects_completeness=True,
                )
            yield Bucket(
                provider="aws",
                scope=scope.id,
                name=f"b-{scope.id}",
                uid=f"arn:aws:s3:::b-{scope.id}",
                locations=(
                    Location(
                        role=Role.PRIMARY,
                        provider="aws",
                        region="ap-northeast-1",
                        mechanism="bucket-region",
                    ),
                ),
            )
            if mode == "partial":
                raise CollectionError("ListBuckets page 2: throttled")
            if mode == "crash":
                raise RuntimeError("bug")
        finally:
            with self.lock:
                self.active -= 1

    def required_permissions(self) -> Sequence[str]:
        return ()

    def permission_policy(self) -> Mapping[str, Any]:
        return {}


def test_fixture_provider_is_discovered_by_entry_point() -> None:
    assert "fixture" in available_providers()
    cls = load_provider_class("fixture")
    assert cls.name == "fixture"


def test_every_scope_is_recorded_with_its_outcome() -> None:
    cloud = FakeCloud({"1": "ok", "2": "fail", "3": "partial", "4": "note", "5": "crash"})
    inv = collect({"fake": cloud}, max_workers=2)
    status = {s.scope: s.status for s in inv.scopes}
    assert status == {
        "1": ScopeStatus.COMPLETE,
        "2": ScopeStatus.FAILED,
        "3": ScopeStatus.INCOMPLETE,
        "4": ScopeStatus.INCOMPLETE,
        "5": ScopeStatus.INCOMPLETE,
    }
    errors = {s.scope: s.error for s in inv.scopes}
    assert "AccessDenied" in (errors["2"] or "")
    assert not inv.complete
    # buckets listed before a failure are kept, not dropped
    assert sorted(b.scope for b in inv.buckets) == ["1", "3", "4", "5"]


def test_scope_listing_failure_is_a_failed_scope_not_an_empty_one() -> None:
    class NoScopes(FakeCloud):
        def scopes(self) -> Iterable[Scope]:
            raise CollectionError("organizations:ListAccounts AccessDenied")

    inv = collect({"fake": NoScopes({})})
    assert [(s.scope, s.status) for s in inv.scopes] == [("*", ScopeStatus.FAILED)]
    assert not inv.complete


def test_a_plugin_bug_while_listing_scopes_fails_that_provider_only() -> None:
    class Broken(FakeCloud):
        def scopes(self) -> Iterable[Scope]:
            raise KeyError("projects")  # e.g. a garbled listing answer the plugin did not expect

    inv = collect({"broken": Broken({}), "fake": FakeCloud({"1": "ok"})})
    assert [(s.provider, s.scope, s.status) for s in inv.scopes] == [
        ("broken", "*", ScopeStatus.FAILED),
        ("aws", "1", ScopeStatus.COMPLETE),  # FakeCloud names its scopes aws
    ]
    assert "internal error" in (inv.scopes[0].error or "")


def test_scopes_run_concurrently_within_the_bound() -> None:
    cloud = FakeCloud({str(i): "ok" for i in range(8)}, delay=0.05)
    inv = collect({"fake": cloud}, max_workers=3)
    assert len(inv.buckets) == 8
    assert cloud.peak == 3  # concurrent, and never more than the bound


def test_secrets_in_cloud_error_text_are_masked_in_gaps_and_unknown_reasons() -> None:
    from residency_audit.model import Evidence, Gap

    class Leaky(FakeCloud):
        def buckets(self, scope: Scope) -> Iterator[Bucket | CoverageNote]:
            yield Bucket(
                provider="azure",
                scope=scope.id,
                name="acct/c",
                uid="/subscriptions/s/c",
                locations=(
                    Location(
                        role=Role.REPLICA,
                        provider="azure",
                        region=None,
                        mechanism="object-replication",
                        unknown_reason="GET https://x.blob.core.windows.net/?sig=SECRETSIG 403",
                        why=Evidence(key="azure.destination-unread", text="?sig=SECRETWHY"),
                    ),
                ),
                gaps=(Gap(field="containers", reason="AccountKey=SECRETKEY; denied"),),
            )

    inv = collect({"fake": Leaky({"1": "ok"})})
    text = inv.model_dump_json()
    assert "SECRETSIG" not in text and "SECRETKEY" not in text and "SECRETWHY" not in text
    assert "sig=***" in text and "AccountKey=***" in text
