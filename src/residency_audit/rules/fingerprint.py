"""Stable finding identity, used to diff scans and to keep tickets idempotent."""

from __future__ import annotations

import hashlib
import json

__all__ = ["fingerprint"]

_VERSION = "residency-audit/fingerprint/v1"


def fingerprint(
    rule_id: str,
    provider: str,
    scope: str,
    uid: str,
    role: str | None = None,
    region: str | None = None,
    *,
    subject: str | None = None,
) -> str:
    """SHA-256 hex of what the finding is about -- never time, severity or message text.

    ``role``/``region`` identify a location finding; ``subject`` separates findings that share a
    rule and resource but are about different things (the unreadable setting of a gap finding, the
    guideline item of an attestation finding). The parts are JSON-encoded as a list so no choice of
    separator can make two different inputs collide.
    """
    parts = [_VERSION, rule_id, provider, scope, uid, role, region, subject]
    canonical = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
