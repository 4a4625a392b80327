"""Jira Cloud (REST v3, ADF, ``/search/jql`` with ``nextPageToken``) and Jira Data Center (REST v2,
wiki markup, ``/search`` with ``startAt``/``total``, bearer PAT).

Tickets carry two labels: the scope label (``data-residency``) and ``ra-<bucket key>``, and the
priority ``[tickets.jira] priority`` maps the worst finding's severity to (set on create only: a
person may change it afterwards). Transitions are chosen by the target's status category, never by
name or id.
"""

from __future__ import annotations

import json
from typing import Any

from ..buckets import KEY_PREFIX
from ..content import Doc
from ..http import TicketError, TrackerClient
from ..render import to_adf, to_wiki
from ..settings import JiraSettings
from .base import NewTicket, Ticket, TicketStatus, by_key

__all__ = ["JiraSink"]

_FIELDS = ["summary", "status", "resolution", "labels"]


class JiraSink:
    can_reopen = True
    stateless = False

    def __init__(self, settings: JiraSettings, http: TrackerClient) -> None:
        self.name = "jira"
        self.settings = settings
        self.http = http
        self.cloud = settings.flavor == "cloud"
        self.api = "/rest/api/3" if self.cloud else "/rest/api/2"
        self.browse = settings.browse_url or settings.url

    # -- reading -------------------------------------------------------------------------------

    def _ticket(self, issue: dict[str, Any]) -> Ticket:
        fields = issue.get("fields") or {}
        category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
        resolution = (fields.get("resolution") or {}).get("name")
        status = TicketStatus.OPEN
        if category == "done":
            wontfix = resolution in self.settings.wontfix_resolutions
            status = TicketStatus.WONTFIX if wontfix else TicketStatus.DONE
        labels = fields.get("labels") or []
        key = next((lb[len(KEY_PREFIX) :] for lb in labels if lb.startswith(KEY_PREFIX)), None)
        return Ticket(
            id=issue["key"],
            ref=issue["key"],
            url=f"{self.browse}/browse/{issue['key']}",
            status=status,
            key=key,
            resolution=resolution,
        )

    def _search(self, jql: str) -> list[Ticket]:
        found: list[dict[str, Any]] = []
        if self.cloud:
            token: str | None = None
            while True:
                body: dict[str, Any] = {"jql": jql, "fields": _FIELDS, "maxResults": 100}
                if token:
                    body["nextPageToken"] = token
                page = self.http.request("POST", f"{self.api}/search/jql", json=body).json()
                found += page.get("issues") or []
                token = page.get("nextPageToken")
                if page.get("isLast", True) or not token:
                    break
        else:
            start = 0
            while True:
                body = {"jql": jql, "fields": _FIELDS, "maxResults": 100, "startAt": start}
                page = self.http.request("POST", f"{self.api}/search", json=body).json()
                issues = page.get("issues") or []
                found += issues
                start += len(issues)
                if not issues or start >= int(page.get("total", 0)):
                    break
        return [self._ticket(i) for i in found]

    def _jql(self, label: str) -> str:
        return f'project = "{self.settings.project}" AND labels = "{label}" ORDER BY created DESC'

    def search(self) -> dict[str, list[Ticket]]:
        return by_key(self._search(self._jql(self.settings.label)))

    def find(self, key: str) -> Ticket | None:
        found = self._search(self._jql(KEY_PREFIX + key))
        return found[0] if found else None

    def get(self, ticket_id: str) -> Ticket | None:
        response = self.http.request(
            "GET",
            f"{self.api}/issue/{ticket_id}",
            params={"fields": ",".join(_FIELDS)},
            ok=(200, 404),
        )
        return None if response.status_code == 404 else self._ticket(response.json())

    # -- writing -------------------------------------------------------------------------------

    def _body(self, doc: Doc) -> Any:
        return to_adf(doc) if self.cloud else to_wiki(doc)

    def create(self, new: NewTicket) -> Ticket:
        fields: dict[str, Any] = {
            **self.settings.fields,
            "project": {"key": self.settings.project},
            "issuetype": {"name": self.settings.issue_type},
            "summary": new.title,
            "description": self._body(new.body),
            "labels": [self.settings.label, KEY_PREFIX + new.key],
        }
        # a priority given under [tickets.jira.fields] is the user's explicit choice: it wins
        priority = None if "priority" in fields else self.settings.priority.get(new.severity)
        if priority is not None:
            fields["priority"] = {"name": priority}
        try:
            created = self.http.request(
                "POST", f"{self.api}/issue", json={"fields": fields}, ok=(201,)
            ).json()
        except TicketError as exc:
            if "answered 400" in str(exc):
                hint = (
                    f"if a field is required there, give it a value under [tickets.jira.fields]; "
                    f"if it refuses the priority {priority!r}, map severities to priorities the "
                    "project has under [tickets.jira.priority] (or set priority = {} to send none)"
                    if priority is not None
                    else "if a field is required there, give it a value under "
                    "[tickets.jira.fields] in the config"
                )
                raise TicketError(
                    f"{exc}. Jira refused to create the issue in project "
                    f"{self.settings.project}: {hint}"
                ) from None
            raise
        key = created["key"]
        return Ticket(
            id=key,
            ref=key,
            url=f"{self.browse}/browse/{key}",
            status=TicketStatus.OPEN,
            key=new.key,
        )

    def comment(self, ticket: Ticket, doc: Doc) -> None:
        self.http.request(
            "POST", f"{self.api}/issue/{ticket.id}/comment", json={"body": self._body(doc)}
        )

    def has_comment(self, ticket: Ticket, marker: str) -> bool:
        start = 0
        while True:
            page = self.http.request(
                "GET",
                f"{self.api}/issue/{ticket.id}/comment",
                params={"startAt": start, "maxResults": 100},
            ).json()
            comments = page.get("comments") or []
            if any(marker in json.dumps(c.get("body"), ensure_ascii=False) for c in comments):
                return True
            start += len(comments)
            if not comments or start >= int(page.get("total", 0)):
                return False

    def _transition(self, ticket: Ticket, categories: tuple[str, ...]) -> bool:
        url = f"{self.api}/issue/{ticket.id}/transitions"
        options = self.http.request("GET", url).json().get("transitions") or []
        for category in categories:
            for t in options:
                if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == category:
                    self.http.request("POST", url, json={"transition": {"id": t["id"]}})
                    return True
        return False

    def close(self, ticket: Ticket, doc: Doc) -> None:
        self.comment(ticket, doc)
        if not self._transition(ticket, ("done",)):
            raise TicketError(
                f"Jira: {ticket.ref} has no transition to a 'done' status from where it is now"
            )

    def reopen(self, ticket: Ticket, doc: Doc) -> bool:
        if not self._transition(ticket, ("new", "indeterminate")):
            return False
        self.comment(ticket, doc)
        return True
