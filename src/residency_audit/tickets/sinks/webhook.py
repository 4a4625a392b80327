"""A generic webhook: one signed JSON POST per ticket event (opened, updated, resolved, reopened).

Signature: ``X-Residency-Audit-Signature: sha256=<hex>``, the HMAC-SHA256 with the shared secret
over ``<timestamp>.<body>`` where ``<timestamp>`` is the ``X-Residency-Audit-Timestamp`` header
(Unix seconds) and ``<body>`` the exact request bytes. ``X-Residency-Audit-Delivery`` is the same
for a re-sent event (a sync re-run after being killed), so receivers can drop duplicates.
docs/tickets.md shows a receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ..content import Doc
from ..render import to_text
from .base import NewTicket, Ticket, TicketStatus

__all__ = ["SCHEMA", "WebhookSink", "sign"]

SCHEMA = "residency-audit/ticket-event/v1"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, "sha256")
    return "sha256=" + mac.hexdigest()


class WebhookSink:
    can_reopen = True
    stateless = True  # a webhook cannot be asked what it has: the ledger is the truth

    def __init__(
        self, url: str, secret: str, http: Any, *, now: Callable[[], float] = time.time
    ) -> None:
        self.name = "webhook"
        self.url = url
        self._secret = secret
        self.http = http
        self.now = now

    def _send(self, event: str, key: str, doc: Doc, extra: dict[str, Any]) -> None:
        text = to_text(doc)
        delivery = hashlib.sha256(f"{event}\x00{key}\x00{text}".encode()).hexdigest()[:32]
        payload = {
            "schema": SCHEMA,
            "event": event,
            "delivery": delivery,
            "bucket_key": key,
            **extra,
            "text": text,
            "document": [asdict(b) for b in doc.blocks],
        }
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        timestamp = str(int(self.now()))
        self.http.request(
            "POST",
            self.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Residency-Audit-Event": event,
                "X-Residency-Audit-Delivery": delivery,
                "X-Residency-Audit-Timestamp": timestamp,
                "X-Residency-Audit-Signature": sign(self._secret, timestamp, body),
            },
            ok=(200, 201, 202, 204),
        )

    def search(self) -> dict[str, list[Ticket]]:
        return {}

    def find(self, key: str) -> Ticket | None:
        return None

    def get(self, ticket_id: str) -> Ticket | None:
        return None

    def create(self, new: NewTicket) -> Ticket:
        extra = {"title": new.title, "severity": new.severity.value}
        self._send("opened", new.key, new.body, extra)
        return Ticket(id=new.key, ref=f"ra-{new.key[:12]}", url=None, status=TicketStatus.OPEN)

    def comment(self, ticket: Ticket, doc: Doc) -> None:
        self._send("updated", ticket.id, doc, {})

    def has_comment(self, ticket: Ticket, marker: str) -> bool:
        return False  # a re-sent event keeps its delivery id: receivers de-duplicate

    def close(self, ticket: Ticket, doc: Doc) -> None:
        self._send("resolved", ticket.id, doc, {})

    def reopen(self, ticket: Ticket, doc: Doc) -> bool:
        self._send("reopened", ticket.id, doc, {})
        return True
