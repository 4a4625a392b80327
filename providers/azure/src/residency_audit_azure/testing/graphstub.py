"""The Azure Resource Graph endpoint of the ARM stub: ``POST /providers/Microsoft.ResourceGraph/
resources?api-version=2022-10-01`` (Resources - Query).

Shapes from azure-rest-api-specs ``specification/resourcegraph/resource-manager/
Microsoft.ResourceGraph/stable/2022-10-01/examples``: the request of
``ResourcesFirstPageQuery.json`` / ``ResourcesNextPageQuery.json`` (``subscriptions``,
``query``, ``options.$top``, ``options.$skipToken``) and their answer (``totalRecords``,
``count``, ``resultTruncated`` as the string ``"false"``, ``facets``, ``data`` as an array of
rows, ``$skipToken`` while more remain);
the error body is ARM's ``{"error": {"code", "message"}}``. A row is the resource as the
``resources`` table holds it: ``id``, ``name``, the lower-case ``type``, ``tenantId``, ``kind``,
``location``, ``resourceGroup``, ``subscriptionId``, ``managedBy``, ``sku``, ``plan``,
``properties``, ``tags``, ``identity``, ``zones``, ``extendedLocation`` (null when absent).

Only what the plugin's queries need is understood of KQL: ``type =~ '<type>'`` selects the rows,
``project a, b, ...`` the columns; rows are ordered by id. The seed can make Resource Graph's copy
differ from ARM's (``"graph": {...}`` on an account, merged over its row: a change Resource Graph
has not caught up with), leave an account out of it (``"graph": false``), put a subscription in a
management group (``"managementGroup"``), fail the query (top-level
``"faults": {"resourceGraph": {...}}``; with ``"type"`` only a query over that resource type
fails), and send ``x-ms-tenant-subscription-limit-hit: true``
(top-level ``"graph_subscription_limit_hit": true``; the throttling guidance's header for a scope
of more than 10,000 subscriptions).
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["GRAPH_PATH", "GraphTables", "graph_rows"]

GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"
_TYPE = re.compile(r"type\s*=~\s*'([^']+)'", re.I)
_PROJECT = re.compile(r"\|\s*project\s+([^|]+)", re.I)
_MAX_TOP = 1000
_DEFAULT_TOP = 100  # Resource Graph's default page when options.$top is not given


def _row(body: Mapping[str, Any], sub_id: str, tenant: str) -> dict[str, Any]:
    parts = str(body["id"]).split("/")
    row: dict[str, Any] = {
        "id": body["id"],
        "name": body["name"],
        "type": str(body["type"]).lower(),
        "tenantId": tenant,
        "kind": body.get("kind", ""),
        "location": body.get("location"),
        "resourceGroup": parts[4].lower() if len(parts) > 4 else "",
        "subscriptionId": sub_id,
        "managedBy": "",
        "sku": body.get("sku"),
        "plan": None,
        "properties": copy.deepcopy(body.get("properties", {})),
        "tags": body.get("tags") or {},
        "identity": body.get("identity"),
        "zones": None,
        "extendedLocation": body.get("extendedLocation"),
    }
    return row


def _merge(row: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(row.get(key), dict):
            row[key] = _merge(dict(row[key]), value)
        elif value is None:
            row.pop(key, None)
        else:
            row[key] = copy.deepcopy(value)
    return row


class GraphTables:
    """The ``resources`` table of a seeded estate, by subscription."""

    def __init__(
        self,
        seed: Mapping[str, Any],
        accounts: Mapping[str, list[dict[str, Any]]],
        vaults: Mapping[str, list[dict[str, Any]]],
        tenant: str,
    ) -> None:
        self.fault: Mapping[str, Any] | None = seed.get("faults", {}).get("resourceGraph")
        # the header Resource Graph sends when more than 10,000 subscriptions are in scope
        self.subscription_limit_hit = bool(seed.get("graph_subscription_limit_hit"))
        self.groups: dict[str, str] = {}  # subscription -> management group
        self.rows: dict[str, list[dict[str, Any]]] = {}
        for sub in seed.get("subscriptions", []):
            sub_id = str(sub["subscriptionId"])
            key = sub_id.lower()
            if sub.get("managementGroup"):
                self.groups[key] = str(sub["managementGroup"])
            rows: list[dict[str, Any]] = []
            overrides = {
                str(a["name"]).lower(): a.get("graph", {}) for a in sub.get("accounts", [])
            }
            for body in accounts.get(key, []):
                override = overrides.get(str(body["name"]).lower(), {})
                if override is False:
                    continue
                rows.append(_merge(_row(body, sub_id, tenant), override or {}))
            rows.extend(_row(v, sub_id, tenant) for v in vaults.get(key, []))
            self.rows[key] = rows

    def select(self, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        subs = [str(s).lower() for s in body.get("subscriptions") or []]
        groups = {str(g).lower() for g in body.get("managementGroups") or []}
        if groups:
            chosen: Iterable[str] = [s for s, g in self.groups.items() if g.lower() in groups]
        else:
            chosen = subs or list(self.rows)  # no scope: every subscription the caller sees
        query = str(body.get("query", ""))
        wanted = _TYPE.search(query)
        kind = wanted.group(1).lower() if wanted else None
        rows = [r for s in chosen for r in self.rows.get(s, []) if kind in (None, r["type"])]
        rows.sort(key=lambda r: str(r["id"]).lower())
        project = _PROJECT.search(query)
        if project:
            columns = [c.strip() for c in project.group(1).split(",") if c.strip()]
            columns = [c.split()[0] for c in columns]  # "properties | order by" tails
            rows = [{c: r.get(c) for c in columns} for r in rows]
        return rows


def _token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(token: str) -> int:
    try:
        return int(json.loads(base64.b64decode(token))["offset"])
    except (ValueError, KeyError, TypeError):
        return -1


def graph_rows(tables: GraphTables, raw: bytes) -> tuple[int, Any, dict[str, str]]:
    """The answer to one Resources - Query request body, and its headers."""
    status, body = _answer(tables, raw)
    headers = {"x-ms-user-quota-remaining": "14", "x-ms-user-quota-resets-after": "00:00:05"}
    if tables.subscription_limit_hit:
        headers["x-ms-tenant-subscription-limit-hit"] = "true"
    return status, body, headers


def _answer(tables: GraphTables, raw: bytes) -> tuple[int, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return 400, {"error": {"code": "InvalidRequestContent", "message": "not JSON"}}
    fault = tables.fault
    if fault and fault.get("type") is not None:
        wanted = _TYPE.search(str(body.get("query", ""))) if isinstance(body, dict) else None
        if not wanted or wanted.group(1).lower() != str(fault["type"]).lower():
            fault = None  # a fault on another resource type's query
    if fault:
        return int(fault.get("status", 403)), {
            "error": {
                "code": fault.get("code", "AuthorizationFailed"),
                "message": fault.get("message", "The client does not have authorization."),
            }
        }
    if not isinstance(body, dict) or not body.get("query"):
        return 400, {"error": {"code": "BadRequest", "message": "Please provide a query."}}
    options = body.get("options") or {}
    top = int(options.get("$top") or _DEFAULT_TOP)
    if not 1 <= top <= _MAX_TOP:
        return 400, {
            "error": {"code": "BadRequest", "message": f"$top must be 1..{_MAX_TOP}, got {top}"}
        }
    start = _offset(options["$skipToken"]) if options.get("$skipToken") else 0
    if start < 0:
        return 400, {"error": {"code": "InvalidSkipToken", "message": "skip token is invalid"}}
    rows = tables.select(body)
    page = rows[start : start + top]
    answer: dict[str, Any] = {
        "totalRecords": len(rows),
        "count": len(page),
        "resultTruncated": "false",
        "facets": [],
        "data": page,
    }
    if start + top < len(rows):
        answer["$skipToken"] = _token(start + top)
    return 200, answer
