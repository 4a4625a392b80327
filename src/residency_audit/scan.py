"""Run providers into an inventory, then resolve and evaluate it into a :class:`ScanResult`.

Collection is the only stage that calls cloud APIs. Scopes (accounts, projects, subscriptions) are
collected concurrently by a bounded pool; each provider bounds its own per-bucket work inside a
scope. A scope that fails is recorded with its error and the scan goes on: the result is then
incomplete (exit 3), never silently partial. Only when every scope failed for want of credentials
does the scan stop instead (:class:`NoProviderAuthenticated`, exit 2): there is nothing to report.

At ``-v`` the scan logs what it does (providers built, scopes found, each scope's start, end,
bucket count and duration) as INFO records whose ``extra`` fields ``--log-format json`` carries.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from . import __version__
from .catalog import load_catalog
from .config import Config
from .errors import (
    CollectionError,
    ConfigError,
    CredentialError,
    InputError,
    NoProviderAuthenticated,
)
from .memo import Shared
from .model import (
    Bucket,
    Classification,
    CoverageNote,
    Evidence,
    Finding,
    Gap,
    Inventory,
    Location,
    ScopeResult,
    ScopeStatus,
    bucket_order,
)
from .plaintext import clean_model, clean_text
from .plugins import Provider, Scope, ShardAware, TagAware, load_provider_class
from .profiles import load_profile
from .profiles.model import Profile, Tier
from .redact import mask_secrets
from .results import Coverage, ProfileRef, ScanMeta, ScanResult, UnmappedCode
from .rules import EvaluationSettings, Evaluator, classified, sort_key
from .shard import ShardPlan
from .spill import Spill, SpillError, SpillWriter, builder_like

__all__ = [
    "ProgressSink",
    "build_providers",
    "collect",
    "evaluate_inventory",
    "run_scan",
]

log = logging.getLogger(__name__)


class ProgressSink(Protocol):
    """What the CLI's progress display listens to. Called from worker threads."""

    def scopes_found(self, provider: str, count: int) -> None: ...

    def bucket_collected(self, provider: str, scope: str) -> None: ...

    def scope_finished(self, result: ScopeResult) -> None: ...


def build_providers(config: Config) -> dict[str, Provider]:
    """Load each configured provider by entry point and build it (no network calls)."""
    providers: dict[str, Provider] = {}
    for name, table in config.providers.items():
        settings: dict[str, Any] = dict(table)
        if name == "fixture" and "path" in settings:
            # the core's own provider: its inventory path is relative to the config file
            settings["path"] = str((config.base_dir / str(settings["path"])).resolve())
        try:
            provider = load_provider_class(name).from_settings(settings)
        except ConfigError as exc:
            if exc.file is None:
                exc.file = config.source
                exc.args = (str(exc),)
            raise
        if isinstance(provider, TagAware):  # tags read only when the classification uses them
            provider.use_tag_keys(frozenset(config.classification.keys))
        providers[name] = provider
        log.info("provider %s built", name, extra={"event": "provider.built", "provider": name})
    return providers


def _plugin_text(text: str) -> str:
    """Text a plugin or cloud API wrote (an error message): secrets masked, then made safe to
    store (see plaintext)."""
    return clean_text(mask_secrets(text))


def _masked(bucket: Bucket) -> Bucket:
    """Gap reasons and unknown-location reasons quote cloud API error text: mask any secret in
    them here, once for every plugin, before they reach a log, a report or a ticket. Only what
    changes is copied: nearly every bucket has nothing to mask."""

    def words(why: Evidence | None) -> Evidence | None:
        """A reason's values: the API's words it quotes masked."""
        if why is None or not why.text:
            return why
        text = mask_secrets(why.text)
        return why if text == why.text else why.model_copy(update={"text": text})

    def gap(g: Gap) -> Gap:
        reason = mask_secrets(g.reason)
        why = words(g.why)
        if reason == g.reason and why is g.why:
            return g
        return g.model_copy(update={"reason": reason, "why": why})

    def location(loc: Location) -> Location:
        reason = mask_secrets(loc.unknown_reason) if loc.unknown_reason else None
        why = words(loc.why)
        if reason == loc.unknown_reason and why is loc.why:
            return loc
        return loc.model_copy(update={"unknown_reason": reason, "why": why})

    gaps = tuple(gap(g) for g in bucket.gaps)
    locations = tuple(location(loc) for loc in bucket.locations)
    if gaps == bucket.gaps and locations == bucket.locations:
        return bucket
    return bucket.model_copy(update={"gaps": gaps, "locations": locations})


