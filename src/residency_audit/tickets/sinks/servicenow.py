"""ServiceNow incidents over the Table API, keyed by ``correlation_id``.

A closed incident is not reopened (ServiceNow's incident lifecycle ends at Resolved/Closed): a
returning finding opens a new incident whose description cites the old number.
"""

from __future__ import annotations

from typing import Any

from ...model import Severity
from ..content import Doc
from ..render import to_text
from ..settings import ServiceNowSettings
from .base import NewTicket, Ticket, TicketStatus, by_key

__all__ = ["ServiceNowSink", "correlation_id"]

_TABLE = "/api/now/table/incident"
_FIELDS = "sys_id,number,state,close_code,correlation_id"
_PREFIX = "residency-audit:"
_RESOLVED, _CLOSED, _CANCELED = "6", "7", "8"
# impact / urgency: 1 high .. 3 low
_LEVEL = {
    Severity.CRITICAL: ("1", "1"),
    Severity.HIGH: ("2", "1"),
    Severity.MEDIUM: ("2", "2"),
    Severity.LOW: ("3", "3"),
    Severity.INFO: ("3", "3"),
}


def correlation_id(key: str) -> str:
    return _PREFIX + key


class ServiceNowSink:
    can_reopen = False
    stateless = False

    def __init__(self, settings: ServiceNowSettings, http: Any) -> None:
        self.name = "servicenow"
        self.settings = settings
        self.http = http

    def _ticket(self, rec: dict[str, Any]) -> Ticket:
        state = str(rec.get("state", ""))
        status = TicketStatus.OPEN
        if state in (_RESOLVED, _CLOSED, _CANCELED):
            wontfix = state == _CANCELED or rec.get("close_code") in (
                self.settings.wontfix_close_codes
            )
            status = TicketStatus.WONTFIX if wontfix else TicketStatus.DONE
        corr = str(rec.get("correlation_id") or "")
        return Ticket(
            id=rec["sys_id"],
            ref=rec.get("number") or rec["sys_id"],
            url=f"{self.settings.url}/nav_to.do?uri=incident.do?sys_id={rec['sys_id']}",
            status=status,
            key=corr[len(_PREFIX) :] if corr.startswith(_PREFIX) else None,
            resolution=rec.get("close_code") or None,
        )

    def _query(self, query: str, limit: int = 100) -> list[Ticket]:
        out: list[Ticket] = []
        offset = 0
        while True:
            params = {
                "sysparm_query": f"{query}^ORDERBYDESCsys_created_on",
                "sysparm_fields": _FIELDS,
                "sysparm_limit": limit,
                "sysparm_offset": offset,
            }
            rows = self.http.request("GET", _TABLE, params=params).json().get("result") or []
            out += [self._ticket(r) for r in rows]
            offset += len(rows)
            if len(rows) < limit:
                return out

    def search(self) -> dict[str, list[Ticket]]:
        return by_key(self._query(f"correlation_idSTARTSWITH{_PREFIX}"))

    def find(self, key: str) -> Ticket | None:
        found = self._query(f"correlation_id={correlation_id(key)}", limit=1)
        return found[0] if found else None

    def get(self, ticket_id: str) -> Ticket | None:
        response = self.http.request(
            "GET", f"{_TABLE}/{ticket_id}", params={"sysparm_fields": _FIELDS}, ok=(200, 404)
        )
        return self._ticket(response.json()["result"]) if response.status_code == 200 else None

    def create(self, new: NewTicket) -> Ticket:
        impact, urgency = _LEVEL[new.severity]
        rec = self.http.request(
            "POST",
            _TABLE,
            json={
                "short_description": new.title[:160],
                "description": to_text(new.body),
                "correlation_id": correlation_id(new.key),
                "correlation_display": "residency-audit",
                "impact": impact,
                "urgency": urgency,
            },
            ok=(201,),
        ).json()["result"]
        return self._ticket(rec)

    def comment(self, ticket: Ticket, doc: Doc) -> None:
        self.http.request("PATCH", f"{_TABLE}/{ticket.id}", json={"work_notes": to_text(doc)})

    def has_comment(self, ticket: Ticket, marker: str) -> bool:
        # journal entries live in sys_journal_field; element_id is the incident's sys_id
        rows = (
            self.http.request(
                "GET",
                "/api/now/table/sys_journal_field",
                params={
                    "sysparm_query": f"element_id={ticket.id}^element=work_notes",
                    "sysparm_fields": "value",
                    "sysparm_limit": 1000,
                },
            )
            .json()
            .get("result")
            or []
        )
        return any(marker in str(r.get("value", "")) for r in rows)

    def close(self, ticket: Ticket, doc: Doc) -> None:
        text = to_text(doc)
        self.http.request(
            "PATCH",
            f"{_TABLE}/{ticket.id}",
            json={
                "state": _RESOLVED,
                "close_code": self.settings.close_code,
                "close_notes": text,
                "work_notes": text,
            },
        )

    def reopen(self, ticket: Ticket, doc: Doc) -> bool:
        return False
