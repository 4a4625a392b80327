"""What every tracker sink offers the sync, and the ticket as the sync sees it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ...model import Severity
from ..content import Doc

__all__ = ["NewTicket", "Sink", "Ticket", "TicketStatus", "by_key"]


class TicketStatus(StrEnum):
    OPEN = "open"
    DONE = "done"  # closed as fixed (by us or by a person)
    WONTFIX = "wontfix"  # a person closed it as "won't fix"


@dataclass(frozen=True)
class Ticket:
    id: str  # what the tracker's API takes (Jira key, issue number, sys_id, ...)
    ref: str  # what people see (RA-12, #5, INC0010001, issue7)
    url: str | None
    status: TicketStatus
    key: str | None = None  # the bucket key found on the ticket
    resolution: str | None = None  # the tracker's word for how it was closed


def by_key(tickets: Iterable[Ticket]) -> dict[str, list[Ticket]]:
    """What :meth:`Sink.search` returns: the tickets that carry a bucket key, by key, in the
    order given (newest first)."""
    out: dict[str, list[Ticket]] = {}
    for t in tickets:
        if t.key:
            out.setdefault(t.key, []).append(t)
    return out


@dataclass(frozen=True)
class NewTicket:
    key: str
    title: str
    body: Doc
    severity: Severity


class Sink(Protocol):
    name: str  # the ledger's name for this tracker: "jira", "github", ...
    can_reopen: bool  # False: a returning finding gets a new ticket citing the old one
    stateless: bool  # True: the tracker cannot be asked (webhook); the ledger is the truth

    def search(self) -> dict[str, list[Ticket]]:
        """Every ticket this tool filed (by scope label), by bucket key, newest first."""
        ...

    def find(self, key: str) -> Ticket | None:
        """The newest ticket carrying ``key`` (a targeted search)."""
        ...

    def get(self, ticket_id: str) -> Ticket | None:
        """The ticket as the tracker has it now; None if it no longer exists."""
        ...

    def create(self, new: NewTicket) -> Ticket: ...

    def comment(self, ticket: Ticket, doc: Doc) -> None: ...

    def has_comment(self, ticket: Ticket, marker: str) -> bool:
        """True when a comment containing ``marker`` is already on the ticket."""
        ...

    def close(self, ticket: Ticket, doc: Doc) -> None:
        """Comment and move to the tracker's done state."""
        ...

    def reopen(self, ticket: Ticket, doc: Doc) -> bool:
        """Comment and move back to an open state; False when the tracker does not allow it."""
        ...
