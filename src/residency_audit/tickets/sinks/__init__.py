"""Tracker sinks and the factory that builds them from ``[tickets]`` and the environment."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from ..http import RetryPolicy, TicketError, TrackerClient
from ..settings import TicketsSettings
from .base import NewTicket, Sink, Ticket, TicketStatus
from .github import GitHubSink
from .jira import JiraSink
from .roundup import RoundupSink, roundup_headers
from .servicenow import ServiceNowSink
from .webhook import WebhookSink

__all__ = [
    "GitHubSink",
    "JiraSink",
    "NewTicket",
    "RoundupSink",
    "ServiceNowSink",
    "Sink",
    "Ticket",
    "TicketStatus",
    "WebhookSink",
    "build_sinks",
]

USER_AGENT = "residency-audit-tickets"


def _env(env: Mapping[str, str], name: str, key: str) -> str:
    value = env.get(name)
    if not value:
        # name the variable, never a value
        raise TicketError(f"tickets.{key}: environment variable {name} is not set")
    return value


def build_sinks(
    settings: TicketsSettings,
    env: Mapping[str, str],
    *,
    transport: httpx.BaseTransport | None = None,
    retry: RetryPolicy | None = None,
    timeout: float = 30.0,
) -> tuple[list[Sink], list[httpx.Client]]:
    """One sink per configured tracker (and the clients to close when done)."""
    sinks: list[Sink] = []
    clients: list[httpx.Client] = []
    policy = retry or RetryPolicy()

    def client(
        name: str,
        base: str,
        secrets: tuple[str, ...],
        auth: httpx.Auth | None = None,
        headers: dict[str, str] | None = None,
    ) -> TrackerClient:
        c = httpx.Client(
            base_url=base,
            auth=auth,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
        )
        clients.append(c)
        return TrackerClient(name, c, policy, secrets)

    if (j := settings.jira) is not None:
        token = _env(env, j.token_env, "jira.token_env")
        if j.flavor == "datacenter":
            http = client("Jira", j.url, (token,), headers={"Authorization": f"Bearer {token}"})
        else:
            if not j.email_env:
                raise TicketError("tickets.jira.email_env: Jira Cloud signs in with e-mail + token")
            email = _env(env, j.email_env, "jira.email_env")
            http = client("Jira", j.url, (token,), auth=httpx.BasicAuth(email, token))
        sinks.append(JiraSink(j, http))
    if (g := settings.github) is not None:
        token = _env(env, g.token_env, "github.token_env")
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Authorization": f"Bearer {token}",
        }
        sinks.append(GitHubSink(g, client("GitHub", g.url, (token,), headers=headers)))
    if (s := settings.servicenow) is not None:
        user = _env(env, s.user_env, "servicenow.user_env")
        password = _env(env, s.password_env, "servicenow.password_env")
        auth = httpx.BasicAuth(user, password)
        headers = {"Accept": "application/json"}
        sinks.append(ServiceNowSink(s, client("ServiceNow", s.url, (password,), auth, headers)))
    if (w := settings.webhook) is not None:
        secret = _env(env, w.secret_env, "webhook.secret_env")
        try:
            sink = WebhookSink(
                w.url, secret, client("webhook", w.url, (secret,)), signature=w.signature
            )
        except ValueError as exc:  # the reason, never the value
            raise TicketError(
                f"tickets.webhook.secret_env: {w.secret_env} does not hold a Standard Webhooks "
                f'secret ({exc}); make one with: python -c "import base64, os; '
                f"print('whsec_' + base64.b64encode(os.urandom(32)).decode())\""
            ) from None
        sinks.append(sink)
    if (r := settings.roundup) is not None:
        user = _env(env, r.user_env, "roundup.user_env")
        password = _env(env, r.password_env, "roundup.password_env")
        http = client(
            "Roundup", r.url, (password,), httpx.BasicAuth(user, password), roundup_headers(r.url)
        )
        sinks.append(RoundupSink(r, user, http))
    return sinks, clients
