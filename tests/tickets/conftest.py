"""Fixtures for the ticket tests: scan results, a history store, and stateful tracker fakes.

Each fake is an ``httpx.MockTransport`` handler that keeps its tracker's records, so a test runs
the real sync against it twice and asserts on the tracker's state -- not on the calls made.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from residency_audit.config import Config
from residency_audit.history import HistoryStore
from residency_audit.model import (
    Bucket,
    Finding,
    FindingLocation,
    Gap,
    Inventory,
    Location,
    ResourceRef,
    Role,
    ScopeResult,
    ScopeStatus,
    Severity,
    Text,
)
from residency_audit.results import Coverage, ProfileRef, ScanMeta, ScanResult
from residency_audit.tickets import RetryPolicy

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPO_ROOT.parent / "shared" / "reference"
JIRA_OPENAPI = REFERENCE / "jira-cloud-platform-openapi-v3.json"
ADF_SCHEMA = REPO_ROOT / "node_modules/@atlaskit/adf-schema/dist/json-schema/v1/full.json"
SECRET = "s3cr3t-TOKEN-0xDEADBEEF-zz"  # recognisable: must never leave the Authorization header
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
JIRA_URL = "https://your-domain.atlassian.net"  # the OpenAPI document's server


# -- scan results --------------------------------------------------------------------------------


def finding(
    bucket: str,
    *,
    rule: str = "RA-LOC-CONCERN",
    scope: str = "111111111111",
    severity: Severity = Severity.HIGH,
    region: str | None = "ap-east-1",
    item: str = "(2)-1",
    country: str | None = "HK",
) -> Finding:
    uid = f"arn:aws:s3:::{bucket}"
    fp = hashlib.sha256(f"{rule}|aws|{scope}|{uid}|{region}".encode()).hexdigest()
    return Finding(
        fingerprint=fp,
        rule_id=rule,
        guideline_items=(item,),
        severity=severity,
        base_severity=severity,
        provider="aws",
        scope=scope,
        resource=ResourceRef(name=bucket, uid=uid),
        location=FindingLocation(
            role=Role.REPLICA,
            region=region,
            country=country,
            countries=(country,) if country else (),
            mechanism="s3-replication",
        ),
        message=Text(ja="懸念国に複製があります", en=f"a replica is in {region}"),
        remediation=Text(ja="複製先を変更してください", en="move the replica to Japan"),
    )


def scan(
    scan_id: str,
    findings: Sequence[Finding],
    *,
    scopes: dict[str, ScopeStatus] | None = None,
    gaps: dict[str, Sequence[Gap]] | None = None,
) -> ScanResult:
    """A scan of account 111111111111 (and any scope a finding names); all complete by default."""
    status = {"111111111111": ScopeStatus.COMPLETE}
    status.update({f.scope: ScopeStatus.COMPLETE for f in findings})
    status.update(scopes or {})
    buckets = {
        f.resource.uid: Bucket(
            provider="aws",
            scope=f.scope,
            name=f.resource.name,
            uid=f.resource.uid,
            locations=(
                Location(role=Role.PRIMARY, provider="aws", region="ap-northeast-1", mechanism="x"),
            ),
            gaps=tuple((gaps or {}).get(f.resource.uid, ())),
        )
        for f in findings
        if f.resource
    }
    complete = all(s is ScopeStatus.COMPLETE for s in status.values())
    cov = Coverage(
        scopes_total=len(status),
        scopes_complete=sum(s is ScopeStatus.COMPLETE for s in status.values()),
        scopes_incomplete=sum(s is ScopeStatus.INCOMPLETE for s in status.values()),
        scopes_failed=sum(s is ScopeStatus.FAILED for s in status.values()),
        buckets=len(buckets),
        buckets_with_gaps=0,
        locations=len(buckets),
        locations_unknown=0,
        locations_unverified=0,
        unclassified_buckets=0,
        complete=complete,
    )
    return ScanResult(
        scan=ScanMeta(
            id=scan_id,
            started=T0,
            finished=T0,
            tool_version="0.1.0",
            profile=ProfileRef(name="jp-default", sha256="0" * 64),
            providers=("aws",),
            coverage=cov,
        ),
        findings=tuple(findings),
        inventory=Inventory(
            scopes=tuple(
                ScopeResult(provider="aws", scope=s, status=st) for s, st in sorted(status.items())
            ),
            buckets=tuple(buckets.values()),
        ),
    )


def config(**tickets: Any) -> Config:
    return Config.model_validate({"providers": {"aws": {}}, "tickets": tickets})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore.open(f"sqlite:///{tmp_path / 'history.db'}") as s:
        yield s


@dataclass
class Sleeps:
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retry(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps, jitter=lambda: 0.5)


ENV = {
    "JIRA_EMAIL": "bot@example.com",
    "JIRA_TOKEN": SECRET,
    "GH_TOKEN": SECRET,
    "SN_USER": "svc-residency",
    "SN_PASSWORD": SECRET,
    "HOOK_SECRET": SECRET,
}


# -- a tracker fake's plumbing -------------------------------------------------------------------


def json_response(
    status: int, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class Recorder:
    """Every request and response a fake saw (for secret and contract checks)."""

    exchanges: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)
    throttle: int = 0  # answer the next N requests with 429
    retry_after: str = "7"

    def wrap(self, handler: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
        def run(request: httpx.Request) -> httpx.Response:
            if self.throttle > 0:
                self.throttle -= 1
                response = json_response(
                    429, {"errorMessages": ["slow down"]}, {"Retry-After": self.retry_after}
                )
            else:
                response = handler(request)
            self.exchanges.append((request, response))
            return response

        return httpx.MockTransport(run)

    def bodies(self) -> str:
        parts = []
        for req, resp in self.exchanges:
            parts += [
                str(req.url),
                req.content.decode("utf-8", "replace"),
                resp.content.decode("utf-8", "replace"),
            ]
        return "\n".join(parts)


def body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


# -- Jira ----------------------------------------------------------------------------------------

_CATEGORIES = {"new": 2, "indeterminate": 4, "done": 3}
STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}


@dataclass
class JiraIssue:
    id: str
    key: str
    fields: dict[str, Any]
    comments: list[Any] = field(default_factory=list)
    searchable_after: int = 0  # search calls before it shows up (eventual consistency)


class FakeJira(Recorder):
    """Jira Cloud (v3) or Data Center (v2): issues, labels, comments, workflow To Do/In Progress/
    Done, JQL ``project = X AND labels = "L"``; search lags ``lag`` calls behind creates."""

    def __init__(self, *, cloud: bool = True, lag: int = 0, required: Sequence[str] = ()) -> None:
        super().__init__()
        self.cloud = cloud
        self.lag = lag
        self.required = set(required)
        self.issues: dict[str, JiraIssue] = {}
        self.searches = 0
        self.ids = itertools.count(10001)
        self.api = "/rest/api/3" if cloud else "/rest/api/2"
        self.transport = self.wrap(self.handle)

    def close_as(self, key: str, resolution: str) -> None:
        """A person closes the issue in the UI."""
        self._move(self.issues[key], "Done")
        self.issues[key].fields["resolution"] = {"name": resolution}

    def _move(self, issue: JiraIssue, status: str) -> None:
        cat = STATUSES[status]
        issue.fields["status"] = {
            "name": status,
            "statusCategory": {"id": _CATEGORIES[cat], "key": cat, "name": cat},
        }
        if cat != "done":
            issue.fields["resolution"] = None
        elif issue.fields.get("resolution") is None:
            issue.fields["resolution"] = {"name": "Done"}

    def _bean(self, issue: JiraIssue, fields: Sequence[str]) -> dict[str, Any]:
        return {
            "id": issue.id,
            "key": issue.key,
            "self": f"{JIRA_URL}{self.api}/issue/{issue.id}",
            "fields": {k: v for k, v in issue.fields.items() if k in fields},
        }

    def _match(self, jql: str) -> list[JiraIssue]:
        label = jql.split('labels = "', 1)[1].split('"', 1)[0]
        project = jql.split('project = "', 1)[1].split('"', 1)[0]
        self.searches += 1
        found = [
            i
            for i in self.issues.values()
            if label in i.fields["labels"]
            and i.key.startswith(project + "-")
            and self.searches > i.searchable_after
        ]
        return sorted(found, key=lambda i: -int(i.id))

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if not path.startswith(self.api):
            return json_response(404, {"errorMessages": ["no such API"]})
        rest = path[len(self.api) :]
        if rest == "/search/jql" and method == "POST" and self.cloud:
            q = body(request)
            found = self._match(q["jql"])
            start = int(q.get("nextPageToken") or 0)
            size = min(int(q.get("maxResults", 50)), 2)  # tiny pages: paging must work
            page = found[start : start + size]
            out: dict[str, Any] = {
                "issues": [self._bean(i, q.get("fields", [])) for i in page],
                "isLast": start + size >= len(found),
            }
            if not out["isLast"]:
                out["nextPageToken"] = str(start + size)
            return json_response(200, out)
        if rest == "/search" and self.cloud:
            return json_response(410, {"errorMessages": ["gone: use /search/jql"]})
        if rest == "/search" and method == "POST":
            q = body(request)
            found = self._match(q["jql"])
            start, size = int(q.get("startAt", 0)), min(int(q.get("maxResults", 50)), 2)
            page = found[start : start + size]
            return json_response(
                200,
                {
                    "startAt": start,
                    "maxResults": size,
                    "total": len(found),
                    "issues": [self._bean(i, q.get("fields", [])) for i in page],
                },
            )
        if rest == "/issue" and method == "POST":
            fields = body(request)["fields"]
            missing = sorted(self.required - set(fields))
            if missing:
                return json_response(
                    400, {"errorMessages": [], "errors": {m: f"{m} is required." for m in missing}}
                )
            n = next(self.ids)
            key = f"{fields['project']['key']}-{n - 10000}"
            issue = JiraIssue(str(n), key, dict(fields), searchable_after=self.searches + self.lag)
            self._move(issue, "To Do")
            self.issues[key] = issue
            return json_response(
                201, {"id": issue.id, "key": key, "self": f"{JIRA_URL}{self.api}/issue/{n}"}
            )
        parts = rest.strip("/").split("/")
        if parts[0] != "issue" or len(parts) < 2 or parts[1] not in self.issues:
            return json_response(404, {"errorMessages": ["Issue does not exist"]})
        issue = self.issues[parts[1]]
        tail = parts[2] if len(parts) > 2 else ""
        if tail == "" and method == "GET":
            wanted = request.url.params.get("fields", "").split(",")
            return json_response(200, self._bean(issue, wanted))
        if tail == "comment" and method == "POST":
            comment = {"id": str(len(issue.comments) + 1), "body": body(request)["body"]}
            issue.comments.append(comment["body"])
            return json_response(201, comment)
        if tail == "comment" and method == "GET":
            comments = [{"id": str(n + 1), "body": b} for n, b in enumerate(issue.comments)]
            return json_response(
                200, {"comments": comments, "startAt": 0, "maxResults": 100, "total": len(comments)}
            )
        if tail == "transitions" and method == "GET":
            here = issue.fields["status"]["name"]
            options = [
                {
                    "id": str(11 + 10 * n),
                    "name": f"Move to {name}",
                    "to": {"name": name, "statusCategory": {"key": cat, "id": _CATEGORIES[cat]}},
                }
                for n, (name, cat) in enumerate(STATUSES.items())
                if name != here
            ]
            return json_response(200, {"transitions": options})
        if tail == "transitions" and method == "POST":
            tid = body(request)["transition"]["id"]
            name = list(STATUSES)[(int(tid) - 11) // 10]
            self._move(issue, name)
            return httpx.Response(204)
        return json_response(405, {"errorMessages": ["not in the fake"]})


# -- GitHub --------------------------------------------------------------------------------------


class FakeGitHub(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[str]] = {}
        self.transport = self.wrap(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if parts[:3] != ["repos", "acme", "infra"] or len(parts) < 4 or parts[3] != "issues":
            return json_response(404, {"message": "Not Found"})
        m = request.method
        if len(parts) == 4 and m == "GET":
            label = request.url.params["labels"]
            state = request.url.params.get("state")
            items = [
                i
                for i in sorted(self.issues.values(), key=lambda i: -i["number"])
                if label in [lb["name"] for lb in i["labels"]]
                and (state == "all" or i["state"] == state)
            ]
            # and one pull request with the label, which the sink must ignore
            items.append(
                {"number": 999, "state": "open", "body": "", "labels": [], "pull_request": {}}
            )
            page = int(request.url.params.get("page", 1))
            per = 2
            chunk = items[(page - 1) * per : page * per]
            headers = {}
            if page * per < len(items):
                nxt = request.url.copy_merge_params({"page": page + 1})
                headers["Link"] = f'<{nxt}>; rel="next"'
            return json_response(200, chunk, headers)
        if len(parts) == 4 and m == "POST":
            data = body(request)
            if len(data["body"]) > 65536:
                return json_response(422, {"message": "body is too long"})
            n = len(self.issues) + 1
            self.issues[n] = {
                "number": n,
                "title": data["title"],
                "body": data["body"],
                "state": "open",
                "state_reason": None,
                "labels": [{"name": lb} for lb in data.get("labels", [])],
                "html_url": f"https://github.com/acme/infra/issues/{n}",
            }
            self.comments[n] = []
            return json_response(201, self.issues[n])
        n = int(parts[4])
        if n not in self.issues:
            return json_response(404, {"message": "Not Found"})
        issue = self.issues[n]
        if len(parts) == 5 and m == "GET":
            return json_response(200, issue)
        if len(parts) == 5 and m == "PATCH":
            data = body(request)
            issue["state"] = data.get("state", issue["state"])
            issue["state_reason"] = (
                data.get("state_reason") if issue["state"] == "closed" else "reopened"
            )
            return json_response(200, issue)
        if parts[5:] == ["comments"] and m == "POST":
            self.comments[n].append(body(request)["body"])
            return json_response(201, {"id": len(self.comments[n]), "body": body(request)["body"]})
        if parts[5:] == ["comments"] and m == "GET":
            return json_response(200, [{"body": b} for b in self.comments[n]])
        return json_response(404, {"message": "Not Found"})


# -- ServiceNow ----------------------------------------------------------------------------------


class FakeServiceNow(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.incidents: dict[str, dict[str, Any]] = {}
        self.journal: list[dict[str, str]] = []
        self.transport = self.wrap(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, m = request.url.path, request.method
        if path == "/api/now/table/sys_journal_field":
            q = request.url.params["sysparm_query"]
            sys_id = q.split("element_id=", 1)[1].split("^", 1)[0]
            return json_response(
                200, {"result": [j for j in self.journal if j["element_id"] == sys_id]}
            )
        if not path.startswith("/api/now/table/incident"):
            return json_response(404, {"error": {"message": "No such table"}})
        rest = path[len("/api/now/table/incident") :].strip("/")
        if not rest and m == "GET":
            q = request.url.params["sysparm_query"]
            cond = q.split("^ORDERBY", 1)[0]
            if cond.startswith("correlation_idSTARTSWITH"):
                prefix = cond[len("correlation_idSTARTSWITH") :]
                rows = [
                    i for i in self.incidents.values() if i["correlation_id"].startswith(prefix)
                ]
            else:
                value = cond.split("correlation_id=", 1)[1]
                rows = [i for i in self.incidents.values() if i["correlation_id"] == value]
            rows.sort(key=lambda i: -int(i["number"][3:]))
            off, lim = (
                int(request.url.params.get("sysparm_offset", 0)),
                int(request.url.params["sysparm_limit"]),
            )
            return json_response(200, {"result": rows[off : off + lim]})
        if not rest and m == "POST":
            data = body(request)
            n = len(self.incidents) + 1
            sys_id = hashlib.md5(str(n).encode()).hexdigest()
            self.incidents[sys_id] = {
                **data,
                "sys_id": sys_id,
                "number": f"INC{n:07d}",
                "state": "1",
                "close_code": "",
            }
            return json_response(201, {"result": self.incidents[sys_id]})
        if rest not in self.incidents:
            return json_response(404, {"error": {"message": "No Record found"}})
        inc = self.incidents[rest]
        if m == "GET":
            return json_response(200, {"result": inc})
        if m == "PATCH":
            data = body(request)
            if inc["state"] in ("6", "7", "8") and "state" not in data:
                pass  # notes on a closed incident are allowed
            if "work_notes" in data:
                self.journal.append({"element_id": rest, "value": data.pop("work_notes")})
            inc.update(data)
            return json_response(200, {"result": inc})
        return json_response(405, {"error": {"message": "method"}})


# -- webhook receiver ----------------------------------------------------------------------------


class FakeReceiver(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.transport = self.wrap(lambda r: httpx.Response(204))


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


@pytest.fixture
def ci() -> bool:
    return bool(os.environ.get("CI"))


@pytest.fixture
def sync(store: HistoryStore, retry: RetryPolicy) -> Callable[..., Any]:
    """sync(result, cfg, fake, apply=True) -> SyncPlan, through the fake's transport."""
    from residency_audit.tickets import sync_tickets

    def run(
        result: ScanResult, cfg: Config, fake: Recorder, *, apply: bool = True, **kw: Any
    ) -> Any:
        return sync_tickets(
            result,
            cfg,
            store,
            apply=apply,
            report_url=kw.pop("report_url", "https://reports.example.com/scan/report.html"),
            env=kw.pop("env", ENV),
            transport=fake.transport,  # type: ignore[attr-defined]
            retry=retry,
            **kw,
        )

    return run


JIRA = {"url": JIRA_URL, "project": "RA", "email_env": "JIRA_EMAIL", "token_env": "JIRA_TOKEN"}
