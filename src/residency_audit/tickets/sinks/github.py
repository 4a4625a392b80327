"""GitHub Issues: scope label, hidden fingerprint marker in the body, ``state_reason`` on close.

Listing uses ``/repos/{o}/{r}/issues?labels=...&state=all`` with the ``Link`` header (not the
search API, which is rate-limited harder and lags). Pull requests in that list are dropped.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from ..content import Doc
from ..render import to_markdown
from ..settings import GitHubSettings
from .base import NewTicket, Ticket, TicketStatus, by_key

__all__ = ["GitHubSink", "marker"]

_MARKER = re.compile(r"<!-- residency-audit:fingerprint=([0-9a-f]{16,64}) -->")


def marker(key: str) -> str:
    return f"<!-- residency-audit:fingerprint={key} -->"


class GitHubSink:
    can_reopen = True
    stateless = False

    def __init__(self, settings: GitHubSettings, http: Any) -> None:
        self.name = "github"
        self.settings = settings
        self.http = http
        self.repo = f"/repos/{settings.repo}"

    def _ticket(self, issue: dict[str, Any]) -> Ticket:
        found = _MARKER.search(issue.get("body") or "")
        status = TicketStatus.OPEN
        if issue.get("state") == "closed":
            wontfix = issue.get("state_reason") == "not_planned"
            status = TicketStatus.WONTFIX if wontfix else TicketStatus.DONE
        return Ticket(
            id=str(issue["number"]),
            ref=f"#{issue['number']}",
            url=issue.get("html_url"),
            status=status,
            key=found.group(1) if found else None,
            resolution=issue.get("state_reason"),
        )

    def search(self) -> dict[str, list[Ticket]]:
        found: list[Ticket] = []
        url: str | None = f"{self.repo}/issues"
        params: dict[str, Any] | None = {
            "labels": self.settings.label,
            "state": "all",
            "per_page": 100,
            "sort": "created",
            "direction": "desc",
        }
        while url:
            response = self.http.request("GET", url, params=params)
            found += [self._ticket(i) for i in response.json() if "pull_request" not in i]
            url = _next_link(response)
            params = None  # the next link carries them
        return by_key(found)

    def find(self, key: str) -> Ticket | None:
        found = self.search().get(key)
        return found[0] if found else None

    def get(self, ticket_id: str) -> Ticket | None:
        response = self.http.request("GET", f"{self.repo}/issues/{ticket_id}", ok=(200, 404, 410))
        return self._ticket(response.json()) if response.status_code == 200 else None

    def create(self, new: NewTicket) -> Ticket:
        body = to_markdown(new.body, hidden=marker(new.key))
        issue = self.http.request(
            "POST",
            f"{self.repo}/issues",
            json={"title": new.title, "body": body, "labels": [self.settings.label]},
            ok=(201,),
        ).json()
        return self._ticket(issue)

    def comment(self, ticket: Ticket, doc: Doc) -> None:
        self.http.request(
            "POST",
            f"{self.repo}/issues/{ticket.id}/comments",
            json={"body": to_markdown(doc)},
            ok=(201,),
        )

    def has_comment(self, ticket: Ticket, marker: str) -> bool:
        url: str | None = f"{self.repo}/issues/{ticket.id}/comments"
        params: dict[str, Any] | None = {"per_page": 100}
        wanted = _unescape(marker)
        while url:
            response = self.http.request("GET", url, params=params)
            if any(wanted in _unescape(c.get("body") or "") for c in response.json()):
                return True
            url, params = _next_link(response), None
        return False

    def close(self, ticket: Ticket, doc: Doc) -> None:
        self.comment(ticket, doc)
        self.http.request(
            "PATCH",
            f"{self.repo}/issues/{ticket.id}",
            json={"state": "closed", "state_reason": "completed"},
        )

    def reopen(self, ticket: Ticket, doc: Doc) -> bool:
        self.http.request("PATCH", f"{self.repo}/issues/{ticket.id}", json={"state": "open"})
        self.comment(ticket, doc)
        return True


def _unescape(text: str) -> str:
    return text.replace("\\", "")


def _next_link(response: httpx.Response) -> str | None:
    link = response.links.get("next")
    return link.get("url") if link else None
