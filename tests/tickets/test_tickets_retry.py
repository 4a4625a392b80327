"""The tracker client's retries (tenacity underneath): what the tracker asks for is honoured,
the backoff grows and is capped, and a create that may have reached the tracker is never sent
twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from residency_audit.tickets import RetryPolicy, TicketError
from residency_audit.tickets.http import TrackerClient

URL = "https://tracker.example/rest/api/2/issue"


def _client(
    answers: list[httpx.Response | Exception], sleeps: list[float], **policy: float
) -> tuple[TrackerClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    retry = RetryPolicy(sleep=sleeps.append, jitter=lambda: 0.5, **policy)  # type: ignore[arg-type]
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return TrackerClient("Jira", client, retry=retry), seen


def _busy(status: int = 429, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"errorMessages": ["slow down"]}, headers=headers)


def test_backoff_doubles_from_base_with_jitter_and_stops_at_the_cap() -> None:
    sleeps: list[float] = []
    tracker, seen = _client([*[_busy()] * 4, httpx.Response(200, json={})], sleeps, cap=4.0)
    assert tracker.request("GET", URL).status_code == 200
    assert len(seen) == 5
    assert sleeps == [0.5, 1.0, 2.0, 2.0]  # 1, 2, 4, 8 -> capped at 4; times the 0.5 jitter


def test_retry_after_as_an_http_date_is_waited_for() -> None:
    sleeps: list[float] = []
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    tracker, _ = _client([_busy(503, **{"Retry-After": when}), httpx.Response(200)], sleeps)
    tracker.request("GET", URL)
    assert len(sleeps) == 1 and 27.0 <= sleeps[0] <= 30.0


def test_retry_after_in_seconds_is_taken_as_given_without_jitter() -> None:
    sleeps: list[float] = []
    tracker, _ = _client([_busy(**{"Retry-After": "7"}), httpx.Response(201)], sleeps)
    tracker.request("POST", URL, json={})  # a 429 was refused: the create did not happen
    assert sleeps == [7.0]


def test_a_retry_after_past_the_limit_fails_the_call_at_once() -> None:
    sleeps: list[float] = []
    tracker, seen = _client([_busy(**{"Retry-After": "3600"})], sleeps)
    with pytest.raises(TicketError, match=r"wait 3600s \(Retry-After\), longer than 300s"):
        tracker.request("GET", URL)
    assert sleeps == [] and len(seen) == 1


def test_when_the_tries_run_out_the_trackers_last_answer_is_the_error() -> None:
    sleeps: list[float] = []
    tracker, seen = _client([_busy()] * 5, sleeps)
    with pytest.raises(TicketError, match=r"Jira: GET /rest/api/2/issue answered 429: slow down"):
        tracker.request("GET", URL)
    assert len(seen) == 5 and len(sleeps) == 4


def test_a_create_that_may_have_reached_the_tracker_is_not_sent_again() -> None:
    sleeps: list[float] = []
    lost = httpx.ReadTimeout("timed out")
    tracker, seen = _client([lost, httpx.Response(201)], sleeps)
    with pytest.raises(TicketError, match=r"POST .* failed: timed out"):
        tracker.request("POST", URL, json={"fields": {}})
    assert len(seen) == 1 and sleeps == []


def test_a_read_is_tried_again_after_a_network_error() -> None:
    sleeps: list[float] = []
    tracker, seen = _client([httpx.ConnectError("refused"), httpx.Response(200)], sleeps)
    assert tracker.request("GET", URL).status_code == 200
    assert len(seen) == 2 and sleeps == [0.5]


def test_a_read_that_keeps_failing_raises_a_safe_error_after_every_try() -> None:
    sleeps: list[float] = []
    tracker, seen = _client([httpx.ConnectError("refused")] * 3, sleeps, attempts=3)
    with pytest.raises(TicketError, match=r"GET .* failed: refused"):
        tracker.request("GET", URL)
    assert len(seen) == 3 and sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    ("answers", "found", "waits"),
    [([None, None, "T-1"], "T-1", [1.0, 2.0]), ([None, None, None], None, [1.0, 2.0])],
)
def test_a_lagging_search_is_asked_again_then_given_up(
    answers: list[str | None], found: str | None, waits: list[float]
) -> None:
    sleeps: list[float] = []
    asked: list[str] = []

    def find(key: str) -> str | None:
        asked.append(key)
        return answers.pop(0)

    search: Callable[..., str | None] = RetryPolicy(sleep=sleeps.append).until_found(3)
    assert search(find, "k") == found
    assert asked == ["k"] * 3 and sleeps == waits
