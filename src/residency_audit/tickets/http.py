"""The one HTTP client and retry policy every tracker sink uses.

429 and 503 are retried: after ``Retry-After`` when the tracker sends it (seconds or an HTTP
date), else after an exponential backoff with full jitter, capped. Only GETs are retried after a
network error: a POST that may have reached the tracker is left to the ledger and the next run.
Error texts are masked: the credentials we sent never appear in a message.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..errors import ResidencyAuditError
from ..redact import mask_secrets

__all__ = ["RetryPolicy", "TicketError", "TrackerClient"]

RETRY_STATUS = frozenset({429, 503})


class TicketError(ResidencyAuditError):
    """A tracker refused or failed a call; the message is safe to show."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    base: float = 1.0  # seconds before the first retry without Retry-After
    cap: float = 60.0  # longest backoff we choose ourselves
    max_retry_after: float = 300.0  # a longer Retry-After fails the call instead of hanging
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random

    def delay(self, attempt: int, response: httpx.Response | None) -> float:
        """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 1)."""
        told = _retry_after(response) if response is not None else None
        if told is not None:
            if told > self.max_retry_after:
                raise TicketError(
                    f"tracker asks to wait {told:.0f}s (Retry-After), longer than "
                    f"{self.max_retry_after:.0f}s; run the sync again later"
                )
            return told
        backoff: float = min(self.cap, self.base * 2.0 ** (attempt - 1))
        return backoff * self.jitter()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class TrackerClient:
    """httpx with the shared retry policy and secret-free errors."""

    name: str  # e.g. "Jira", for messages
    client: httpx.Client
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    secrets: tuple[str, ...] = ()  # values to scrub from any message we build

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return mask_secrets(text)

    def request(
        self, method: str, url: str, *, ok: Iterable[int] = (200, 201, 204), **kwargs: Any
    ) -> httpx.Response:
        allowed = set(ok)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if method != "GET" or attempt >= self.retry.attempts:
                    raise TicketError(
                        self.scrub(f"{self.name}: {method} {url} failed: {exc!s}")
                    ) from None
                self.retry.sleep(self.retry.delay(attempt, None))
                continue
            if response.status_code in allowed:
                return response
            if response.status_code in RETRY_STATUS and attempt < self.retry.attempts:
                self.retry.sleep(self.retry.delay(attempt, response))
                continue
            raise TicketError(self.scrub(self.describe(method, url, response)))

    def describe(self, method: str, url: str, response: httpx.Response) -> str:
        """What the tracker answered, scrubbed before it is cut to length: a secret the tracker
        echoes must not survive even in part."""
        detail = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            detail = self.scrub(_json_detail(body))[:500]
        elif response.text:
            detail = self.scrub(" ".join(response.text.split()))[:300]
        where = f"{method} {httpx.URL(url).path or url}"
        return f"{self.name}: {where} answered {response.status_code}" + (
            f": {detail}" if detail else ""
        )


def _json_detail(body: dict[str, Any]) -> str:
    parts: list[str] = []
    messages = body.get("errorMessages")
    if isinstance(messages, list):
        parts += [str(m) for m in messages]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"field {k}: {v}" for k, v in errors.items()]
    for key in ("message", "error"):
        value = body.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):  # ServiceNow: {"error": {"message", "detail"}}
            parts += [str(v) for v in value.values() if v]
    return "; ".join(" ".join(p.split()) for p in parts)
