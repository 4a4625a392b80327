"""Roundup (the Python issue tracker) over its REST API: a real tracker for end-to-end tests and
for teams that run one.

Tickets carry two keywords: the scope keyword and ``ra-<bucket key>``. Messages are the comments.
Writes send ``Origin``, ``Referer`` and ``X-Requested-With: rest`` (Roundup's CSRF checks) and
changes to an issue send its ``If-Match`` ETag.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..buckets import KEY_PREFIX
from ..content import Doc
from ..http import TicketError
from ..render import to_text
from ..settings import RoundupSettings
from .base import NewTicket, Ticket, TicketStatus, by_key

__all__ = ["RoundupSink", "roundup_headers"]


def roundup_headers(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        "Origin": f"{parts.scheme}://{parts.netloc}",
        "Referer": url.rstrip("/") + "/",
        "X-Requested-With": "rest",
        "Accept": "application/json",
    }


class RoundupSink:
    can_reopen = True
    stateless = False

    def __init__(self, settings: RoundupSettings, user: str, http: Any) -> None:
        self.name = "roundup"
        self.settings = settings
        self.user = user
        self.http = http
        self._keywords: dict[str, str] | None = None  # name -> id
        self._statuses: dict[str, str] | None = None  # id -> name
        self._uid: str | None = None

    def _data(self, path: str, **params: Any) -> Any:
        return self.http.request("GET", f"/rest/data/{path}", params=params).json()["data"]

    def _collection(self, cls: str, **params: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            data = self._data(cls, **params, **{"@page_size": 100, "@page_index": page})
            out += data.get("collection") or []
            if "next" not in (data.get("@links") or {}):
                return out
            page += 1

    def keywords(self) -> dict[str, str]:
        if self._keywords is None:
            rows = self._collection("keyword", **{"@fields": "name"})
            self._keywords = {r["name"]: r["id"] for r in rows}
        return self._keywords

    def _status_names(self) -> dict[str, str]:
        if self._statuses is None:
            rows = self._collection("status", **{"@fields": "name"})
            self._statuses = {r["id"]: r["name"] for r in rows}
        return self._statuses

    def _keyword_id(self, name: str) -> str:
        known = self.keywords()
        if name not in known:
            created = self.http.request(
                "POST", "/rest/data/keyword", json={"name": name}, ok=(201,)
            ).json()
            known[name] = created["data"]["id"]
        return known[name]

    def _ticket(self, issue_id: str, attrs: dict[str, Any]) -> Ticket:
        names = {v: k for k, v in self.keywords().items()}
        kws = [names.get(_id(k), "") for k in attrs.get("keyword") or []]
        key = next((k[len(KEY_PREFIX) :] for k in kws if k.startswith(KEY_PREFIX)), None)
        status = self._status_names().get(_id(attrs.get("status")), "")
        return Ticket(
            id=issue_id,
            ref=f"issue{issue_id}",
            url=f"{self.settings.url}/issue{issue_id}",
            status=TicketStatus.DONE if status == self.settings.done_status else TicketStatus.OPEN,
            key=key,
            resolution=status or None,
        )

    def search(self) -> dict[str, list[Ticket]]:
        scope = self.keywords().get(self.settings.keyword)
        if scope is None:
            return {}
        rows = self._collection(
            "issue", keyword=scope, **{"@fields": "status,keyword", "@sort": "-creation"}
        )
        return by_key(self._ticket(row["id"], row) for row in rows)

    def find(self, key: str) -> Ticket | None:
        self._keywords = None  # someone may have added it since
        kid = self.keywords().get(KEY_PREFIX + key)
        if kid is None:
            return None
        rows = self._collection(
            "issue", keyword=kid, **{"@fields": "status,keyword", "@sort": "-creation"}
        )
        return self._ticket(rows[0]["id"], rows[0]) if rows else None

    def _issue(self, issue_id: str) -> tuple[dict[str, Any], str] | None:
        response = self.http.request(
            "GET",
            f"/rest/data/issue/{issue_id}",
            params={"@fields": "status,keyword,messages"},
            ok=(200, 404),
        )
        if response.status_code == 404:
            return None
        data = response.json()["data"]
        return data["attributes"], response.headers.get("ETag") or data.get("@etag", "")

    def get(self, ticket_id: str) -> Ticket | None:
        found = self._issue(ticket_id)
        return self._ticket(ticket_id, found[0]) if found else None

    def _my_id(self) -> str:
        if self._uid is None:
            rows = self._collection("user", username=self.user, **{"@fields": "username"})
            match = [r["id"] for r in rows if r.get("username") == self.user]
            if not match:
                raise TicketError(f"Roundup: user {self.user!r} not found")
            self._uid = match[0]
        return self._uid

    def _message(self, doc: Doc) -> str:
        created = self.http.request(
            "POST",
            "/rest/data/msg",
            json={"content": to_text(doc), "author": self._my_id()},
            ok=(201,),
        ).json()
        return str(created["data"]["id"])

    def create(self, new: NewTicket) -> Ticket:
        keywords = [self._keyword_id(self.settings.keyword), self._keyword_id(KEY_PREFIX + new.key)]
        msg = self._message(new.body)
        created = self.http.request(
            "POST",
            "/rest/data/issue",
            json={"title": new.title, "keyword": keywords, "messages": [msg]},
            ok=(201,),
        ).json()
        issue_id = str(created["data"]["id"])
        return Ticket(
            id=issue_id,
            ref=f"issue{issue_id}",
            url=f"{self.settings.url}/issue{issue_id}",
            status=TicketStatus.OPEN,
            key=new.key,
        )

    def _change(self, ticket: Ticket, method: str, body: dict[str, Any]) -> None:
        found = self._issue(ticket.id)
        if found is None:
            raise TicketError(f"Roundup: {ticket.ref} no longer exists")
        self.http.request(
            method, f"/rest/data/issue/{ticket.id}", json=body, headers={"If-Match": found[1]}
        )

    def comment(self, ticket: Ticket, doc: Doc) -> None:
        msg = self._message(doc)
        self._change(ticket, "PATCH", {"@op": "add", "messages": [msg]})

    def has_comment(self, ticket: Ticket, marker: str) -> bool:
        found = self._issue(ticket.id)
        for m in (found[0].get("messages") if found else None) or []:
            content = self._data(f"msg/{_id(m)}", **{"@verbose": 3})["attributes"]["content"]
            if isinstance(content, str) and marker in content:
                return True
        return False

    def close(self, ticket: Ticket, doc: Doc) -> None:
        self.comment(ticket, doc)
        self._change(ticket, "PUT", {"status": self.settings.done_status})

    def reopen(self, ticket: Ticket, doc: Doc) -> bool:
        self._change(ticket, "PUT", {"status": self.settings.reopen_status})
        self.comment(ticket, doc)
        return True


def _id(value: Any) -> str:
    return str(value.get("id")) if isinstance(value, dict) else str(value or "")
