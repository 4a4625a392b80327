"""``residency-audit tickets sync``: plan (default) or apply ticket changes for a recorded scan.

The lead CLI adds this group lazily (``residency_audit.tickets.commands:tickets``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.core import ParameterSource

from ..cli import HISTORY_ENV
from ..errors import InputError
from ..logs import log_options

__all__ = ["tickets", "tickets_group"]


class _Failed(click.ClickException):
    exit_code = 4


class _InputFailed(click.ClickException):
    exit_code = 2  # like the core's InputError: bad config, no such history or scan


@click.group("tickets")
@log_options
def tickets_group() -> None:
    """Tickets for flagged buckets (Jira, GitHub, ServiceNow, webhook, Roundup)."""


tickets = tickets_group


@tickets_group.command("sync")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Scan config (TOML) with a [tickets] table.",
)
@click.option("--scan", "scan_ref", default="latest", show_default=True, help="Recorded scan.")
@click.option(
    "--history",
    "history_url",
    metavar="URL_OR_PATH",
    envvar=HISTORY_ENV,
    show_envvar=True,
    help="History database: a file path, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
    "(default: [history].url, else OUTPUT/history.db, as the config's scans record it).",
)
@click.option("--db", "db_alias", metavar="URL", hidden=True)  # the old spelling of --history
@click.option("--apply", is_flag=True, help="Change the trackers (default: only show the plan).")
@click.option("--report-url", help="Where people find the report (default: [tickets].report_url).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@log_options
@click.pass_context
def sync_command(
    ctx: click.Context,
    config_path: Path,
    scan_ref: str,
    history_url: str | None,
    db_alias: str | None,
    apply: bool,
    report_url: str | None,
    fmt: str,
) -> None:
    """Reconcile tickets with a recorded scan: open, comment, close, reopen."""
    from ..config import load_config
    from ..history import HistoryError, HistoryStore
    from .http import TicketError
    from .sync import sync_tickets

    try:
        config = load_config(config_path)
    except InputError as exc:
        raise _InputFailed(str(exc)) from None
    if not config.tickets.configured:
        raise click.UsageError(f"{config_path}: no tracker configured under [tickets]")
    out_dir = config.output_dir()
    # an option on the command line, then the environment, then where the config's scans record
    given = (
        history_url
        if ctx.get_parameter_source("history_url") is ParameterSource.COMMANDLINE
        else None
    )
    url = given or db_alias or history_url or config.history_url(out_dir)
    # absolute(), not resolve(): report.html is a link into the current report set
    report = report_url or config.tickets.report_url or str((out_dir / "report.html").absolute())
    try:
        with HistoryStore.open(url, create=False) as store:
            result = store.get_scan(scan_ref)
            plan = sync_tickets(result, config, store, apply=apply, report_url=report)
    except InputError as exc:  # HistoryInputError: no history there, no such scan
        raise _InputFailed(str(exc)) from None
    except (HistoryError, TicketError) as exc:
        raise _Failed(str(exc)) from None
    click.echo(
        json.dumps(plan.as_json(), indent=2, ensure_ascii=False) if fmt == "json" else plan.render()
    )
    if plan.errors:
        raise _Failed(f"{len(plan.errors)} tracker error(s); see above")
