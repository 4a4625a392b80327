"""Secrets in text we did not write (SDK and tracker error messages) are masked wherever we keep
or show it: the masking function itself, log lines (text and JSON) and tracker errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from residency_audit.faultproxy import PLANTED_SECRETS, leaked_secrets
from residency_audit.logs import configure_logging
from residency_audit.redact import mask_secrets
from residency_audit.tickets.http import RetryPolicy, TicketError, TrackerClient


@pytest.mark.parametrize("kind", sorted(PLANTED_SECRETS))
def test_every_planted_secret_is_masked(kind: str) -> None:
    planted = PLANTED_SECRETS[kind]
    assert leaked_secrets(planted)  # the corpus entry does carry a secret
    masked = mask_secrets(planted)
    assert leaked_secrets(masked) == []
    assert "***" in masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("X-Amz-Security-Token: abc123def", "X-Amz-Security-Token: ***"),
        ("...&sig=abc%2B&se=2026", "...&sig=***&se=2026"),
        (
            "AccountName=a;AccountKey=xyz==;EndpointSuffix=e",
            "AccountName=a;AccountKey=***;EndpointSuffix=e",
        ),
        ("postgres://audit:hunter2@db:5432/h", "postgres://audit:***@db:5432/h"),
        ('"SessionToken": "IQoJb3Jp"', '"SessionToken": "***"'),
        ("Authorization: Bearer abc.def", "Authorization: ***"),
    ],
)
def test_masking_keeps_the_name_of_what_it_hid(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "s3:GetBucketPolicy failed: ExpiredToken: The provided token has expired.",
        "SignatureDoesNotMatch: The request signature we calculated does not match",
        "GetBucketEncryption failed: AccessDenied (Access Denied)",
        "key arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "https://storage.googleapis.com/storage/v1/b/jp-archive?projection=full",
    ],
)
def test_error_codes_arns_and_plain_urls_stay_readable(text: str) -> None:
    assert mask_secrets(text) == text


class Stderr:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def getvalue(self) -> str:
        return self._capsys.readouterr().err


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[Stderr]:
    """What the CLI's log handler writes; the root logger is restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield Stderr(capsys)
    root.handlers[:], level = saved
    root.setLevel(level)


def _log_corpus_and_a_traceback() -> None:
    log = logging.getLogger("residency_audit.test")
    for kind, text in PLANTED_SECRETS.items():
        log.warning("read failed (%s): %s", kind, text)
    try:
        raise RuntimeError(PLANTED_SECRETS["sigv4-authorization"])
    except RuntimeError:
        log.exception("scope failed")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_logs_carry_no_secret_even_in_tracebacks(fmt: str, stderr: Stderr) -> None:
    configure_logging(fmt, 0)
    _log_corpus_and_a_traceback()
    output = stderr.getvalue()
    assert output.count("\n") == len(PLANTED_SECRETS) + 1  # one line a record
    assert leaked_secrets(output) == []
    if fmt == "json":
        assert all(json.loads(line)["message"] for line in output.splitlines())


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_cloud_text_cannot_forge_a_log_line_or_drive_the_terminal(fmt: str, stderr: Stderr) -> None:
    configure_logging(fmt, 0)
    hostile = "bkt\nERROR residency_audit: all buckets safe\x1b[2J\x1b]0;title\x07\r\x9b31m\u202e"
    logging.getLogger("residency_audit.test").warning("bucket %s unreadable", hostile)
    output = stderr.getvalue()
    assert output.count("\n") == 1 and output.endswith("\n")
    line = output[:-1]
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in line)
    if fmt == "text":
        assert "bkt\\nERROR residency_audit: all buckets safe\\x1b[2J" in line
    else:
        assert json.loads(line)["message"].startswith("bucket bkt\nERROR")


def test_tracker_errors_quote_no_secret() -> None:
    planted = " | ".join(PLANTED_SECRETS.values())

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, json={"errorMessages": [planted[i : i + 400] for i in range(0, len(planted), 400)]}
        )

    client = TrackerClient(
        "Jira",
        httpx.Client(transport=httpx.MockTransport(answer)),
        RetryPolicy(attempts=1, sleep=lambda _: None),
    )
    with pytest.raises(TicketError) as caught:
        client.request("POST", "https://jira.example/rest/api/2/issue", json={})
    assert "answered 400" in str(caught.value)
    assert leaked_secrets(str(caught.value)) == []


@pytest.mark.parametrize("as_json", [False, True])
def test_a_tracker_echoing_our_token_near_the_cut_leaks_no_part_of_it(as_json: bool) -> None:
    token = "TrackerApiToken0123456789abcdef"  # ours: scrubbed by value, not by pattern
    text = "x " * (245 if as_json else 145) + token + " was refused"

    def answer(request: httpx.Request) -> httpx.Response:
        if as_json:
            return httpx.Response(401, json={"message": text})
        return httpx.Response(401, text=text)

    client = TrackerClient(
        "Jira",
        httpx.Client(transport=httpx.MockTransport(answer)),
        RetryPolicy(attempts=1, sleep=lambda _: None),
        secrets=(token,),
    )
    with pytest.raises(TicketError) as caught:
        client.request("GET", "https://jira.example/rest/api/2/myself")
    assert "answered 401" in str(caught.value)
    assert token[:8] not in str(caught.value)
