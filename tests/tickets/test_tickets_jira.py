"""The whole ticket lifecycle against a stateful Jira Cloud fake: one ticket per bucket, comments
only on change, closed when fixed in a complete scan, never closed by an incomplete one, reopened
when a finding returns, won't-fix kept as a suppression, and no duplicate after a killed sync."""

from __future__ import annotations

from typing import Any

import pytest

from residency_audit.history import HistoryStore
from residency_audit.history.ledger import TicketLedger
from residency_audit.model import ScopeStatus, Severity
from residency_audit.tickets import TicketError
from residency_audit.tickets.sinks import JiraSink

from .conftest import JIRA, SECRET, FakeJira, config, finding, scan


def labels(fake: FakeJira) -> list[list[str]]:
    return [i.fields["labels"] for i in fake.issues.values()]


def status(fake: FakeJira, key: str) -> str:
    return str(fake.issues[key].fields["status"]["statusCategory"]["key"])


def test_plan_by_default_changes_nothing(sync: Any, store: HistoryStore) -> None:
    fake = FakeJira()
    plan = sync(scan("s1", [finding("alpha")]), config(jira=JIRA), fake, apply=False)
    assert [(a.kind, a.bucket) for a in plan.actions] == [("create", "alpha")]
    assert fake.issues == {}
    assert all(
        req.method == "POST" and req.url.path.endswith("/search/jql") for req, _ in fake.exchanges
    )
    assert TicketLedger(store).entries() == {}
    assert "planned (run with --apply" in plan.render()


def test_lifecycle_create_comment_on_change_close_reopen(sync: Any) -> None:
    fake = FakeJira()
    cfg = config(jira=JIRA, lang="en")
    a1, b1 = finding("alpha"), finding("beta", severity=Severity.CRITICAL, item="(2)-3")
    sync(scan("s1", [a1, b1]), cfg, fake)
    assert len(fake.issues) == 2
    beta = next(i for i in fake.issues.values() if "beta" in i.fields["summary"])
    assert "guideline (2)-3" in beta.fields["summary"] and "(Critical)" in beta.fields["summary"]
    assert "data-residency" in beta.fields["labels"]
    assert any(lb.startswith("ra-") for lb in beta.fields["labels"])
    text = str(beta.fields["description"])
    assert "HK" in text and "move the replica to Japan" in text
    assert "https://reports.example.com/scan/report.html" in text

    # the same findings again: nothing to say
    plan = sync(scan("s2", [a1, b1]), cfg, fake)
    assert plan.changes == [] and all(not i.comments for i in fake.issues.values())

    # alpha gets a second finding: exactly one comment on alpha, none on beta
    a2 = finding("alpha", region="cn-north-1", country="CN")
    sync(scan("s3", [a1, a2, b1]), cfg, fake)
    alpha = next(i for i in fake.issues.values() if "alpha" in i.fields["summary"])
    assert len(alpha.comments) == 1 and not beta.comments
    assert "cn-north-1" in str(alpha.comments[0])
    sync(scan("s4", [a1, a2, b1]), cfg, fake)
    assert len(alpha.comments) == 1

    # alpha fixed, but the account was only partly collected: nothing closes
    plan = sync(scan("s5", [b1], scopes={"111111111111": ScopeStatus.INCOMPLETE}), cfg, fake)
    assert [a.kind for a in plan.actions] == ["hold"]
    assert status(fake, alpha.key) == "new"

    # a complete scan without alpha's findings: closing comment and the done category
    sync(scan("s6", [b1]), cfg, fake)
    assert status(fake, alpha.key) == "done"
    assert "Resolved" in str(alpha.comments[-1]) and "s6" in str(alpha.comments[-1])

    # alpha's finding returns: the same ticket reopens (no new one)
    sync(scan("s7", [a1, b1]), cfg, fake)
    assert len(fake.issues) == 2
    assert status(fake, alpha.key) in ("new", "indeterminate")
    assert "Findings are back" in str(alpha.comments[-1])


def test_wontfix_becomes_a_suppression_and_is_never_reopened(
    sync: Any, store: HistoryStore
) -> None:
    fake = FakeJira()
    cfg = config(jira=JIRA)
    a1 = finding("alpha")
    sync(scan("s1", [a1]), cfg, fake)
    (key,) = fake.issues
    fake.close_as(key, "Won't Do")
    plan = sync(scan("s2", [a1]), cfg, fake)
    assert [a.kind for a in plan.actions] == ["wontfix"]
    (f,) = plan.result.findings
    assert f.suppression is not None and key in f.suppression.id
    plan = sync(scan("s3", [a1]), cfg, fake)
    assert plan.changes == [] and status(fake, key) == "done" and len(fake.issues) == 1
    assert plan.result.findings[0].suppression is not None  # shown in the report
    sups = TicketLedger(store).suppressions()
    assert [s.fingerprint for s in sups.items] == [a1.fingerprint]
    # a new, different finding on that bucket is not covered: it gets a new ticket citing the old
    a2 = finding("alpha", region="cn-north-1", country="CN")
    sync(scan("s4", [a1, a2]), cfg, fake)
    assert len(fake.issues) == 2
    new = fake.issues[max(fake.issues, key=lambda k: int(k.split("-")[1]))]
    assert key in str(new.fields["description"])


