"""Tickets for flagged buckets: one per bucket, never duplicated, kept current, closed when fixed.

``sync_tickets(result, config, store, apply=..., report_url=...)`` is what ``tickets sync`` and
``scan --tickets`` call. See docs/tickets.md.
"""

from __future__ import annotations

from .http import RetryPolicy, TicketError
from .plan import Action, SyncPlan
from .settings import TicketsSettings

__all__ = ["Action", "RetryPolicy", "SyncPlan", "TicketError", "TicketsSettings", "sync_tickets"]


def __getattr__(name: str) -> object:
    # the sync needs SQLAlchemy (the ledger); importing settings for the config must not
    if name == "sync_tickets":
        from .sync import sync_tickets

        return sync_tickets
    raise AttributeError(name)
