"""Scan results for the report tests and the report benchmark, built from the contract types.

* :func:`build_result`: a small hand-made result with hostile text everywhere (tags, names, error
  messages), every role, unknown locations, gaps, an unverified catalog row, a suppression.
* :func:`demo_result`: the project's demo estate run through the real catalog and rules
  (``jp-default``), with attestations and, optionally, scan history (states, resolved findings).
* :func:`synthetic_result`: the demo estate's buckets cloned to any size (20,000 for the
  benchmark), evaluated the same way.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from residency_audit.model import (
    Bucket,
    Certainty,
    Classification,
    CountryResolution,
    CoverageNote,
    Encryption,
    EncryptionTier,
    Evidence,
    Finding,
    FindingLocation,
    FindingState,
    Gap,
    Hidden,
    Inventory,
    Location,
    PublicAccess,
    PublicVerdict,
    ResourceRef,
    Role,
    ScopeResult,
    ScopeStatus,
    Severity,
    SuppressionRef,
    Text,
)
from residency_audit.profiles import load_profile
from residency_audit.profiles.model import Weakening
from residency_audit.results import Coverage, ProfileRef, ScanMeta, ScanResult
from residency_audit.rules import Attestation, EvaluationSettings
from residency_audit.scan import evaluate_inventory
from residency_audit.spill import SpillWriter

ROOT = Path(__file__).resolve().parent.parent
DEMO_ESTATE = ROOT / "fixtures" / "estates" / "demo.json"

HOSTILE = "</script><script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(2)>'
HOSTILE_ERR = "<b>AccessDenied</b> </SCRIPT ><svg onload=alert(3)>\u2028&amp;"
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


# --- a small builder over the contract types ------------------------------------------------


def _res(
    *countries: str,
    verified: bool = True,
    certainty: Certainty = Certainty.CONFIRMED,
    source: str = "regions.csv",
) -> CountryResolution:
    return CountryResolution(
        countries=countries, certainty=certainty, verified=verified, source=source
    )


def _loc(
    role: Role, provider: str, region: str | None, res: CountryResolution | None, **kw: Any
) -> Location:
    mechanism = kw.pop("mechanism", "bucket-location" if role is Role.PRIMARY else "replication")
    return Location(
        role=role, provider=provider, region=region, mechanism=mechanism, resolution=res, **kw
    )


def _finding(
    rule: str,
    items: tuple[str, ...],
    sev: Severity,
    bucket: Bucket | None,
    loc: Location | None,
    provider: str = "aws",
    scope: str = "111111111111",
    msg_en: str = "",
    msg_ja: str = "",
    **kw: Any,
) -> Finding:
    parts = [
        rule,
        provider,
        scope,
        bucket.uid if bucket else "",
        loc.role if loc else "",
        (loc.region or "") if loc else "",
    ]
    fl = None
    if loc is not None:
        countries = loc.resolution.countries if loc.resolution else ()
        fl = FindingLocation(
            role=loc.role,
            region=loc.region,
            country=countries[0] if countries else None,
            countries=countries,
            certainty=loc.certainty,
            mechanism=loc.mechanism,
            target=loc.target,
        )
    return Finding(
        fingerprint=hashlib.sha256("|".join(parts).encode()).hexdigest(),
        rule_id=rule,
        guideline_items=items,
        severity=sev,
        base_severity=sev,
        provider=bucket.provider if bucket else provider,
        scope=bucket.scope if bucket else scope,
        resource=ResourceRef(name=bucket.name, uid=bucket.uid) if bucket else None,
        location=fl,
        message=Text(ja=msg_ja or f"日本語: {msg_en or rule}", en=msg_en or f"finding {rule}"),
        remediation=Text(ja="対応してください", en=f"Fix it ({rule})"),
        **kw,
    )


def build_result(*, weakened: bool = False, extra_finding_msgs: tuple[str, ...] = ()) -> ScanResult:
    tokyo = Bucket(
        provider="aws",
        scope="111111111111",
        name="tokyo-only",
        uid="arn:aws:s3:::tokyo-only",
        tags={"classification": "sensitive"},
        locations=(
            _loc(Role.PRIMARY, "aws", "ap-northeast-1", _res("JP")),
            _loc(Role.KEY, "aws", "ap-northeast-1", _res("JP"), mechanism="kms"),
        ),
        encryption=Encryption(tier=EncryptionTier.CUSTOMER_MANAGED, key_id="arn:aws:kms:k/1"),
        public_access=PublicAccess(
            verdict=PublicVerdict.BLOCKED,
            evidence=(Evidence(key="aws.bpa.account", value="all-on"),),
        ),
        classification=Classification.SENSITIVE,
        classification_source="classification",
    )
    hostile = Bucket(
        provider="aws",
        scope="111111111111",
        name="replicated-hk",
        uid="arn:aws:s3:::replicated-hk",
        tags={"owner": HOSTILE, "note": HOSTILE_IMG, "=cmd": "+SUM(1)"},
        locations=(
            _loc(Role.PRIMARY, "aws", "ap-northeast-1", _res("JP")),
            _loc(
                Role.REPLICA,
                "aws",
                "ap-east-1",
                _res("HK"),
                target=HOSTILE,
                mechanism="s3-replication",
            ),
            _loc(
                Role.BACKUP,
                "aws",
                None,
                None,
                mechanism="aws-backup-copy",
                unknown_reason=HOSTILE_ERR,
            ),
        ),
        gaps=(
            Gap(
                field="replication",
                reason=HOSTILE_ERR,
                error_code="AccessDenied",
                hides=(Hidden.COPY,),
            ),
        ),
        public_access=PublicAccess(
            verdict=PublicVerdict.PUBLIC,
            # a hostile principal (a code) and a hostile API answer (a quotation)
            evidence=(
                Evidence(key="aws.acl-grant", subject=HOSTILE, value="READ"),
                Evidence(key="azure.anonymous-listing", value="refused", text=HOSTILE_ERR),
            ),
        ),
        classification=None,
    )
    asia = Bucket(
        provider="gcp",
        scope="proj-1",
        name="asia-multi",
        uid="gs://asia-multi",
        locations=tuple(
            _loc(
                Role.MULTI_REGION_MEMBER,
                "gcp",
                "ASIA",
                _res(cc, certainty=Certainty.POSSIBLE, verified=cc != "TW"),
                mechanism="multi-region",
            )
            for cc in ("JP", "TW", "SG")
        ),
        classification=Classification.UNCLASSIFIED,
    )
    empty = Bucket(provider="azure", scope="sub-1", name="nolocs", uid="/subs/sub-1/nolocs")
    buckets = (tokyo, hostile, asia, empty)
    hk = hostile.locations[1]
    findings = [
        _finding(
            "residency.concern",
            ("(2)-1",),
            Severity.CRITICAL,
            hostile,
            hk,
            msg_en=f"Replica in HK {HOSTILE}",
        ),
        _finding("residency.government-access", ("(2)-2",), Severity.HIGH, hostile, hk),
        _finding(
            "residency.unknown",
            ("(2)-1",),
            Severity.HIGH,
            hostile,
            hostile.locations[2],
            unverified=True,
            msg_en="Backup destination unknown",
        ),
        _finding("residency.caution", ("(1)-3",), Severity.MEDIUM, asia, asia.locations[1]),
        _finding(
            "public.access",
            ("(1)-2",),
            Severity.HIGH,
            hostile,
            None,
            suppression=SuppressionRef(
                id="S-1", reason=HOSTILE, approved_by="a", expires=date(2030, 1, 1)
            ),
        ),
        _finding(
            "attestation.contract", ("(1)-1",), Severity.MEDIUM, None, None, msg_en="No attestation"
        ),
        _finding("encryption.note", ("(1)-note", "(1)-3"), Severity.LOW, asia, None),
    ]
    for i, m in enumerate(extra_finding_msgs):
        findings.append(
            _finding(f"test.payload{i}", ("(1)-3",), Severity.INFO, tokyo, None, msg_en=m, msg_ja=m)
        )
    scopes = (
        ScopeResult(
            provider="aws",
            scope="111111111111",
            bucket_count=2,
            status=ScopeStatus.INCOMPLETE,
            notes=(
                CoverageNote(kind="region-unreachable", detail=HOSTILE, affects_completeness=True),
            ),
        ),
        ScopeResult(provider="gcp", scope="proj-1", bucket_count=1),
        ScopeResult(provider="azure", scope="sub-1", bucket_count=1),
        ScopeResult(provider="azure", scope="sub-2", status=ScopeStatus.FAILED, error=HOSTILE_ERR),
    )
    t0 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    t1 = datetime(2026, 11, 27, 1, 5, tzinfo=UTC)
    inventory = Inventory(
        scan_id="scan-1",
        started=t0,
        finished=t1,
        providers=("aws", "gcp", "azure"),
        scopes=scopes,
        buckets=buckets,
    )
    weak = (Weakening(country="HK", removed_from="concern", items=("(2)-1",)),) if weakened else ()
    meta = ScanMeta(
        id="scan-1",
        started=t0,
        finished=t1,
        tool_version="0.1.0",
        profile=ProfileRef(name="my-profile", sha256="ab" * 32, base="jp-default", weakened=weak),
        providers=("aws", "gcp", "azure"),
        coverage=Coverage(
            scopes_total=4,
            scopes_complete=2,
            scopes_incomplete=1,
            scopes_failed=1,
            buckets=4,
            buckets_with_gaps=1,
            locations=8,
            locations_unknown=1,
            locations_unverified=1,
            unclassified_buckets=3,
            complete=False,
        ),
    )
    attestations = (
        Attestation(
            provider="aws",
            scope="*",
            item="(1)-1",
            reviewed_on=date(2026, 4, 1),
            reviewer=HOSTILE_IMG,
            expires=date(2027, 3, 31),
        ),
        Attestation(
            provider="gcp",
            scope="proj-1",
            item="(2)-3",
            reviewed_on=date(2025, 1, 10),
            reviewer="Legal (Sato)",
            expires=date(2026, 1, 9),
        ),
    )
    return ScanResult(
        scan=meta, findings=tuple(findings), inventory=inventory, attestations=attestations
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the demo estate through the real pipeline --------------------------------------------------

SCAN_START = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
SCAN_END = datetime(2026, 11, 27, 1, 4, 30, tzinfo=UTC)
TODAY = SCAN_END.date()


def demo_attestations() -> tuple[Attestation, ...]:
    return (
        Attestation(
            provider="aws",
            scope="*",
            item="(1)-1",
            reviewed_on=date(2026, 4, 1),
            reviewer="法務部 佐藤",
            expires=date(2027, 3, 31),
        ),
        Attestation(
            provider="aws",
            scope="*",
            item="(2)-3",
            reviewed_on=date(2026, 4, 1),
            reviewer="法務部 佐藤",
            expires=date(2026, 12, 15),
        ),
        Attestation(
            provider="gcp",
            scope="design-prod-jp",
            item="(1)-1",
            reviewed_on=date(2025, 6, 1),
            reviewer="Legal (Tanaka)",
            expires=date(2026, 5, 31),
        ),
    )


def _evaluate(inventory: Inventory) -> ScanResult:
    inventory = inventory.model_copy(
        update={"scan_id": "scan-2026-11-27", "started": SCAN_START, "finished": SCAN_END}
    )
    attestations = demo_attestations()
    settings = EvaluationSettings(attestations=attestations, today=TODAY)
    result = evaluate_inventory(inventory, load_profile("jp-default"), settings)
    return result.model_copy(update={"attestations": attestations})


def demo_inventory() -> Inventory:
    return Inventory.model_validate_json(DEMO_ESTATE.read_text(encoding="utf-8"))


def with_history(result: ScanResult) -> ScanResult:
    """Pretend a previous scan exists: states, one reopened, two resolved, one suppression."""
    first = SCAN_START - timedelta(days=30)
    previous = SCAN_START - timedelta(days=7)
    findings: list[Finding] = []
    for i, f in enumerate(result.findings):
        state = (FindingState.NEW, FindingState.PERSISTING, FindingState.PERSISTING)[i % 3]
        if i == 4:
            state = FindingState.REOPENED
        update: dict[str, Any] = {
            "state": state,
            "first_seen": SCAN_START if state is FindingState.NEW else first,
            "last_seen": SCAN_START,
        }
        if f.rule_id == "public.public" or (i == 7 and f.resource is not None):
            update["suppression"] = SuppressionRef(
                id=f"SUP-{i:03d}",
                reason="公開Webサイト用の素材。情報セキュリティ委員会で承認済み",
                approved_by="ciso@example.co.jp",
                expires=date(2027, 3, 31),
            )
        findings.append(f.model_copy(update=update))
    resolved = tuple(
        f.model_copy(
            update={
                "fingerprint": hashlib.sha256(f"gone-{i}".encode()).hexdigest(),
                "state": FindingState.RESOLVED,
                "first_seen": first,
                "last_seen": previous,
                "resource": ResourceRef(name=f"deleted-bucket-{i}", uid=f"arn:aws:s3:::gone-{i}"),
            }
        )
        for i, f in enumerate(result.findings[:2])
    )
    return result.model_copy(
        update={
            "findings": tuple(findings),
            "resolved": resolved,
            "previous_scan_id": "scan-2026-11-20",
            "stale_suppressions": ("SUP-OLD-1",),
        }
    )


def demo_result(*, history: bool = False) -> ScanResult:
    result = _evaluate(demo_inventory())
    return with_history(result) if history else result


def synthetic_result(n_buckets: int, *, history: bool = True) -> ScanResult:
    """The demo estate's buckets cloned to ``n_buckets`` (names and uids made unique)."""
    demo = demo_inventory()
    templates = demo.buckets
    buckets = []
    for i in range(n_buckets):
        t = templates[i % len(templates)]
        suffix = f"-{i:05d}"
        buckets.append(t.model_copy(update={"name": t.name + suffix, "uid": t.uid + suffix}))
    scopes = tuple(
        s.model_copy(update={"bucket_count": sum(b.scope == s.scope for b in buckets)})
        for s in demo.scopes
    )
    inventory = demo.model_copy(update={"buckets": tuple(buckets), "scopes": scopes})
    result = _evaluate(inventory)
    return with_history(result) if history else result


def many_findings(n: int) -> tuple[ScanResult, ScanResult]:
    """A result of ``n`` findings (demo findings with unique fingerprints) held as a tuple, and
    the same result with its findings on disk (a Spill), as a scan's are."""
    base = demo_result(history=True)
    demo = base.findings
    findings = tuple(
        demo[i % len(demo)].model_copy(
            update={"fingerprint": hashlib.sha256(f"{i}".encode()).hexdigest()}
        )
        for i in range(n)
    )
    writer = SpillWriter(Finding)
    writer.extend(findings)
    return (
        base.model_copy(update={"findings": findings}),
        base.model_copy(update={"findings": writer.finish()}),
    )
