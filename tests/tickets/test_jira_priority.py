"""Jira priority from the worst finding's severity: the default map, a configured one, none at
all, a bad value as a config error naming its key, and the request still Jira's documented shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from residency_audit.model import Severity
from residency_audit.tickets.commands import tickets

from .conftest import JIRA, FakeJira, config, finding, json_response, scan
from .test_tickets_contract import _Req, jira_openapi  # noqa: F401  (the fixture, shared)


def priorities(fake: FakeJira) -> dict[str, Any]:
    """Bucket name (from the summary) -> the priority the issue was created with."""
    out = {}
    for issue in fake.issues.values():
        name = issue.fields["summary"].split(": ", 1)[1].split(" ", 1)[0]
        out[name] = issue.fields.get("priority")
    return out


def estate() -> list[Any]:
    return [
        finding("crit", severity=Severity.CRITICAL),
        finding("hi", severity=Severity.HIGH),
        finding("med", severity=Severity.MEDIUM),
    ]


def test_default_map_puts_critical_at_the_top(sync: Any) -> None:
    fake = FakeJira()
    sync(scan("s1", estate()), config(jira=JIRA, min_severity="medium"), fake)
    assert priorities(fake) == {
        "crit": {"name": "Highest"},
        "hi": {"name": "High"},
        "med": {"name": "Medium"},
    }


def test_configured_map_replaces_the_default(sync: Any) -> None:
    fake = FakeJira()
    mine = {**JIRA, "priority": {"critical": "Blocker", "high": "Critical"}}
    sync(scan("s1", estate()), config(jira=mine, min_severity="medium"), fake)
    # a severity the map leaves out gets the project's default: no priority is sent
    assert priorities(fake) == {
        "crit": {"name": "Blocker"},
        "hi": {"name": "Critical"},
        "med": None,
    }


def test_an_empty_map_sends_no_priority_and_explicit_fields_win(sync: Any) -> None:
    fake = FakeJira()
    sync(scan("s1", estate()[:1]), config(jira={**JIRA, "priority": {}}), fake)
    assert priorities(fake) == {"crit": None}
    fake = FakeJira()
    explicit = {**JIRA, "fields": {"priority": {"id": "2"}}}
    sync(scan("s1", estate()[:1]), config(jira=explicit), fake)
    assert priorities(fake) == {"crit": {"id": "2"}}


class NoSuchPriority(FakeJira):
    """A project whose scheme has no 'Highest' (an older Data Center scheme, say)."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/issue"):
            import json

            prio = (json.loads(request.content)["fields"].get("priority") or {}).get("name")
            if prio not in (None, "Blocker", "Major"):
                return json_response(
                    400, {"errorMessages": [], "errors": {"priority": "The priority is invalid."}}
                )
        return super().handle(request)


def test_a_priority_the_project_lacks_says_which_setting_to_change(sync: Any) -> None:
    fake = NoSuchPriority()
    plan = sync(scan("s1", estate()[:1]), config(jira=JIRA), fake)
    (error,) = plan.errors
    assert "'Highest'" in error and "[tickets.jira.priority]" in error
    assert fake.issues == {}
    fixed = {**JIRA, "priority": {"critical": "Blocker", "high": "Major"}}
    plan = sync(scan("s2", estate()[:1]), config(jira=fixed), fake)
    assert not plan.errors and priorities(fake) == {"crit": {"name": "Blocker"}}


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('urgent = "Highest"', "tickets.jira.priority.urgent"),
        ('critical = ""', "tickets.jira.priority.critical"),
        ("critical = 1", "tickets.jira.priority.critical"),
    ],
)
def test_a_bad_priority_map_is_exit_2_naming_the_key(tmp_path: Path, table: str, key: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[providers.aws]\n[tickets.jira]\nurl = "https://x.atlassian.net"\nproject = "RA"\n'
        f'token_env = "T"\n[tickets.jira.priority]\n{table}\n',
        encoding="utf-8",
    )
    out = CliRunner().invoke(tickets, ["sync", "--config", str(cfg), "--db", "x.db"])
    assert out.exit_code == 2, out.output
    assert key in out.output


def test_the_create_request_with_a_priority_is_in_the_documented_shape(
    sync: Any,
    jira_openapi: Any,  # noqa: F811
) -> None:
    fake = FakeJira()
    sync(scan("s1", estate()[:1]), config(jira=JIRA), fake)
    creates = [r for r, _ in fake.exchanges if r.method == "POST" and r.url.path.endswith("/issue")]
    assert len(creates) == 1 and b'"priority":{"name":"Highest"}' in creates[0].content
    jira_openapi.validate_request(_Req(creates[0]))