def _collect_scope(
    provider: Provider, scope: Scope, sink: SpillWriter[Bucket], progress: ProgressSink | None
) -> tuple[ScopeResult, CredentialError | None]:
    """The scope's result, and its CredentialError when it failed for want of credentials."""
    count = 0
    notes: list[CoverageNote] = []
    status, error = ScopeStatus.COMPLETE, None
    denied: CredentialError | None = None
    fields = {"provider": scope.provider, "scope": scope.id}
    log.info(
        "scope %s/%s started", scope.provider, scope.id, extra={"event": "scope.started", **fields}
    )
    started = time.monotonic()
    try:
        for item in provider.buckets(scope):
            if isinstance(item, CoverageNote):  # its detail may quote an API error too
                notes.append(item.model_copy(update={"detail": mask_secrets(item.detail)}))
                if item.affects_completeness:
                    status = ScopeStatus.INCOMPLETE
            else:
                sink.add(_masked(clean_model(item)))  # plugin text: see plaintext
                count += 1
                if progress:
                    progress.bucket_collected(scope.provider, scope.id)
    except CredentialError as exc:  # logged by collect(), which knows whether any scope worked
        status, error = ScopeStatus.FAILED, _plugin_text(str(exc))
        denied = exc
    except CollectionError as exc:
        status, error = ScopeStatus.FAILED, _plugin_text(str(exc))
        log.warning("scope %s/%s could not be collected: %s", scope.provider, scope.id, error)
    except SpillError:
        raise  # this machine's disk, not the scope: the scan stops (exit 4)
    except Exception as exc:  # a plugin bug must not lose the other scopes; it is reported
        status, error = ScopeStatus.FAILED, f"internal error in provider: {type(exc).__name__}"
        log.exception("provider failed on scope %s/%s", scope.provider, scope.id)
    if status is ScopeStatus.FAILED and count:
        status = ScopeStatus.INCOMPLETE  # listed part of it before failing: the rest is missing
        if denied is not None:  # it did authenticate: an ordinary gap
            log.warning("scope %s/%s could not be collected: %s", scope.provider, scope.id, error)
            denied = None
        notes.append(
            CoverageNote(
                kind="listing-incomplete",
                detail=f"the scope failed after {count} buckets: {error}",
                affects_completeness=True,
                buckets_missing=True,
            )
        )
    result = ScopeResult(
        provider=scope.provider,
        scope=scope.id,
        name=clean_text(scope.name) if scope.name else scope.name,
        status=status,
        error=error,
        bucket_count=count,
        notes=tuple(clean_model(n) for n in notes),
    )
    seconds = round(time.monotonic() - started, 3)
    log.info(
        "scope %s/%s finished: %s, %d buckets in %.1f s",
        scope.provider,
        scope.id,
        status.value,
        count,
        seconds,
        extra={
            "event": "scope.finished",
            **fields,
            "status": status.value,
            "buckets": count,
            "duration_s": seconds,
        },
    )
    if progress:
        progress.scope_finished(result)
    return result, denied


def _credential_failure(provider: str, scope: str, exc: CredentialError) -> str:
    """The scope's one-line error; the SDK's own words are logged at -v (never its stack)."""
    if exc.detail:
        log.info(
            "%s/%s credentials: %s",
            provider,
            scope,
            _plugin_text(exc.detail),
            extra={"event": "credentials.failed", "provider": provider, "scope": scope},
        )
    return _plugin_text(str(exc))


