"""evaluate(): pure rules over a resolved inventory and a profile, graded and sorted.

Grading order, each step recorded in the finding's ``adjustments``:
base severity -> classification shift (sensitive +1, public -1, clamped to info..critical) ->
customer-managed-key mitigation (-1, (1)-3 findings only; never (2)-x, never removes a finding).
A bucket whose tags could not be read is graded as if sensitive, and each of its findings is marked
unverified, since its severity rests on what could not be read.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..memo import Shared
from ..model import (
    Bucket,
    Classification,
    Finding,
    Inventory,
    ResourceRef,
    ScopeResult,
    Severity,
    Text,
)
from ..profiles.model import Profile
from ._draft import Draft
from ._text import countries, value_term
from .attestations import attestation_drafts
from .classify import classify
from .encryption import KeyStatus, customer_key_status, encryption_drafts
from .exposure import external_principal_drafts, public_access_drafts
from .fingerprint import fingerprint
from .gaps import external_access_gap_drafts, location_gap_drafts, scope_drafts
from .locations import location_drafts
from .settings import EvaluationSettings
from .specs import rule_spec

__all__ = ["Evaluator", "evaluate", "sort_key"]

_SHIFT = {Classification.SENSITIVE: 1, Classification.UNKNOWN: 1, Classification.PUBLIC: -1}


def _require_resolved(bucket: Bucket) -> None:
    for loc in bucket.locations:
        if loc.resolution is None:
            raise ValueError(
                f"location {loc.role}/{loc.region} of bucket {bucket.uid} has no resolution; "
                "resolve the inventory against the catalog before evaluating"
            )


def _moved(before: Severity, after: Severity) -> Text:
    was, now = value_term("severity", before.value), value_term("severity", after.value)
    if before is after:
        return Text(
            ja=f"（すでに{was.ja}で上限・下限のため変わりません）",
            en=f" ({was.en} unchanged: already at the limit)",
        )
    return Text(ja=f"（{was.ja} → {now.ja}）", en=f" ({was.en} -> {now.en})")


def _grade(
    draft: Draft, cls: Classification | None, key: KeyStatus | None, shared: Shared
) -> Finding:
    """The finding, graded. ``shared`` keeps one instance of each equal part (a rule's
    remediation, a location, an adjustment, a bucket's reference): the parts repeat across
    thousands of findings, and all are frozen."""
    spec = rule_spec(draft.rule_id)
    if not set(draft.items) <= set(spec.items):  # pragma: no cover - a programming error
        raise AssertionError(f"{draft.rule_id} emitted items {draft.items}")
    severity = draft.base_severity
    adjustments: list[Text] = []
    if cls is not None and cls in _SHIFT:
        after = severity.shifted(_SHIFT[cls])
        moved = _moved(severity, after)
        if cls is Classification.UNKNOWN:
            adjustments.append(
                Text(
                    ja="バケットのタグを読み取れず機微度を確認できないため、機微度が高い情報として"
                    f"重大度を一段階上げます{moved.ja}（未確認）。",
                    en="Raised one step because the bucket's tags could not be read, so it is "
                    f"graded as if its data were sensitive{moved.en} (unverified).",
                )
            )
        elif cls is Classification.SENSITIVE:
            adjustments.append(
                Text(
                    ja=f"バケットの分類が「{value_term('classification', cls.value).ja}」のため、"
                    f"重大度を一段階上げます{moved.ja}。",
                    en="Raised one step because the bucket is classified as "
                    f"{value_term('classification', cls.value).en}{moved.en}.",
                )
            )
        else:
            adjustments.append(
                Text(
                    ja=f"バケットの分類が「{value_term('classification', cls.value).ja}」のため、"
                    f"重大度を一段階下げます{moved.ja}。",
                    en="Lowered one step because the bucket is classified as "
                    f"{value_term('classification', cls.value).en}{moved.en}.",
                )
            )
        severity = after
    if draft.cmk_mitigable and key is not None and key.mitigates:
        after = severity.shifted(-1)
        moved = _moved(severity, after)
        adjustments.append(
            Text(
                ja=f"懸念国・地域の外（{countries(key.key_countries).ja}）に保管された顧客管理鍵で"
                f"暗号化されているため、重大度を一段階下げます{moved.ja}。指摘そのものは残ります。",
                en="Lowered one step because the bucket is encrypted with a customer-managed key "
                f"held outside countries of concern ({countries(key.key_countries).en})"
                f"{moved.en}. "
                "The finding stays.",
            )
        )
        severity = after
    bucket = draft.bucket
    loc = draft.location
    return Finding(
        fingerprint=fingerprint(
            draft.rule_id,
            draft.provider,
            draft.scope,
            bucket.uid if bucket else "",
            loc.role.value if loc else None,
            loc.region if loc else None,
            subject=draft.subject,
        ),
        rule_id=draft.rule_id,
        guideline_items=draft.items,
        severity=severity,
        base_severity=draft.base_severity,
        provider=draft.provider,
        scope=draft.scope,
        resource=shared(ResourceRef(name=bucket.name, uid=bucket.uid)) if bucket else None,
        location=shared(loc) if loc else None,
        message=draft.message,
        remediation=shared(draft.remediation),
        unverified=draft.unverified or cls is Classification.UNKNOWN,
        adjustments=shared(tuple(shared(a) for a in adjustments)),
        classification=cls,
    )


def sort_key(f: Finding) -> tuple[int, str, str, str, str, str, str, str]:
    """Worst first, then by provider, scope, resource, rule and location -- fully deterministic."""
    return (
        -f.severity.rank,
        f.provider,
        f.scope,
        f.resource.uid if f.resource else "",
        f.rule_id,
        f.location.role.value if f.location else "",
        (f.location.region or "") if f.location else "",
        f.fingerprint,
    )


class Evaluator:
    """The rules under one profile and settings, a bucket at a time (a scan evaluates each
    bucket as it goes and keeps none), then the scope-level findings.

    ``shared`` makes equal parts of findings one instance across buckets, for a caller that
    holds them all; without it parts are shared within a bucket only, and nothing grows with
    the estate. Only the rules ``settings.rules`` selects make findings."""

    def __init__(
        self, profile: Profile, settings: EvaluationSettings, *, shared: Shared | None = None
    ) -> None:
        self._profile = profile
        self._settings = settings
        self._shared = shared
        # None: every rule runs (the usual case, with nothing to filter)
        self._runs = None if settings.rules.everything else settings.rules.selected

    def _selected(self, drafts: list[Draft]) -> list[Draft]:
        """The drafts of the rules that run: an unselected rule makes no finding, and the
        selected ones are drafted exactly as they would be with every rule on."""
        runs = self._runs
        return drafts if runs is None else [d for d in drafts if d.rule_id in runs]

    def _parts(self) -> Shared:
        return self._shared if self._shared is not None else Shared()

    def bucket(self, bucket: Bucket) -> list[Finding]:
        """The bucket's findings (unsorted). ValueError if a location has no resolution."""
        _require_resolved(bucket)
        profile = self._profile
        cls = classify(bucket, self._settings.classification)
        key = customer_key_status(bucket, profile)
        drafts = self._selected(
            [
                *location_drafts(bucket, profile),
                *location_gap_drafts(bucket),
                *public_access_drafts(bucket),
                *external_principal_drafts(bucket),
                *external_access_gap_drafts(bucket),
                *encryption_drafts(bucket, profile, key),
            ]
        )
        parts = self._parts()
        return [_grade(d, cls, key, parts) for d in drafts]

    def scopes(
        self, scopes: Iterable[ScopeResult], bucket_scopes: Iterable[tuple[str, str]]
    ) -> list[Finding]:
        """Findings about whole scopes: unlisted ones, and the attestations each scope needs
        (``bucket_scopes``: the (provider, scope) of every bucket, which may name a scope the
        scope list does not)."""
        scopes = tuple(scopes)
        drafts = self._selected(
            [*scope_drafts(scopes), *attestation_drafts(scopes, bucket_scopes, self._settings)]
        )
        parts = self._parts()
        return [_grade(d, None, None, parts) for d in drafts]


def evaluate(inventory: Inventory, profile: Profile, settings: EvaluationSettings) -> list[Finding]:
    """Every finding for the inventory under the profile, sorted worst first.

    The inventory must be resolved (every location has a ``resolution``); ValueError otherwise.
    """
    rules = Evaluator(profile, settings, shared=Shared())
    findings = [f for bucket in inventory.buckets for f in rules.bucket(bucket)]
    findings += rules.scopes(inventory.scopes, ((b.provider, b.scope) for b in inventory.buckets))
    findings.sort(key=sort_key)
    return findings
