"""``[tickets]`` settings: which buckets get a ticket, in which language, and in which trackers.

A tracker is used when its table is present (``[tickets.jira]``, ``[tickets.github]``, ...).
Credentials are never settings: each tracker names the environment variables that hold them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..model import Severity

__all__ = [
    "DEFAULT_JIRA_PRIORITY",
    "GitHubSettings",
    "JiraSettings",
    "RoundupSettings",
    "ServiceNowSettings",
    "TicketsSettings",
    "WebhookSettings",
]

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_LABEL = r"^[^\s,\"']{1,100}$"  # Jira labels: no spaces; keep quoting out of JQL too


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _http_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL")
    if "@" in value.split("://", 1)[1].split("/", 1)[0]:
        raise ValueError("must not carry credentials: name environment variables instead")
    return value.rstrip("/")


Url = Annotated[str, AfterValidator(_http_url)]

# A Jira priority name as the tracker spells it: one line, no control characters.
PriorityName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
# Jira's stock priority scheme (Cloud and Data Center): critical findings go to the top.
DEFAULT_JIRA_PRIORITY: dict[Severity, str] = {
    Severity.CRITICAL: "Highest",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Lowest",
}


class JiraSettings(_Strict):
    url: Url  # API base, e.g. https://example.atlassian.net
    browse_url: Url | None = None  # where people open issues, if not the API base
    project: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,49}$")
    issue_type: str = "Task"
    flavor: Literal["cloud", "datacenter"] = "cloud"
    email_env: str | None = Field(default=None, pattern=_ENV_NAME)  # Cloud: Basic email:token
    token_env: str = Field(pattern=_ENV_NAME)  # Cloud API token, or Data Center PAT (Bearer)
    label: str = Field(default="data-residency", pattern=_LABEL)
    # extra fields for create, e.g. a custom field the project requires
    fields: dict[str, object] = Field(default_factory=dict)
    # resolutions that mean "a person decided not to fix": recorded as a suppression
    wontfix_resolutions: tuple[str, ...] = ("Won't Do", "Won't Fix", "Declined")
    # severity -> priority name set on create. A table given in the config replaces this one:
    # a severity it leaves out gets the project's default priority; {} sends no priority at all.
    priority: dict[Severity, PriorityName] = Field(
        default_factory=lambda: dict(DEFAULT_JIRA_PRIORITY)
    )


class GitHubSettings(_Strict):
    url: Url = "https://api.github.com"
    browse_url: Url | None = None
    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    token_env: str = Field(pattern=_ENV_NAME)
    label: str = Field(default="data-residency", pattern=_LABEL)


class ServiceNowSettings(_Strict):
    url: Url  # https://INSTANCE.service-now.com
    user_env: str = Field(pattern=_ENV_NAME)
    password_env: str = Field(pattern=_ENV_NAME)
    # close codes that mean "will not be fixed" (state 8, Canceled, counts as well)
    wontfix_close_codes: tuple[str, ...] = ("Not Solved (Too Costly)",)
    close_code: str = "Solved (Permanently)"


class WebhookSettings(_Strict):
    url: Url
    secret_env: str = Field(pattern=_ENV_NAME)
    # "legacy": X-Residency-Audit-Signature, as receivers written for it expect (the default, so
    # none of them breaks); "standard": Standard Webhooks headers, the secret a whsec_ key
    signature: Literal["legacy", "standard"] = "legacy"


class RoundupSettings(_Strict):
    url: Url  # the tracker's web URL, e.g. http://127.0.0.1:8080/tracker
    user_env: str = Field(pattern=_ENV_NAME)
    password_env: str = Field(pattern=_ENV_NAME)
    keyword: str = Field(default="data-residency", pattern=_LABEL)
    done_status: str = "resolved"
    reopen_status: str = "chatting"


class TicketsSettings(_Strict):
    lang: Literal["ja", "en"] = "ja"
    min_severity: Severity = Severity.HIGH
    items: tuple[str, ...] = ()  # guideline items; empty = any
    providers: tuple[str, ...] = ()  # empty = any
    scopes: tuple[str, ...] = ()  # account/project/subscription ids or shell patterns; empty = any
    report_url: str | None = None  # where people find the report (shown in every ticket)
    jira: JiraSettings | None = None
    github: GitHubSettings | None = None
    servicenow: ServiceNowSettings | None = None
    webhook: WebhookSettings | None = None
    roundup: RoundupSettings | None = None

    @property
    def configured(self) -> tuple[str, ...]:
        """Names of the trackers that have a table, in a fixed order."""
        names = ("jira", "github", "servicenow", "webhook", "roundup")
        return tuple(n for n in names if getattr(self, n) is not None)
