"""Public helpers for tests of provider plugins (like ``click.testing``): run the real scan
pipeline over one provider's settings, and look at what a user would see."""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from .config import parse_config
from .evidence import EVIDENCE, evidence_text
from .markup import CODE_CLOSE, CODE_OPEN, QUOTE_CLOSE, QUOTE_OPEN
from .model import Bucket, CoverageNote, Evidence, Finding, ScopeStatus, Severity
from .plugins import Provider
from .results import ScanResult
from .scan import run_scan
from .terms import all_terms

__all__ = [
    "bucket_named",
    "evidence_keys",
    "finding_summary",
    "load_module",
    "lost_under_fault",
    "read_provider",
    "scan_provider",
    "unworded",
]


def load_module(path: Path, name: str | None = None) -> ModuleType:
    """Import a module from a file that is not on sys.path (e.g. ``demo/aws_backend.py``)."""
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scan_provider(
    provider: str, settings: Mapping[str, Any], workdir: Path, profile: str = "jp-default"
) -> ScanResult:
    """Collect, resolve and evaluate one provider exactly as ``residency-audit scan`` does."""
    config = parse_config(
        {"profile": profile, "providers": {provider: dict(settings)}},
        source="<test>",
        base_dir=workdir,
    )
    return run_scan(config)


def read_provider(provider: Provider) -> tuple[dict[str, Bucket], list[CoverageNote]]:
    """Every scope's buckets, by name, and coverage notes, straight from the plugin (no rules).

    A bucket name reported twice fails: the names are unique where this is used (S3, GCS)."""
    buckets: dict[str, Bucket] = {}
    notes: list[CoverageNote] = []
    for scope in provider.scopes():
        for item in provider.buckets(scope):
            if isinstance(item, CoverageNote):
                notes.append(item)
                continue
            if item.name in buckets:
                raise AssertionError(f"{item.name} reported twice")
            buckets[item.name] = item
    return buckets, notes


def bucket_named(result: ScanResult, name: str) -> Bucket:
    return next(b for b in result.inventory.buckets if b.name == name)


def finding_summary(result: ScanResult, name: str) -> set[tuple[str, Severity, str | None]]:
    """(rule id, severity, country) of every finding on the bucket called ``name``."""
    return {
        (f.rule_id, f.severity, f.location.country if f.location else None)
        for f in result.findings
        if f.resource and f.resource.name == name
    }


# Rules whose finding says that a location (or what places one) could not be determined: the one
# case where a fault may lower a severity, since an unknown place is never "confirmed".
_UNKNOWN_PLACE_RULES = frozenset({"location.unknown", "gap.may-hide-copy", "scope.unlisted"})

_Pair = tuple[str, str, str, str]  # provider, scope, bucket uid ("" for scope level), item


def _worst(findings: Iterable[Finding]) -> dict[_Pair, list[Finding]]:
    pairs: dict[_Pair, list[Finding]] = {}
    for f in findings:
        uid = f.resource.uid if f.resource else ""
        for item in f.guideline_items:
            pairs.setdefault((f.provider, f.scope, uid, item), []).append(f)
    return pairs


