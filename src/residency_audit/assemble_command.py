"""``residency-audit assemble --scan-group ID``: a sharded scan's shards, as one set of reports.

The shards (``scan --shard I/N --scan-group ID``) recorded their parts in the history. Once every
shard 0..N-1 has finished, the parts are merged into one inventory, evaluated once (the config's
rules, classification and profile, as a plain scan would), written through the usual writers
(staged, then swapped in) and recorded as an ordinary scan, so ``history diff`` and ``--new-only``
work on it. A shard missing, killed or still running is exit 3 naming it, and nothing is written;
``--wait`` keeps asking the history until the shards are in.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .cli import (
    EXIT_INCOMPLETE,
    EXIT_INTERNAL,
    HISTORY_ENV,
    _exit_code,
    _formats,
    _guard,
    _load_suppressions,
    _mark_delivered,
    _prepare_output,
    _record_history,
    _summary_line,
    _write,
    _zone,
    judging_options,
    ticket_options,
)
from .errors import InputError
from .logs import log_options
from .model import Severity

__all__ = ["assemble"]

_POLL_SECONDS = 10.0


@click.command("assemble")
@click.option("--scan-group", required=True, metavar="ID", help="The shards' --scan-group.")
@click.option(
    "--shards",
    "expected",
    type=click.IntRange(min=1),
    metavar="N",
    help="How many shards the group has (default: as the shards recorded it); with it, a group "
    "no shard of which ever arrived is named missing too.",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="Ask the history again every 10 s, up to this long, until every shard has finished.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The shards' scan config: profile, rules, classification, attestations, output.",
)
@click.option(
    "--history",
    "history_url",
    metavar="URL_OR_PATH",
    envvar=HISTORY_ENV,
    show_envvar=True,
    help="The history the shards recorded in (default: [history].url, else OUTPUT/history.db).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output directory (default: [output].dir, else reports/).",
)
@judging_options
@click.option("--new-only", is_flag=True, help="Exit 1 only for findings new since the last scan.")
@ticket_options
@click.option("--timezone", help="IANA zone for dates and times in the report and workbook.")
@click.option(
    "--output-formats",
    multiple=True,
    metavar="FMT[,FMT...]",
    help="Formats to write (default: [output] formats, else json,csv,html).",
)
@click.option("--quiet", "-q", is_flag=True, help="No summary line.")
@log_options
@_guard
def assemble(
    scan_group: str,
    expected: int | None,
    wait_seconds: int,
    config_path: Path | None,
    history_url: str | None,
    output: Path | None,
    profile: str | None,
    lang: str | None,
    fail_on: str | None,
    new_only: bool,
    suppressions: Path | None,
    tickets_mode: str | None,
    report_url: str | None,
    timezone: str | None,
    output_formats: tuple[str, ...],
    quiet: bool,
) -> None:
    """Assemble the shards of a sharded scan (scan --shard) into one set of reports."""
    from .config import Config, load_config
    from .history import HistoryError, HistoryInputError, HistoryStore
    from .history.shards import ShardRuns, ShardsMissing
    from .scan import evaluate_inventory, resolve_profile, settings_from_config

    # a config only for its evaluation and output settings: the shards did the collecting
    config = load_config(config_path) if config_path else Config(providers={"none": {}})
    chosen = (
        resolve_profile(profile, None, key="--profile")
        if profile
        else resolve_profile(config.profile, config.base_dir, source=config.source)
    )
    out_dir = config.output_dir(output)
    history = history_url or config.history_url(out_dir)
    zone = _zone(timezone, config.report.timezone)
    formats = _formats(output_formats) if output_formats else config.output.formats
    not_run = config.scan.selection.not_run
    if tickets_mode and not_run:
        raise InputError(
            f"tickets need every rule to run; this config leaves out {', '.join(not_run)}"
        )
    supp = _load_suppressions(
        suppressions
        or (config.base_dir / config.history.suppressions if config.history.suppressions else None)
    )
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with HistoryStore.open(history, create=False) as store:
                inventory = ShardRuns(store).assemble(scan_group, expected=expected)
            break
        except ShardsMissing as exc:
            if time.monotonic() + _POLL_SECONDS > deadline:
                click.echo(f"error: {exc}", err=True)
                sys.exit(EXIT_INCOMPLETE)
            time.sleep(_POLL_SECONDS)
        except HistoryInputError:
            raise  # no history there: exit 2
        except HistoryError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)
    _prepare_output(out_dir)  # only now: a group with shards missing leaves no trace
    result = evaluate_inventory(inventory, chosen, settings_from_config(config))
    result, pending, failed, plan_text = _record_history(
        result, history, supp, config, tickets_mode, report_url
    )
    written = _write(result, out_dir, lang or config.output.lang, formats, zone, config.output.asff)
    if pending is not None:
        failed = _mark_delivered(history, pending) or failed
    if not quiet:
        click.echo(_summary_line(result, written, not_run), err=True)
    if plan_text is not None:
        click.echo(plan_text)
    if failed:
        click.echo(f"error: {failed}", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(_exit_code(result, Severity(fail_on or config.output.fail_on), new_only))