def _check_authenticated(
    providers: Mapping[str, Provider],
    results: list[ScopeResult],
    denied: Mapping[tuple[str, str], str],
) -> None:
    """Raise NoProviderAuthenticated when every scope failed for want of credentials (and there
    was a scope at all); else log those failures as the warnings every failed scope gets."""
    if providers and results and len(denied) == len(results):
        by_provider: dict[str, str] = {}
        for (provider, _), message in denied.items():
            by_provider.setdefault(provider, message)  # one line a provider: the first
        order = {name: i for i, name in enumerate(providers)}  # as configured
        ranked = sorted(by_provider.items(), key=lambda item: order.get(item[0], len(order)))
        raise NoProviderAuthenticated(dict(ranked))
    for (provider, scope), message in denied.items():
        if scope == "*":
            log.warning("provider %s could not list its scopes: %s", provider, message)
        else:
            log.warning("scope %s/%s could not be collected: %s", provider, scope, message)


def collect(
    providers: Mapping[str, Provider],
    *,
    max_workers: int = 4,
    progress: ProgressSink | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    shard: ShardPlan | None = None,
) -> Inventory:
    """Every scope of every provider; with ``shard``, only that shard's share (see shard.py):
    the plan records how the shard took part in each scope it reports."""
    started = clock()
    began = time.monotonic()
    failed: list[ScopeResult] = []
    denied: dict[tuple[str, str], str] = {}  # (provider, scope) -> its credential error
    work: list[tuple[Provider, Scope]] = []
    for name, provider in providers.items():
        listing = time.monotonic()
        try:
            scopes = list(provider.scopes())
        except CredentialError as exc:
            error = _credential_failure(name, "*", exc)
            failed.append(
                ScopeResult(provider=name, scope="*", status=ScopeStatus.FAILED, error=error)
            )
            denied[(name, "*")] = error
            continue
        except CollectionError as exc:
            error = _plugin_text(str(exc))
            failed.append(
                ScopeResult(provider=name, scope="*", status=ScopeStatus.FAILED, error=error)
            )
            log.warning("provider %s could not list its scopes: %s", name, error)
            continue
        except InputError:
            raise  # bad input (e.g. a malformed fixture inventory): exit 2, not a scan gap
        except Exception as exc:  # a plugin bug must not lose the other providers; it is reported
            error = f"internal error in provider while listing scopes: {type(exc).__name__}"
            failed.append(
                ScopeResult(provider=name, scope="*", status=ScopeStatus.FAILED, error=error)
            )
            log.exception("provider %s failed while listing its scopes", name)
            continue
        seconds = round(time.monotonic() - listing, 3)
        log.info(
            "provider %s: %d scopes found in %.1f s",
            name,
            len(scopes),
            seconds,
            extra={
                "event": "scopes.found",
                "provider": name,
                "scopes": len(scopes),
                "duration_s": seconds,
            },
        )
        if shard is not None:
            shard.saw((s.provider, s.id) for s in scopes)  # as the scopes' results name them
            if isinstance(provider, ShardAware):  # lists each scope, reads its share
                provider.use_shard(shard)
            else:  # whole scopes only
                scopes = [s for s in scopes if shard.owns_scope(s.provider, s.id)]
        if progress:
            progress.scopes_found(name, len(scopes))
        work.extend((provider, scope) for scope in scopes)

    # every scope's buckets go to disk as they come (spill): a large estate is never held
    sink = SpillWriter(Bucket, key=bucket_order)
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="scope") as pool:
        collected = list(pool.map(lambda pw: _collect_scope(pw[0], pw[1], sink, progress), work))
    outcomes = [result for result, _ in collected]
    for result, why in collected:
        if why is not None:
            denied[(result.provider, result.scope)] = _credential_failure(
                result.provider, result.scope, why
            )
    # before the inventory is made: the spill holds no bucket then, and its file is unnamed
    _check_authenticated(providers, failed + outcomes, denied)
    if shard is not None:  # a scope this shard owned nothing of is not its to report
        aware = {n for n, p in providers.items() if isinstance(p, ShardAware)}
        failed = [r for r in failed if shard.keep(r, shard_aware=False)]
        outcomes = [r for r in outcomes if shard.keep(r, shard_aware=r.provider in aware)]
    total = sum(r.bucket_count for r in outcomes)
    seconds = round(time.monotonic() - began, 3)
    log.info(
        "collected %d buckets from %d scopes in %.1f s",
        total,
        len(failed) + len(outcomes),
        seconds,
        extra={
            "event": "scan.collected",
            "scopes": len(failed) + len(outcomes),
            "buckets": total,
            "duration_s": seconds,
        },
    )
    return Inventory(
        scan_id=uuid.uuid4().hex,
        started=started,
        finished=clock(),
        providers=tuple(providers),
        scopes=tuple(failed) + tuple(outcomes),
        buckets=sink.finish(),
    )


