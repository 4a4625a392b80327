"""residency-audit provider for Azure Blob Storage (entry point ``azure``)."""

from __future__ import annotations

from .provider import AzureProvider

__all__ = ["AzureProvider"]
