"""The one HTTP client and retry policy every tracker sink uses.

429 and 503 are retried: after ``Retry-After`` when the tracker sends it (seconds or an HTTP
date), else after an exponential backoff with full jitter, capped. Only GETs are retried after a
network error: a POST that may have reached the tracker is left to the ledger and the next run.
Error texts are masked: the credentials we sent never appear in a message.

The retry loop is tenacity's; this module only says when to retry and how long to wait.
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
import tenacity

from ..errors import ResidencyAuditError
from ..redact import mask_secrets

__all__ = ["RetryPolicy", "TicketError", "TrackerClient"]

RETRY_STATUS = frozenset({429, 503})
IDEMPOTENT = frozenset({"GET"})  # retried after a network error; the ledger guards the rest


class TicketError(ResidencyAuditError):
    """A tracker refused or failed a call; the message is safe to show."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    base: float = 1.0  # seconds before the first retry without Retry-After
    cap: float = 60.0  # longest backoff we choose ourselves
    max_retry_after: float = 300.0  # a longer Retry-After fails the call instead of hanging
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random  # a factor in [0, 1): full jitter

    def retrying(self, method: str, allowed: Iterable[int] = ()) -> tenacity.Retrying:
        """tenacity's loop for one tracker call: a 429 or 503 answer is retried (unless the call
        accepts it), a network error only for an idempotent method. When the tries run out the
        last answer is returned, or the last error raised, as it came."""
        accepted = frozenset(allowed)
        retry: tenacity.retry_base = tenacity.retry_if_result(
            lambda r: (
                isinstance(r, httpx.Response)
                and r.status_code in RETRY_STATUS
                and r.status_code not in accepted
            )
        )
        if method.upper() in IDEMPOTENT:
            retry = retry | tenacity.retry_if_exception_type(httpx.TransportError)
        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            retry=retry,
            wait=self.wait,
            sleep=self.sleep,
            retry_error_callback=_last_outcome,
        )

    def until_found(self, tries: int) -> tenacity.Retrying:
        """tenacity's loop for a search that may lag a write (Jira's is eventually consistent):
        asked again while it finds nothing, ``base * 2**(n-1)`` seconds apart, capped; None
        when the tries run out."""
        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(tries),
            retry=tenacity.retry_if_result(lambda found: found is None),
            wait=tenacity.wait_exponential(multiplier=self.base, max=self.cap),
            sleep=self.sleep,
            retry_error_callback=lambda state: None,
        )

    def wait(self, state: tenacity.RetryCallState) -> float:
        """What the tracker's ``Retry-After`` says, else ``base * 2**(n-1)`` seconds capped at
        ``cap`` (tenacity's exponential wait) times the jitter, before try ``n + 1``."""
        outcome = state.outcome
        answer = outcome.result() if outcome is not None and not outcome.failed else None
        told = _retry_after(answer) if isinstance(answer, httpx.Response) else None
        if told is None:
            backoff = tenacity.wait_exponential(multiplier=self.base, max=self.cap)
            return float(backoff(state)) * self.jitter()
        if told > self.max_retry_after:
            raise TicketError(
                f"tracker asks to wait {told:.0f}s (Retry-After), longer than "
                f"{self.max_retry_after:.0f}s; run the sync again later"
            )
        return told


def _last_outcome(state: tenacity.RetryCallState) -> Any:
    """The last try's answer, or its error raised again (tenacity would wrap both)."""
    if state.outcome is None:  # tenacity calls this only after a try
        raise RuntimeError("retry gave up before any try")
    return state.outcome.result()


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
        allowed = frozenset(ok)
        try:
            response: httpx.Response = self.retry.retrying(method, allowed)(
                self.client.request, method, url, **kwargs
            )
        except httpx.TransportError as exc:
            raise TicketError(self.scrub(f"{self.name}: {method} {url} failed: {exc!s}")) from None
        if response.status_code in allowed:
            return response
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