def test_429_with_retry_after_is_honoured(sync: Any, sleeps: Any) -> None:
    fake = FakeJira()
    fake.throttle = 2
    sync(scan("s1", [finding("alpha")]), config(jira=JIRA), fake)
    assert len(fake.issues) == 1
    assert sleeps.calls[:2] == [7.0, 7.0]


def test_search_lag_does_not_duplicate(sync: Any) -> None:
    """Search misses a just-created issue for a while: the ledger's key is read by id instead."""
    fake = FakeJira(lag=100)
    cfg = config(jira=JIRA)
    sync(scan("s1", [finding("alpha")]), cfg, fake)
    plan = sync(scan("s2", [finding("alpha")]), cfg, fake)
    assert len(fake.issues) == 1 and plan.changes == []


def test_required_custom_field_is_a_clear_error(sync: Any) -> None:
    fake = FakeJira(required=["customfield_10042"])
    plan = sync(scan("s1", [finding("alpha")]), config(jira=JIRA), fake)
    assert fake.issues == {}
    (error,) = plan.errors
    assert "customfield_10042" in error and "[tickets.jira.fields]" in error
    ok = config(jira={**JIRA, "fields": {"customfield_10042": {"value": "infra"}}})
    plan = sync(scan("s2", [finding("alpha")]), ok, fake)
    assert not plan.errors and len(fake.issues) == 1


class Killed(BaseException):
    pass


def test_killed_between_create_and_ledger_write_creates_no_duplicate(
    sync: Any, store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeJira(lag=1)  # and the re-run's first search misses the new issue
    cfg = config(jira=JIRA)
    real = JiraSink.create

    def create_then_die(self: JiraSink, new: Any) -> Any:
        real(self, new)
        raise Killed  # the process dies before the ledger records the ticket

    monkeypatch.setattr(JiraSink, "create", create_then_die)
    with pytest.raises(Killed):
        sync(scan("s1", [finding("alpha")]), cfg, fake)
    (entry,) = TicketLedger(store).entries().values()
    assert entry.pending == "create" and entry.ticket_id is None
    monkeypatch.setattr(JiraSink, "create", real)
    plan = sync(scan("s1", [finding("alpha")]), cfg, fake)
    assert len(fake.issues) == 1
    assert [a.kind for a in plan.actions] == ["adopt"]
    (entry,) = TicketLedger(store).entries().values()
    assert entry.state == "open" and entry.ticket_id == next(iter(fake.issues))


def test_secret_appears_nowhere(
    sync: Any, store: HistoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeJira(required=["customfield_1"])
    fake_ok = FakeJira()
    plan = sync(scan("s1", [finding("alpha")]), config(jira=JIRA), fake)
    plan2 = sync(scan("s1", [finding("alpha")]), config(jira=JIRA), fake_ok)
    sync(scan("s2", []), config(jira=JIRA), fake_ok)
    dumped = [plan.render(), str(plan.as_json()), plan2.render(), fake.bodies(), fake_ok.bodies()]
    dumped += [repr(e) for e in TicketLedger(store).entries().values()]
    dumped.append(caplog.text)
    assert all(SECRET not in text for text in dumped)
    # it was used, in the header only
    auth = fake_ok.exchanges[0][0].headers["Authorization"]
    assert auth.startswith("Basic ")


def test_missing_credentials_name_the_variable_not_a_value(sync: Any) -> None:
    with pytest.raises(TicketError, match="JIRA_TOKEN is not set"):
        sync(scan("s1", [finding("alpha")]), config(jira=JIRA), FakeJira(), env={})


def test_qualification_filters(sync: Any) -> None:
    fake = FakeJira()
    found = [
        finding("low", severity=Severity.MEDIUM),
        finding("other-item", item="(1)-3"),
        finding("other-scope", scope="222222222222"),
        finding("wanted", item="(2)-3"),
    ]
    cfg = config(jira=JIRA, min_severity="high", items=["(2)-3", "(2)-1"], scopes=["1111*"])
    plan = sync(scan("s1", found), cfg, fake, apply=False)
    assert sorted(a.bucket for a in plan.actions) == ["wanted"]
    plan = sync(scan("s1", found), config(jira=JIRA, min_severity="medium"), fake, apply=False)
    assert len(plan.actions) == 4


def test_japanese_ticket(sync: Any) -> None:
    fake = FakeJira()
    sync(scan("s1", [finding("alpha")]), config(jira=JIRA, lang="ja"), fake)
    (issue,) = fake.issues.values()
    assert issue.fields["summary"].startswith("データ所在: alpha")
    assert "複製先を変更してください" in str(issue.fields["description"])
