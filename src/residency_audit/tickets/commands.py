"""``residency-audit tickets sync``: plan (default) or apply ticket changes for a recorded scan.

The lead CLI adds this group lazily (``residency_audit.tickets.commands:tickets``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import InputError

__all__ = ["tickets", "tickets_group"]


class _Failed(click.ClickException):
    exit_code = 4


class _InputFailed(click.ClickException):
    exit_code = 2  # like the core's InputError: bad config, no such history or scan


@click.group("tickets")
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
    "--db",
    metavar="URL",
    envvar="RESIDENCY_AUDIT_HISTORY",
    show_envvar=True,
    help="History database (default: [history].url, else OUTPUT/history.db).",
)
@click.option("--apply", is_flag=True, help="Change the trackers (default: only show the plan).")
@click.option("--report-url", help="Where people find the report (default: [tickets].report_url).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def sync_command(
    config_path: Path,
    scan_ref: str,
    db: str | None,
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
    url = db or config.history_url(out_dir)
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
