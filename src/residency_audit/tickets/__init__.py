"""Tickets for flagged buckets: one per bucket, never duplicated, kept current, closed when fixed.

``sync_tickets(result, config, store, apply=..., report_url=...)`` is what ``tickets sync`` and
``scan --tickets`` call. See docs/tickets.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .http import RetryPolicy, TicketError
    from .plan import Action, SyncPlan
    from .settings import TicketsSettings
    from .sync import sync_tickets

__all__ = ["Action", "RetryPolicy", "SyncPlan", "TicketError", "TicketsSettings", "sync_tickets"]

# Loaded on first use: the config imports ``tickets.settings`` for every scan, which must not
# bring in httpx (the trackers' client) or SQLAlchemy (the sync's ledger).
_LAZY = {
    "Action": "plan",
    "RetryPolicy": "http",
    "SyncPlan": "plan",
    "TicketError": "http",
    "TicketsSettings": "settings",
    "sync_tickets": "sync",
}
__getattr__ = lazy_attributes(__name__, _LAZY)
