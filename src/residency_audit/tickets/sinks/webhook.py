"""A generic webhook: one signed JSON POST per ticket event (opened, updated, resolved, reopened).

Two signatures, chosen by ``[tickets.webhook] signature``:

- ``legacy`` (the default): ``X-Residency-Audit-Signature: sha256=<hex>``, the HMAC-SHA256 with
  the shared secret's UTF-8 bytes over ``<timestamp>.<body>``, where ``<timestamp>`` is the
  ``X-Residency-Audit-Timestamp`` header (Unix seconds) and ``<body>`` the exact request bytes.
- ``standard``: the Standard Webhooks specification (v1, symmetric): ``webhook-id``,
  ``webhook-timestamp`` and ``webhook-signature: v1,<base64>``, the HMAC-SHA256 over
  ``<id>.<timestamp>.<body>`` keyed with the bytes of a ``whsec_<base64>`` secret, so receivers
  can verify with any of the specification's libraries.

The delivery id (``X-Residency-Audit-Delivery``, or ``webhook-id``) is the same for a re-sent
event (a sync re-run after being killed), so receivers can drop duplicates. docs/tickets.md shows
a receiver for each.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Literal

from ..content import Doc
from ..render import to_text
from .base import NewTicket, Ticket, TicketStatus

__all__ = ["SCHEMA", "Signature", "WebhookSink", "sign", "sign_standard", "standard_key"]

SCHEMA = "residency-audit/ticket-event/v1"


Signature = Literal["legacy", "standard"]
_SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The legacy ``X-Residency-Audit-Signature``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, "sha256")
    return "sha256=" + mac.hexdigest()


def standard_key(secret: str) -> bytes:
    """The key of a Standard Webhooks secret: the bytes base64-encoded after ``whsec_``. The
    specification asks for 24 to 64 random bytes; a secret without the prefix is refused rather
    than guessed at (a receiver's library would read it differently). Messages never quote it."""
    if not secret.startswith(_SECRET_PREFIX):
        raise ValueError("a Standard Webhooks secret starts with whsec_")
    encoded = secret[len(_SECRET_PREFIX) :]
    try:  # the libraries accept it unpadded too
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError("a Standard Webhooks secret is base64 after whsec_") from None
    if not 24 <= len(key) <= 64:
        raise ValueError(f"a Standard Webhooks secret holds 24 to 64 bytes, not {len(key)}")
    return key


def sign_standard(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    """``webhook-signature``: ``v1,`` + base64 HMAC-SHA256 over ``{id}.{timestamp}.{body}``."""
    signed = f"{msg_id}.{timestamp}.".encode("ascii") + body
    return "v1," + base64.b64encode(hmac.new(key, signed, "sha256").digest()).decode("ascii")


class WebhookSink:
    can_reopen = True
    stateless = True  # a webhook cannot be asked what it has: the ledger is the truth

    def __init__(
        self,
        url: str,
        secret: str,
        http: Any,
        *,
        signature: Signature = "legacy",
        now: Callable[[], float] = time.time,
    ) -> None:
        self.name = "webhook"
        self.url = url
        self._secret = secret
        # checked here, before anything is sent: a bad secret fails the sync at its start
        self._key = standard_key(secret) if signature == "standard" else None
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
        headers = {"Content-Type": "application/json", "X-Residency-Audit-Event": event}
        if self._key is not None:
            headers |= {
                "webhook-id": delivery,  # hex: no "." to blur the signed content's fields
                "webhook-timestamp": timestamp,
                "webhook-signature": sign_standard(self._key, delivery, timestamp, body),
            }
        else:
            headers |= {
                "X-Residency-Audit-Delivery": delivery,
                "X-Residency-Audit-Timestamp": timestamp,
                "X-Residency-Audit-Signature": sign(self._secret, timestamp, body),
            }
        self.http.request("POST", self.url, content=body, headers=headers, ok=(200, 201, 202, 204))

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
