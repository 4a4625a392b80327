"""GitHub, ServiceNow, Jira Data Center and the webhook through their stateful fakes."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from residency_audit.model import Severity

from .conftest import (
    JIRA,
    SECRET,
    FakeGitHub,
    FakeJira,
    FakeReceiver,
    FakeServiceNow,
    config,
    finding,
    scan,
)

GH = {"url": "https://api.github.com", "repo": "acme/infra", "token_env": "GH_TOKEN"}
SN = {"url": "https://acme.service-now.com", "user_env": "SN_USER", "password_env": "SN_PASSWORD"}
HOOK = {"url": "https://hooks.example.com/residency", "secret_env": "HOOK_SECRET"}


def test_github_lifecycle(sync: Any) -> None:
    fake = FakeGitHub()
    cfg = config(github=GH, lang="en")
    a1, b1, c1 = finding("alpha"), finding("beta"), finding("gamma")
    sync(scan("s1", [a1, b1, c1]), cfg, fake)
    assert len(fake.issues) == 3  # listing pages through Link headers, the PR is ignored
    alpha = next(i for i in fake.issues.values() if "alpha" in i["title"])
    assert alpha["body"].startswith("<!-- residency-audit:fingerprint=")
    assert [lb["name"] for lb in alpha["labels"]] == ["data-residency"]
    sync(scan("s2", [a1, b1, c1]), cfg, fake)
    assert len(fake.issues) == 3 and all(not c for c in fake.comments.values())
    sync(scan("s3", [b1, c1]), cfg, fake)
    assert alpha["state"] == "closed" and alpha["state_reason"] == "completed"
    n = alpha["number"]
    assert len(fake.comments[n]) == 1
    sync(scan("s4", [a1, b1, c1]), cfg, fake)
    assert alpha["state"] == "open" and len(fake.issues) == 3
    # a person closes beta as not planned: suppressed, not reopened
    beta = next(i for i in fake.issues.values() if "beta" in i["title"])
    beta.update(state="closed", state_reason="not_planned")
    plan = sync(scan("s5", [a1, b1, c1]), cfg, fake)
    assert [a.kind for a in plan.actions] == ["wontfix"]
    sync(scan("s6", [a1, b1, c1]), cfg, fake)
    assert beta["state"] == "closed" and len(fake.issues) == 3
    assert fake.exchanges[0][0].headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_github_escapes_untrusted_names(sync: Any) -> None:
    fake = FakeGitHub()
    sync(scan("s1", [finding("x@team-<img src=x>")]), config(github=GH), fake)
    (issue,) = fake.issues.values()
    assert "<img" not in issue["body"] and "@team" not in issue["body"]


def test_servicenow_closed_incident_is_not_reopened_but_cited(sync: Any) -> None:
    fake = FakeServiceNow()
    cfg = config(servicenow=SN, lang="en")
    a1 = finding("alpha", severity=Severity.CRITICAL)
    sync(scan("s1", [a1]), cfg, fake)
    (inc,) = fake.incidents.values()
    assert inc["correlation_id"].startswith("residency-audit:") and inc["impact"] == "1"
    sync(scan("s2", [a1, finding("alpha", region="cn-north-1")]), cfg, fake)
    assert len(fake.journal) == 1  # one work note for the change
    sync(scan("s3", []), cfg, fake)
    assert inc["state"] == "6" and inc["close_code"] == "Solved (Permanently)"
    sync(scan("s4", [a1]), cfg, fake)
    assert len(fake.incidents) == 2
    new = next(i for i in fake.incidents.values() if i is not inc)
    assert inc["number"] in new["description"] and new["state"] == "1"
    sync(scan("s5", [a1]), cfg, fake)
    assert len(fake.incidents) == 2


def test_jira_datacenter_uses_v2_wiki_and_bearer(sync: Any) -> None:
    fake = FakeJira(cloud=False)
    cfg = config(jira={**JIRA, "flavor": "datacenter", "email_env": None}, lang="en")
    found = [finding(n) for n in ("alpha", "beta", "gamma")]
    sync(scan("s1", found), cfg, fake)
    sync(scan("s2", found), cfg, fake)  # startAt/total paging finds all three
    assert len(fake.issues) == 3
    issue = next(iter(fake.issues.values()))
    assert isinstance(issue.fields["description"], str)
    assert "h3. Current findings" in issue.fields["description"]
    req = fake.exchanges[0][0]
    assert req.headers["Authorization"] == f"Bearer {SECRET}" and "/rest/api/2/" in req.url.path
    sync(scan("s3", found[1:]), cfg, fake)
    assert issue.fields["status"]["statusCategory"]["key"] == "done"


def test_webhook_is_signed_and_redelivery_keeps_its_id(sync: Any) -> None:
    fake = FakeReceiver()
    cfg = config(webhook=HOOK, lang="en")
    a1 = finding("alpha")
    sync(scan("s1", [a1]), cfg, fake)
    sync(scan("s2", [a1]), cfg, fake)  # unchanged: nothing sent
    sync(scan("s3", []), cfg, fake)
    sync(scan("s4", [a1]), cfg, fake)
    events = [json.loads(r.content)["event"] for r, _ in fake.exchanges]
    assert events == ["opened", "resolved", "reopened"]
    for req, _ in fake.exchanges:
        ts = req.headers["X-Residency-Audit-Timestamp"]
        mac = hmac.new(
            SECRET.encode(), ts.encode() + b"." + req.content, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(req.headers["X-Residency-Audit-Signature"], f"sha256={mac}")
        assert SECRET not in req.content.decode()
    first = fake.exchanges[0][0]
    payload = json.loads(first.content)
    assert payload["delivery"] == first.headers["X-Residency-Audit-Delivery"]
    assert payload["severity"] == "high" and "alpha" in payload["title"]


class Killed(BaseException):
    pass


def test_killed_after_a_comment_does_not_comment_twice(sync: Any, monkeypatch: Any) -> None:
    from residency_audit.tickets.sinks import GitHubSink

    fake = FakeGitHub()
    cfg = config(github=GH)
    a1 = finding("alpha")
    sync(scan("s1", [a1]), cfg, fake)
    real = GitHubSink.comment

    def comment_then_die(self: GitHubSink, ticket: Any, doc: Any) -> None:
        real(self, ticket, doc)
        raise Killed

    monkeypatch.setattr(GitHubSink, "comment", comment_then_die)
    changed = scan("s2", [a1, finding("alpha", region="cn-north-1")])
    with pytest.raises(Killed):
        sync(changed, cfg, fake)
    monkeypatch.setattr(GitHubSink, "comment", real)
    sync(changed, cfg, fake)
    assert len(fake.comments[1]) == 1