def lost_under_fault(clean: ScanResult, faulted: ScanResult) -> list[str]:
    """What a scan with a failing read lost against the clean scan of the same estate.

    The property "unknown is never safe", pair by pair: every (bucket, guideline item) pair of the
    clean scan is still there, at the same or a worse severity -- lower only where the faulted
    pair rests on an unknown place (``location.unknown``, ``gap.may-hide-copy``,
    ``scope.unlisted``), whose unverified finding says so. A bucket missing from the faulted scan
    must be covered by a ``scope.unlisted`` finding of its scope for the item. Returns one line
    per problem (empty: nothing lost).
    """
    before = _worst(clean.findings)
    after = _worst(faulted.findings)
    present = {b.uid for b in faulted.inventory.buckets}
    failed = {
        (s.provider, s.scope)
        for s in faulted.inventory.scopes
        if s.status is ScopeStatus.FAILED or any(n.buckets_missing for n in s.notes)
    }
    problems: list[str] = []
    for (provider, scope, uid, item), was in sorted(before.items()):
        worst_before = max(f.severity.rank for f in was)
        if uid and uid not in present:
            # the scope itself failed, or the provider could not list its scopes at all ("*")
            cover = [
                f
                for s in (scope, "*")
                if (provider, s) in failed
                for f in after.get((provider, s, "", item), [])
                if f.rule_id == "scope.unlisted"
            ]
            if not cover:
                problems.append(f"{uid} {item}: bucket missing and no scope.unlisted finding")
            continue
        now = after.get((provider, scope, uid, item), [])
        if not now and not uid and (provider, "*") in failed:
            now = after.get((provider, "*", "", item), [])  # the provider listed no scopes
        if not now:
            rules = sorted({f.rule_id for f in was})
            problems.append(f"{uid or scope} {item}: lost (clean scan had {rules})")
            continue
        worst_now = max(f.severity.rank for f in now)
        if worst_now >= worst_before:
            continue
        if any(f.unverified and f.rule_id in _UNKNOWN_PLACE_RULES for f in now):
            continue
        fell = f"{Severity.INFO.shifted(worst_before)} to {Severity.INFO.shifted(worst_now)}"
        problems.append(
            f"{uid or scope} {item}: fell from {fell} with no unknown place to explain it"
        )
    return problems


# Names a Japanese reader sees as they are: products, protocols and the like.
_NAMES = frozenset(
    {
        "ACL",
        "ACLs",
        "API",
        "ARM",
        "ARN",
        "AWS",
        "Amazon",
        "Azure",
        "BLOB",
        "Backup",
        "CMEK",
        "Cloud",
        "CloudHSM",
        "Edge",
        "FSx",
        "Google",
        "HSM",
        "HTTP",
        "IAM",
        "ID",
        "IP",
        "JSON",
        "KMS",
        "Key",
        "Managed",
        "Microsoft",
        "S3",
        "SKU",
        "Storage",
        "URI",
        "Vault",
        "Zone",
    }
)
_MARKED = re.compile(
    f"{CODE_OPEN}[^{CODE_CLOSE}]*{CODE_CLOSE}|{QUOTE_OPEN}[^{QUOTE_CLOSE}]*{QUOTE_CLOSE}"
)
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def unworded(
    items: Iterable[Evidence], kind: str = EVIDENCE, coded_values: Collection[str] = ()
) -> list[str]:
    """What a reader of the report would find not put into words, one line per problem: an
    evidence item (``kind="encryption_detail"``: an encryption detail) whose key has no term, a
    value with no term of its own or shared (unless the item's key is in ``coded_values``: its
    values are codes, a role or a permission), or a Latin word in the Japanese text outside its
    codes and quotations (but a product name such as ``IAM`` or ``Azure``)."""
    terms = all_terms()
    problems: list[str] = []
    for item in items:
        if f"{kind}.{item.key}" not in terms:
            problems.append(f"{item.key}: no term {kind}.{item.key}")
        value = (item.value or "").lower()
        worded = {
            f"{kind}.{item.key}.{value}",
            f"{kind}.value.{value}",
            f"{EVIDENCE}.value.{value}",
        }
        if item.value and item.key not in coded_values and not worded & terms.keys():
            problems.append(f"{item.key}: no term for its value {item.value!r}")
        prose = _MARKED.sub("", evidence_text(item, "ja", kind))
        latin = [w for w in _LATIN.findall(prose) if w not in _NAMES]
        if latin:
            problems.append(f"{item.key}: English in the Japanese text: {latin}")
    return problems


def evidence_keys(package: ModuleType) -> set[str]:
    """Every literal ``key`` of an ``Evidence(...)`` a package's source builds: what a plugin can
    record (a key built at run time is not seen; the plugins use literals)."""
    keys: set[str] = set()
    root = Path(str(package.__file__)).parent
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Evidence"):
                continue
            for kw in node.keywords:
                if kw.arg == "key" and isinstance(kw.value, ast.Constant):
                    keys.add(str(kw.value.value))
    return keys