_SEEN_AT_MAX = 5


class _Tally:
    """What the coverage and the profile block need from every bucket, gathered as the buckets
    go by: one pass, no bucket kept."""

    def __init__(self) -> None:
        self.buckets = self.with_gaps = self.unclassified = 0
        self.from_inventory = self.read_live = 0
        self.locations = self.unknown = self.unverified = 0
        self.countries: set[str] = set()
        self.scopes: set[tuple[str, str]] = set()  # (provider, scope) of every bucket
        # every code the catalog does not know: how many locations, and the first places
        self.unmapped: dict[tuple[str, str, str], tuple[int, list[str]]] = {}

    def add(self, b: Bucket) -> None:
        self.buckets += 1
        self.with_gaps += bool(b.gaps)
        self.unclassified += b.classification in (
            None,
            Classification.UNCLASSIFIED,
            Classification.UNKNOWN,
        )
        self.scopes.add((b.provider, b.scope))
        if b.captured is not None:
            self.from_inventory += 1
            self.read_live += bool(b.read_live)
        for loc in b.locations:
            self.locations += 1
            res = loc.resolution
            # a CDN whose geo restriction leaves no edge is an answer (no copy), not an unknown
            if not (res and (res.known or res.none_left)):
                self.unknown += 1
            elif not res.verified:
                self.unverified += 1
            if res is None:
                continue
            self.countries.update(res.countries)
            if loc.region is not None and res.unmapped:
                key = (loc.provider, loc.namespace.value, loc.region)
                count, seen = self.unmapped.get(key, (0, []))
                if len(seen) < _SEEN_AT_MAX:
                    seen.append(f"{b.uid} ({loc.role.value})")
                self.unmapped[key] = (count + 1, seen)

    def coverage(self, inventory: Inventory) -> Coverage:
        scopes = inventory.scopes
        return Coverage(
            scopes_total=len(scopes),
            scopes_complete=sum(s.status is ScopeStatus.COMPLETE for s in scopes),
            scopes_incomplete=sum(s.status is ScopeStatus.INCOMPLETE for s in scopes),
            scopes_failed=sum(s.status is ScopeStatus.FAILED for s in scopes),
            buckets=self.buckets,
            buckets_with_gaps=self.with_gaps,
            locations=self.locations,
            locations_unknown=self.unknown,  # no country could be determined
            locations_unverified=self.unverified,  # from a catalog row marked UNVERIFIED
            unclassified_buckets=self.unclassified,
            complete=inventory.complete,
            buckets_from_inventory=self.from_inventory,
            buckets_read_live_instead=self.read_live,
            inventory_disagreements=sum(
                n.kind == "inventory-disagreement" for s in scopes for n in s.notes
            ),
            unmapped_codes=tuple(
                UnmappedCode(
                    provider=provider,
                    namespace=namespace,
                    code=code,
                    locations=count,
                    seen_at=tuple(seen),
                )
                for (provider, namespace, code), (count, seen) in sorted(self.unmapped.items())
            ),
        )

    def country_tiers(self, profile: Profile) -> dict[str, str]:
        tiers: dict[str, str] = {}
        for cc in sorted(self.countries):
            policy = profile.classify(cc)
            if policy.tier is Tier.CONCERN:
                tiers[cc] = "concern"
            elif policy.government_access:
                tiers[cc] = "gov"
            else:
                tiers[cc] = policy.tier.value
        return tiers


