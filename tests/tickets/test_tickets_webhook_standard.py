"""``signature = "standard"``: every delivery verifies with the Standard Webhooks reference
library (``standardwebhooks``, the specification's own Python package), a re-sent event keeps its
``webhook-id``, and a secret the specification would not accept stops the sync before anything
is sent, without being quoted."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from residency_audit.tickets import TicketError
from residency_audit.tickets.sinks.webhook import sign_standard, standard_key

from .conftest import ENV, FakeReceiver, config, finding, scan

KEY = os.urandom(32)
WHSEC = "whsec_" + base64.b64encode(KEY).decode()
STANDARD = {
    "url": "https://hooks.example.com/residency",
    "secret_env": "HOOK_SECRET",
    "signature": "standard",
}


def _headers(request: Any) -> dict[str, str]:
    return dict(request.headers.items())


def test_every_delivery_verifies_with_the_reference_library(sync: Any) -> None:
    fake = FakeReceiver()
    env = {**ENV, "HOOK_SECRET": WHSEC}
    a1 = finding("alpha")
    for i, found in enumerate([[a1], [], [a1]]):
        sync(scan(f"s{i}", found), config(webhook=STANDARD, lang="en"), fake, env=env)
    receiver = Webhook(WHSEC)
    events = [receiver.verify(r.content, _headers(r))["event"] for r, _ in fake.exchanges]
    assert events == ["opened", "resolved", "reopened"]
    first = fake.exchanges[0][0]
    assert first.headers["webhook-id"] == json.loads(first.content)["delivery"]
    assert "X-Residency-Audit-Signature" not in first.headers  # one scheme at a time
    assert WHSEC not in first.content.decode()


def test_a_changed_body_or_another_secret_does_not_verify(sync: Any) -> None:
    fake = FakeReceiver()
    env = {**ENV, "HOOK_SECRET": WHSEC}
    sync(scan("s1", [finding("alpha")]), config(webhook=STANDARD), fake, env=env)
    request = fake.exchanges[0][0]
    with pytest.raises(WebhookVerificationError):
        Webhook(WHSEC).verify(request.content.replace(b"alpha", b"alphb"), _headers(request))
    with pytest.raises(WebhookVerificationError):
        Webhook(base64.b64encode(os.urandom(32)).decode()).verify(
            request.content, _headers(request)
        )


def test_the_default_stays_the_legacy_signature(sync: Any) -> None:
    fake = FakeReceiver()
    legacy = {k: v for k, v in STANDARD.items() if k != "signature"}
    sync(scan("s1", [finding("alpha")]), config(webhook=legacy), fake)
    request = fake.exchanges[0][0]
    assert request.headers["X-Residency-Audit-Signature"].startswith("sha256=")
    assert "webhook-signature" not in request.headers


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (base64.b64encode(KEY).decode(), "starts with whsec_"),
        ("whsec_not*base64!", "is base64 after whsec_"),
        ("whsec_" + base64.b64encode(b"short").decode(), "24 to 64 bytes, not 5"),
    ],
    ids=["no-prefix", "not-base64", "too-short"],  # the same on every xdist worker
)
def test_a_secret_the_specification_would_not_accept_stops_the_sync(
    sync: Any, secret: str, reason: str
) -> None:
    fake = FakeReceiver()
    env = {**ENV, "HOOK_SECRET": secret}
    with pytest.raises(TicketError, match=f"HOOK_SECRET does not hold .*{reason}") as err:
        sync(scan("s1", [finding("alpha")]), config(webhook=STANDARD), fake, env=env)
    assert secret not in str(err.value) and fake.exchanges == []


def test_signing_matches_the_library_for_an_unpadded_secret() -> None:
    key = os.urandom(25)  # 25 bytes: base64 with padding, which a secret may leave out
    secret = "whsec_" + base64.b64encode(key).decode().rstrip("=")
    assert standard_key(secret) == key
    body = '{"a":"é"}'.encode()
    headers = {
        "webhook-id": "0123abcd",
        "webhook-timestamp": str(int(time.time())),
    }
    headers["webhook-signature"] = sign_standard(
        key, headers["webhook-id"], headers["webhook-timestamp"], body
    )
    assert Webhook(secret).verify(body, headers) == {"a": "é"}
