"""Google Cloud Storage provider for residency-audit (entry point ``gcp``)."""

from __future__ import annotations

from .provider import GcpProvider

__all__ = ["GcpProvider"]
