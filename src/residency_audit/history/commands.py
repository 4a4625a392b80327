"""``residency-audit history``: list, show, diff and prune recorded scans.

The lead CLI loads this group lazily. Every command takes ``--history URL_OR_PATH`` (``--db`` is
the old spelling, still accepted) and ``--config FILE``; without them the history is found as
:func:`default_history_url` says. Reading commands never create a history that is not there.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from ..cli import HISTORY_ENV
from ..errors import InputError
from ..logs import log_options
from ..markup import plain
from ..model import Finding, FindingState
from ..results import ScanResult
from .diff import ScanDiff
from .errors import HistoryError
from .store import HistoryStore, ScanSummary

__all__ = [
    "DEFAULT_HISTORY_URL",
    "DEFAULT_OUTPUT_DIR",
    "HISTORY_ENV",
    "default_history_url",
    "history",
    "history_group",
]

DEFAULT_OUTPUT_DIR = Path("reports")  # a scan's output directory without --output or [output].dir
DEFAULT_HISTORY_URL = f"sqlite:///{DEFAULT_OUTPUT_DIR}/history.db"

F = TypeVar("F", bound=Callable[..., Any])
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def default_history_url(config_path: Path | None) -> str:
    """The history a command reads when neither ``--history`` nor ``$RESIDENCY_AUDIT_HISTORY``
    names one: with ``--config``, the one ``scan --config`` records ([history].url, else
    history.db in the config's output directory); without, ``reports/history.db``, else the only
    ``reports/*/history.db`` (``make demo`` records ``reports/demo/history.db``)."""
    if config_path is not None:
        from ..config import load_config

        try:
            config = load_config(config_path)
        except InputError as exc:
            raise _InputFailed(str(exc)) from None
        return config.history_url(config.output_dir())
    if (DEFAULT_OUTPUT_DIR / "history.db").exists():
        return DEFAULT_HISTORY_URL
    found = sorted(DEFAULT_OUTPUT_DIR.glob("*/history.db"))
    if len(found) > 1:
        raise _InputFailed(
            f"no {DEFAULT_OUTPUT_DIR / 'history.db'}, and several histories under "
            f"{DEFAULT_OUTPUT_DIR}/: {', '.join(map(str, found))}; choose one with --history"
        )
    if not found:
        return DEFAULT_HISTORY_URL  # reading it says no scan has been recorded there
    # stderr, so the output stays what --format asked for; the reader should know whose history
    click.echo(f"history: {found[0]} (give --history to read another)", err=True)
    return f"sqlite:///{found[0]}"


def _db_option(func: F) -> F:
    """``--history``, its old spelling ``--db`` and ``--config``, resolved into one ``db``
    argument: an option on the command line, else the environment, else
    :func:`default_history_url`."""

    @functools.wraps(func)
    def resolved(
        *args: Any,
        history_url: str | None,
        db_alias: str | None,
        config_path: Path | None,
        **kwargs: Any,
    ) -> Any:
        source = click.get_current_context().get_parameter_source("history_url")
        given = history_url if source is ParameterSource.COMMANDLINE else None
        db = given or db_alias or history_url or default_history_url(config_path)
        return func(*args, db=db, **kwargs)

    options = (
        click.option(
            "--history",
            "history_url",
            metavar="URL_OR_PATH",
            envvar=HISTORY_ENV,
            show_envvar=True,
            help="History database: a file path, sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB (default: the one --config's scan records, "
            "else reports/history.db, else the only reports/*/history.db).",
        ),
        click.option("--db", "db_alias", metavar="URL", hidden=True),  # the old spelling
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Scan config: read the history its scans record.",
        ),
    )
    command: Any = resolved
    for option in reversed(options):
        command = option(command)
    return command  # type: ignore[no-any-return]


def _format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Output format.",
    )(func)


class _InputFailed(click.ClickException):
    exit_code = 2  # like the core's InputError: the user asked for something unusable


def _failed(error: HistoryError) -> click.ClickException:
    return (_InputFailed if error.exit_code == 2 else click.ClickException)(str(error))


