"""Which buckets qualify for a ticket, and the stable key that names each."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from ..model import Finding
from ..results import ScanResult
from .settings import TicketsSettings

__all__ = ["FlaggedBucket", "bucket_key", "finding_digest", "flagged_buckets"]

KEY_PREFIX = "ra-"


def bucket_key(provider: str, scope: str, uid: str) -> str:
    """Stable across scans: tool, provider, scope and the bucket's canonical id -- never region,
    time or message text (those change while the bucket stays the same)."""
    raw = "\x00".join(("residency-audit", provider, scope, uid)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def finding_digest(summary: Iterable[tuple[str, str]]) -> str:
    """Digest of (fingerprint, severity) pairs: a change in either means one comment."""
    text = "\n".join(f"{fp} {sev}" for fp, sev in sorted(set(summary)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FlaggedBucket:
    key: str
    provider: str
    scope: str
    uid: str
    name: str
    findings: tuple[Finding, ...]  # the qualifying findings, worst first

    @property
    def worst(self) -> Finding:
        return self.findings[0]

    @property
    def worst_item(self) -> str:
        items = self.worst.guideline_items
        return items[0] if items else self.worst.rule_id

    @property
    def summary(self) -> tuple[dict[str, str], ...]:
        return tuple(
            {"fingerprint": f.fingerprint, "severity": f.severity.value, "rule_id": f.rule_id}
            for f in self.findings
        )

    @property
    def digest(self) -> str:
        return finding_digest((f.fingerprint, f.severity.value) for f in self.findings)


def _qualifies(finding: Finding, settings: TicketsSettings) -> bool:
    if finding.resource is None or finding.suppression is not None:
        return False  # scope-level findings have no bucket; accepted exceptions get no ticket
    if finding.severity.rank < settings.min_severity.rank:
        return False
    if settings.items and not set(finding.guideline_items) & set(settings.items):
        return False
    if settings.providers and finding.provider not in settings.providers:
        return False
    return not settings.scopes or any(fnmatchcase(finding.scope, p) for p in settings.scopes)


def flagged_buckets(
    result: ScanResult, settings: TicketsSettings, exclude: frozenset[str] = frozenset()
) -> dict[str, FlaggedBucket]:
    """Buckets with at least one qualifying finding; ``exclude`` holds fingerprints a person
    accepted by closing their ticket as won't fix."""
    grouped: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.fingerprint not in exclude and _qualifies(finding, settings):
            assert finding.resource is not None
            key = bucket_key(finding.provider, finding.scope, finding.resource.uid)
            grouped.setdefault(key, []).append(finding)
    out: dict[str, FlaggedBucket] = {}
    for key, findings in grouped.items():
        findings.sort(key=lambda f: (-f.severity.rank, f.guideline_items, f.rule_id, f.fingerprint))
        first = findings[0]
        assert first.resource is not None
        out[key] = FlaggedBucket(
            key=key,
            provider=first.provider,
            scope=first.scope,
            uid=first.resource.uid,
            name=first.resource.name,
            findings=tuple(findings),
        )
    return dict(sorted(out.items(), key=lambda kv: (kv[1].provider, kv[1].scope, kv[1].name)))