def evaluate_inventory(
    inventory: Inventory,
    profile: Profile,
    settings: EvaluationSettings,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ScanResult:
    """Resolve every location to countries, classify buckets, run the rules -- a bucket at a
    time. A scan's buckets are on disk (spill) and so are the resolved buckets and the findings
    made here: none is held. Buckets given as a tuple (a file, code) give tuples, and equal
    parts of them are shared instead."""
    on_disk = isinstance(inventory.buckets, Spill)
    shared = None if on_disk else Shared()  # held buckets share equal parts; spilled need not
    catalog = load_catalog()
    rules = Evaluator(profile, settings, shared=shared)
    tally = _Tally()
    buckets = builder_like(inventory.buckets, Bucket)
    findings = builder_like(inventory.buckets, Finding, key=sort_key)
    for collected in inventory.buckets:
        bucket = classified(catalog.resolve_bucket(collected, shared), settings.classification)
        tally.add(bucket)
        buckets.add(bucket)
        for finding in rules.bucket(bucket):
            findings.add(finding)
    for finding in rules.scopes(inventory.scopes, tally.scopes):
        findings.add(finding)
    out = buckets.finish()
    if isinstance(out, Spill) and isinstance(inventory.buckets, Spill):
        for key in inventory.buckets.sorted_keys():  # written in the order they came in
            out.mark_sorted_by(key)
    # the collected buckets go once the caller holds no reference (run_scan holds none)
    resolved = inventory.model_copy(update={"buckets": out})
    del inventory
    now = clock()
    meta = ScanMeta(
        id=resolved.scan_id or uuid.uuid4().hex,
        started=resolved.started or now,
        finished=resolved.finished or now,
        tool_version=__version__,
        profile=ProfileRef(
            name=profile.name,
            sha256=profile.sha256,
            base=profile.base,
            weakened=profile.weakened,
            country_tiers=tally.country_tiers(profile),
        ),
        providers=resolved.providers,
        coverage=tally.coverage(resolved),
        rules_not_run=settings.rules.not_run,
    )
    return ScanResult(
        scan=meta,
        findings=findings.finish(),
        attestations=settings.attestations,
        inventory=resolved,
    )


def settings_from_config(config: Config, today: date | None = None) -> EvaluationSettings:
    return EvaluationSettings(
        classification=config.classification,
        attestations=config.attestations,
        today=today or datetime.now(UTC).date(),
        rules=config.scan.selection,
    )


def resolve_profile(
    name_or_path: str,
    base_dir: Path | None = None,
    *,
    source: str | None = None,
    key: str = "profile",
) -> Profile:
    """A built-in profile name, or a TOML path (relative to the config file when given one).

    ``source`` and ``key`` say where the choice was made (the config file and its key, or a
    command-line option): an unknown name or a missing profile file is reported there. A problem
    inside an existing profile file names that file.
    """
    candidate = Path(name_or_path)
    if base_dir is not None and candidate.suffix == ".toml" and not candidate.is_absolute():
        candidate = base_dir / candidate
    if candidate.suffix == ".toml" and source is not None and not candidate.exists():
        raise ConfigError(f"no such profile file: {candidate}", file=source, key=key)
    try:
        return load_profile(candidate if candidate.suffix == ".toml" else name_or_path)
    except ConfigError as exc:
        if exc.file is not None:
            raise
        raise ConfigError(exc.message, file=source, key=key) from None


def run_scan(
    config: Config,
    *,
    progress: ProgressSink | None = None,
    profile: Profile | None = None,
    providers: Mapping[str, Provider] | None = None,
) -> ScanResult:
    """Load, collect, resolve and evaluate. Raises ConfigError before any cloud call.

    ``providers`` already built (``build_providers``) lets a caller find configuration errors
    before it prepares anything else, such as the output directory.
    """
    profile = profile or resolve_profile(config.profile, config.base_dir, source=config.source)
    built = providers if providers is not None else build_providers(config)
    settings = settings_from_config(config)
    # no name kept for the collected inventory: evaluate_inventory frees it once resolved
    return evaluate_inventory(
        collect(built, max_workers=config.scan.max_workers, progress=progress), profile, settings
    )