@contextmanager
def _open(db: str) -> Iterator[HistoryStore]:
    """The existing history at ``db``; any HistoryError opening or using it becomes a CLI error."""
    try:
        with HistoryStore.open(db, create=False) as store:
            yield store
    except HistoryError as exc:
        raise _failed(exc) from None


def _clean(value: object) -> str:
    """Terminal-safe: names and messages are untrusted and may carry escape sequences."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", plain(str(value)))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%MZ") if value else "-"


@click.group("history")
@log_options
def history_group() -> None:
    """Recorded scans: list them, show one, diff two, prune old ones."""


history = history_group  # the name cli.py registers


@history_group.command("list")
@_db_option
@click.option("--limit", type=click.IntRange(min=1), help="Show only the newest N scans.")
@_format_option
@log_options
def list_command(db: str, limit: int | None, fmt: str) -> None:
    """List recorded scans, newest first."""
    with _open(db) as store:
        scans = store.list_scans(limit)
    if fmt == "json":
        click.echo(json.dumps([_summary_json(s) for s in scans], indent=2))
        return
    if not scans:
        click.echo(f"no scans recorded in {store.url}")
        return
    header = (
        "SCAN",
        "STARTED",
        "FINDINGS",
        "NEW",
        "REOPENED",
        "RESOLVED",
        "SUPPRESSED",
        "COVERAGE",
        "REPORTS",
    )
    rows = [
        (
            _clean(s.id),
            _when(s.started),
            str(s.findings),
            str(s.new),
            str(s.reopened),
            str(s.resolved),
            str(s.suppressed),
            "complete" if s.complete else "INCOMPLETE",
            # a run stopped before its reports were swapped in: not counted as shown to anyone
            "delivered" if s.delivered else "NOT DELIVERED",
        )
        for s in scans
    ]
    _table(header, rows)


@history_group.command("show")
@click.argument("scan", default="latest")
@_db_option
@_format_option
@log_options
def show_command(scan: str, db: str, fmt: str) -> None:
    """Show one scan: SCAN is an id, a unique prefix, `latest` or `latest~N` (`latest` counts
    only scans whose reports were delivered).

    With --format json this prints the scan's findings.json as recorded.
    """
    with _open(db) as store:
        result = store.get_scan(scan)
    if fmt == "json":
        click.echo(plain(result.model_dump_json(by_alias=True, indent=2)))
        return
    _show(result)


@history_group.command("diff")
@click.argument("scan_a", required=False)
@click.argument("scan_b", required=False)
@_db_option
@_format_option
@log_options
def diff_command(scan_a: str | None, scan_b: str | None, db: str, fmt: str) -> None:
    """What changed between two scans (default: the last two delivered; with one, SCAN_A to the
    latest delivered)."""
    with _open(db) as store:
        b = store.resolve_id(scan_b or "latest")
        a = store.resolve_id(scan_a) if scan_a else store.earlier_scan(b)
        if a is None:
            raise click.UsageError(f"scan {b} has no earlier scan to diff against")
        diff = store.diff(a, b)
    if fmt == "json":
        click.echo(plain(json.dumps(_diff_json(diff), indent=2, ensure_ascii=False)))
        return
    _show_diff(diff)


@history_group.command("prune")
@click.option("--keep", type=click.IntRange(min=1), help="Keep the newest N scans.")
@click.option(
    "--older-than",
    "older_than",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Delete scans started more than DAYS days ago.",
)
@_db_option
@log_options
def prune_command(keep: int | None, older_than: int | None, db: str) -> None:
    """Delete old scans. When each finding was first seen is kept."""
    if (keep is None) == (older_than is None):
        raise click.UsageError("give exactly one of --keep N or --older-than DAYS")
    with _open(db) as store:
        age = timedelta(days=older_than) if older_than is not None else None
        removed = store.prune(keep=keep, older_than=age)
        left = store.scan_count()
    click.echo(f"pruned {len(removed)} scan(s); {left} left in {store.url}")


# -- rendering ---------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _finding_rows(findings: Sequence[Finding]) -> list[tuple[str, ...]]:
    return [
        (
            f.state.value if f.state else "-",
            f.severity.value,
            _clean(f.rule_id),
            _clean(f"{f.provider}:{f.scope}"),
            _clean(f.resource.name if f.resource else "(scope)"),
            _when(f.first_seen),
            f.fingerprint[:12],
        )
        for f in findings
    ]


_FINDING_HEADER = ("STATE", "SEVERITY", "RULE", "SCOPE", "RESOURCE", "FIRST SEEN", "FINGERPRINT")


def _show(result: ScanResult) -> None:
    scan, cov = result.scan, result.scan.coverage
    click.echo(f"scan {_clean(scan.id)}  {_when(scan.started)} .. {_when(scan.finished)}")
    click.echo(f"profile {_clean(scan.profile.name)} ({scan.profile.sha256[:12]})")
    click.echo(f"previous scan: {_clean(result.previous_scan_id or '-')}")
    click.echo(
        f"coverage: {'complete' if cov.complete else 'INCOMPLETE'}; scopes {cov.scopes_total} "
        f"({cov.scopes_complete} complete, {cov.scopes_incomplete} incomplete, "
        f"{cov.scopes_failed} failed); buckets {cov.buckets}"
    )
    for s in result.inventory.scopes:
        error = f"  {_clean(s.error)}" if s.error else ""
        click.echo(f"  {s.status.value:<10} {_clean(s.provider)}:{_clean(s.scope)}{error}")
    active = [f for f in result.findings if f.suppression is None]
    suppressed = [f for f in result.findings if f.suppression is not None]
    counts = {st: sum(1 for f in result.findings if f.state is st) for st in FindingState}
    click.echo(
        f"\nfindings: {len(result.findings)} ({counts[FindingState.NEW]} new, "
        f"{counts[FindingState.REOPENED]} reopened, {counts[FindingState.PERSISTING]} persisting; "
        f"{len(suppressed)} suppressed)"
    )
    if active:
        _table(_FINDING_HEADER, _finding_rows(active))
    if result.resolved:
        click.echo(f"\nresolved since the previous scan: {len(result.resolved)}")
        _table(_FINDING_HEADER, _finding_rows(result.resolved))
    if suppressed:
        click.echo(f"\nsuppressed (accepted exceptions): {len(suppressed)}")
        header = ("SEVERITY", "RULE", "RESOURCE", "SUPPRESSION", "APPROVED BY", "EXPIRES", "REASON")
        rows = [
            (
                f.severity.value,
                _clean(f.rule_id),
                _clean(f.resource.name if f.resource else "(scope)"),
                _clean(f.suppression.id),
                _clean(f.suppression.approved_by),
                f.suppression.expires.isoformat(),
                _clean(f.suppression.reason),
            )
            for f in suppressed
            if f.suppression
        ]
        _table(header, rows)
    if result.stale_suppressions:
        stale = ", ".join(_clean(s) for s in result.stale_suppressions)
        click.echo(f"\nstale suppressions (matched nothing): {stale}")


def _show_diff(diff: ScanDiff) -> None:
    click.echo(
        f"{_clean(diff.a.id)} ({_when(diff.a.started)}) -> "
        f"{_clean(diff.b.id)} ({_when(diff.b.started)})"
    )
    sections = (
        ("new", diff.new),
        ("resolved", diff.resolved),
        ("not re-checked (scope not collected completely; not resolved)", diff.unconfirmed),
    )
    for title, findings in sections:
        click.echo(f"\n{title}: {len(findings)}")
        if findings:
            _table(_FINDING_HEADER, _finding_rows(findings))
    click.echo(f"\npersisting: {len(diff.persisting)}")


def _summary_json(s: ScanSummary) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(s).items()}


def _diff_json(diff: ScanDiff) -> dict[str, Any]:
    def dump(findings: Sequence[Finding]) -> list[Any]:
        return [f.model_dump(mode="json") for f in findings]

    return {
        "a": diff.a.id,
        "b": diff.b.id,
        "new": dump(diff.new),
        "resolved": dump(diff.resolved),
        "unconfirmed": dump(diff.unconfirmed),
        "persisting": dump(diff.persisting),
    }
