"""The ``residency-audit`` command. The only module that prints or exits.

Exit codes (docs/cli.md):
  0  nothing at or above ``--fail-on``
  1  findings at or above ``--fail-on``
  2  usage, config or input error, or an unusable output directory (nothing written)
  3  scan incomplete: a scope or provider could not be collected (reports are still written)
  4  internal error, or the reports or history could not be written
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import click

from . import __version__
from .errors import CollectionError, InputError
from .logs import log_options, root_log_options, set_root_logging
from .model import Severity
from .results import ScanResult

if TYPE_CHECKING:
    from .catalog.drift import CheckResult, SkippedSource, UnreadSource
    from .catalog.listing import ListedRegion, RegionListing
    from .config import AsffSettings, Config
    from .history import PendingScan, Suppressions
    from .plugins import Provider

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
SEVERITIES = [s.value for s in Severity]
# the history database every command reads or records when no --history is given
HISTORY_ENV = "RESIDENCY_AUDIT_HISTORY"

log = logging.getLogger("residency_audit.cli")


def _guard(func: F) -> F:
    """Turn library errors into messages and exit codes."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INPUT)
        except (click.exceptions.Exit, click.ClickException, BrokenPipeError):
            raise  # click reports these itself (a closed pipe, as in `| head`, is no bug of ours)
        except Exception as exc:
            log.exception("internal error")
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def _stacked(*options: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator, listed in ``--help`` in the order given."""

    def apply(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


# the policy profile, the report's language and the exit gate: ``scan`` and ``assemble``
judging_options = _stacked(
    click.option("--profile", help="Override the config's policy profile (name or TOML path)."),
    click.option("--lang", type=click.Choice(["ja", "en"]), help="Report language (default ja)."),
    click.option(
        "--fail-on", type=click.Choice(SEVERITIES), help="Exit 1 at or above this severity."
    ),
)
# accepted exceptions and ticketing, the same on ``scan`` and ``assemble``
ticket_options = _stacked(
    click.option(
        "--suppressions",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Accepted exceptions file (overrides [history].suppressions).",
    ),
    click.option("--tickets", "tickets_mode", flag_value="plan", help="Show the ticket plan."),
    click.option(
        "--apply-tickets",
        "tickets_mode",
        flag_value="apply",
        help="Open, update and close tickets in the configured trackers.",
    ),
    click.option("--report-url", help="Where the report will be published (linked from tickets)."),
)


class _Cli(click.Group):
    """Loads the ``history`` group only when it is used: it brings in SQLAlchemy."""

    lazy: ClassVar[dict[str, tuple[str, str, str]]] = {
        "history": (
            "residency_audit.history.commands",
            "history",
            "Scan history: list, show, diff, prune.",
        ),
        "tickets": (
            "residency_audit.tickets.commands",
            "tickets",
            "Tickets for flagged buckets: plan, or apply with --apply.",
        ),
        "permissions": (
            "residency_audit.permissions_command",
            "permissions",
            "The read-only policy, role or template a provider plugin needs.",
        ),
        "assemble": (
            "residency_audit.assemble_command",
            "assemble",
            "Assemble a sharded scan's shards from the history into one set of reports.",
        ),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            import importlib

            module, attr, _ = self.lazy[cmd_name]
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in click.Group.list_commands(self, ctx):
            cmd = click.Group.get_command(self, ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(60)))
        rows += [(name, help_) for name, (_, _, help_) in self.lazy.items()]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="residency-audit")
@root_log_options
@click.pass_context
def cli(ctx: click.Context, log_format: str, verbose: int) -> None:
    """Where your cloud storage keeps copies of your data, judged against CISTEC's 2013
    guideline for export-controlled technical information (保管サーバーの設置国・地域).

    -v and --log-format may also follow the command (`scan --config x -v`)."""
    set_root_logging(ctx, log_format, verbose)


def _exit_code(result: ScanResult, fail_on: Severity, new_only: bool = False) -> int:
    from .gate import fails

    if not result.scan.coverage.complete:
        return EXIT_INCOMPLETE
    return EXIT_FINDINGS if fails(result, fail_on, new_only) else EXIT_OK


def _summary_line(result: ScanResult, written: Sequence[Path], not_run: Sequence[str] = ()) -> str:
    cov = result.scan.coverage
    counts = {s: 0 for s in Severity}
    unverified = 0
    for f in result.findings:  # one pass: they may be on disk (spill)
        counts[f.severity] += 1
        unverified += f.unverified
    by_sev = ", ".join(f"{counts[s]} {s.value}" for s in Severity)
    # "complete" promises nothing is left to check: every scope read, every finding verified
    if cov.complete and not unverified:
        status = "complete"
    else:
        # every scope failed: zero buckets and zero findings say nothing about the estate
        incomplete = (
            "INCOMPLETE: nothing could be collected" if cov.nothing_collected else "INCOMPLETE"
        )
        status = ", ".join(
            ([incomplete] if not cov.complete else ["every scope read"])
            + ([f"{unverified} finding{'s' * (unverified > 1)} UNVERIFIED"] if unverified else [])
        )
    where = written[0].parent if written else "-"
    # a region newer than the shipped catalog: its copies are UNKNOWN, and the admin should know why
    unmapped = ", ".join(f"{u.provider}:{u.code}" for u in cov.unmapped_codes)
    return (
        f"{cov.buckets} buckets in {cov.scopes_total} scopes ({status}); "
        f"{len(result.findings)} findings: {by_sev}; "
        + (f"location codes not in the catalog: {unmapped}; " if unmapped else "")
        # a narrowed run must not read as a clean bill for the rules it skipped
        + (f"rules not run: {', '.join(not_run)}; " if not_run else "")
        + f"reports in {where}"
    )


@cli.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Scan config (TOML). Optional with --provider.",
)
@click.option(
    "--provider",
    "provider_names",
    multiple=True,
    metavar="NAME",
    help="Scan this provider (aws, gcp, azure; repeatable or comma-separated), with the SDK's "
    "default credentials and no config file needed; with --config, only these of its providers.",
)
@click.option(
    "--account",
    multiple=True,
    metavar="ID",
    help="AWS: only these 12-digit accounts (repeatable or comma-separated); an account other "
    "than the caller's is entered through the audit role.",
)
@click.option("--project", multiple=True, metavar="ID", help="GCP: only these projects.")
@click.option(
    "--subscription", multiple=True, metavar="ID", help="Azure: only these subscriptions."
)
@click.option(
    "--region",
    multiple=True,
    metavar="CODE",
    help="AWS: read regional services (AWS Backup) in these regions only, instead of every "
    "enabled one; buckets are listed everywhere regardless.",
)
@click.option("--aws-profile", metavar="NAME", help="AWS: the named profile of the AWS config.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output directory (default: [output].dir, else reports/).",
)
@judging_options
@click.option("--new-only", is_flag=True, help="With history: exit 1 only for new findings.")
@click.option(
    "--history",
    "history_url",
    metavar="URL_OR_PATH",
    envvar=HISTORY_ENV,
    show_envvar=True,
    help="History database: a file path, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
    "(default: [history].url, else OUTPUT/history.db).",
)
@click.option("--no-history", is_flag=True, help="Do not record this scan in a history.")
@ticket_options
@click.option(
    "--timezone",
    help="IANA zone for every date and time in the report and workbook, e.g. Asia/Tokyo "
    "(default: [report] timezone, else this machine's zone; JSON and CSV stay UTC).",
)
@click.option(
    "--rules",
    "include_rules",
    multiple=True,
    metavar="ID[,ID...]",
    help="Run only these rules: ids or globs such as 'location.*', comma-separated or repeated "
    "(default: [scan] rules, else every rule; `rules list` shows them).",
)
@click.option(
    "--exclude-rules",
    multiple=True,
    metavar="ID[,ID...]",
    help="Do not run these rules (default: [scan] exclude_rules).",
)
@click.option(
    "--output-formats",
    multiple=True,
    metavar="FMT[,FMT...]",
    help="Formats to write: json, csv, html, xlsx, ocsf, asff, comma-separated or repeated "
    "(default: [output] formats, else json,csv,html).",
)
@click.option(
    "--shard",
    "shard_text",
    metavar="I/N",
    help="Collect only shard I of N (0-based) and record it in the history under --scan-group; "
    "no reports: `assemble` reports the group once every shard has finished.",
)
@click.option(
    "--scan-group",
    metavar="ID",
    help="With --shard: the id every shard of one sharded scan shares (a CI run id, a label).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no summary line.")
@log_options
@_guard
def scan(
    config_path: Path | None,
    provider_names: tuple[str, ...],
    account: tuple[str, ...],
    project: tuple[str, ...],
    subscription: tuple[str, ...],
    region: tuple[str, ...],
    aws_profile: str | None,
    output: Path | None,
    profile: str | None,
    lang: str | None,
    fail_on: str | None,
    new_only: bool,
    history_url: str | None,
    no_history: bool,
    suppressions: Path | None,
    tickets_mode: str | None,
    report_url: str | None,
    timezone: str | None,
    include_rules: tuple[str, ...],
    exclude_rules: tuple[str, ...],
    output_formats: tuple[str, ...],
    shard_text: str | None,
    scan_group: str | None,
    quiet: bool,
) -> None:
    """Collect every configured provider, evaluate, and write the reports.

    Scope it with a config file (--config), on the command line (--provider with --account,
    --project, --subscription, --region), or both: an option wins over the file."""
    from .cli_scope import CommandLineScope, scoped_config, split_values
    from .config import load_config
    from .errors import ConfigError
    from .progress import progress_display
    from .scan import build_providers, resolve_profile, run_scan
    from .shard import parse_shard

    spec = parse_shard(shard_text) if shard_text is not None else None
    if spec is not None:
        _check_shard_options(scan_group, no_history, new_only, tickets_mode)
    elif scan_group is not None:
        raise InputError("--scan-group is for --shard I/N (a shard of a sharded scan)")
    given = {
        "account": split_values(account),
        "project": split_values(project),
        "subscription": split_values(subscription),
        "region": split_values(region),
        "aws_profile": aws_profile,
    }
    scoped = scoped_config(
        load_config(config_path) if config_path else None,
        CommandLineScope(split_values(provider_names), {k: v for k, v in given.items() if v}),
    )
    config = _with_rules(scoped.config, include_rules, exclude_rules)
    not_run = config.scan.selection.not_run
    chosen = (
        resolve_profile(profile, None, key="--profile")
        if profile
        else resolve_profile(config.profile, config.base_dir, source=config.source)
    )
    try:
        providers = build_providers(config)  # every config error before anything is written
    except ConfigError as exc:
        raise scoped.explain(exc) from None
    zone = _zone(timezone, config.report.timezone)
    chosen_formats = _formats(output_formats) if output_formats else config.output.formats
    out_dir = config.output_dir(output)
    history = None if no_history else (history_url or config.history_url(out_dir))
    supp_path = suppressions or (
        config.base_dir / config.history.suppressions if config.history.suppressions else None
    )
    if (new_only or tickets_mode) and not history:
        raise InputError("--new-only and tickets need a scan history (drop --no-history)")
    if tickets_mode and not_run:
        # a bucket whose flagged findings came only from left-out rules would look fixed
        raise InputError(
            f"tickets need every rule to run; this scan leaves out {', '.join(not_run)} "
            "(drop --rules / --exclude-rules, or scan without --tickets)"
        )
    if spec is not None and history and scan_group:
        from .shard_run import run_shard

        code, line = run_shard(config, providers, spec, scan_group, history, quiet=quiet)
        if line:
            click.echo(line, err=True)
        sys.exit(code)
    supp = _load_suppressions(supp_path)
    _prepare_output(out_dir)  # before collection: a bad directory costs nothing
    from .spill import SpillError

    try:
        with progress_display(enabled=not quiet) as progress:
            result = run_scan(config, progress=progress, profile=chosen, providers=providers)
    except ConfigError as exc:  # a setting found wanting on use (no project to scan)
        raise scoped.explain(exc) from None
    except SpillError as exc:  # nothing was written: the previous reports stay as they were
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INTERNAL)
    history_failed = None
    plan_text = None
    pending = None
    if history:
        result, pending, history_failed, plan_text = _record_history(
            result, history, supp, config, tickets_mode, report_url
        )
    elif supp is not None:
        from .history import apply_suppressions

        result = apply_suppressions(result, supp)
    written = _write(
        result, out_dir, lang or config.output.lang, chosen_formats, zone, config.output.asff
    )
    if pending is not None and history is not None:
        # only now, with the reports swapped in, may the history count them as shown
        history_failed = _mark_delivered(history, pending) or history_failed
    if not quiet:
        click.echo(_summary_line(result, written, not_run), err=True)
    if plan_text is not None:
        click.echo(plan_text)
    if history_failed:
        click.echo(f"error: {history_failed}", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(_exit_code(result, Severity(fail_on or config.output.fail_on), new_only))


def _check_shard_options(
    group: str | None, no_history: bool, new_only: bool, tickets_mode: str | None
) -> None:
    """A shard records its part only: what judges the whole scan belongs to `assemble`."""
    import re

    if not group:
        raise InputError("--shard needs --scan-group ID, the same for every shard of the scan")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}", group):
        raise InputError(
            f"--scan-group: {group!r} is not an id (letters, digits, . _ : -; at most 200)"
        )
    if no_history:
        raise InputError("--shard records its part in the history: drop --no-history")
    if new_only or tickets_mode:
        raise InputError(
            "--new-only and tickets judge the whole scan: give them to `assemble`, not --shard"
        )


def _with_rules(config: Config, include: Sequence[str], exclude: Sequence[str]) -> Config:
    """``--rules`` / ``--exclude-rules`` over ``[scan] rules`` / ``exclude_rules``: an option
    given replaces its key. The selection travels in the config, as the scan reads it."""
    from pydantic import ValidationError

    from .config import ScanSettings
    from .rules.selection import split_patterns

    update: dict[str, tuple[str, ...]] = {}
    if include:
        update["rules"] = split_patterns(include)
    if exclude:
        update["exclude_rules"] = split_patterns(exclude)
    if not update:
        return config
    try:
        scan = ScanSettings.model_validate({**config.scan.model_dump(), **update})
    except ValidationError as exc:
        first = exc.errors()[0]
        options = {"rules": "--rules", "exclude_rules": "--exclude-rules"}
        if first["loc"]:  # one pattern: it came from an option (the config's were checked)
            where = options[str(first["loc"][0])]
        else:  # the two together: name the config key that took part, if any
            used = [options[k] for k in update] + [
                f"[scan] {k} in {config.source}"
                for k in options
                if k not in update and getattr(config.scan, k)
            ]
            where = " with ".join(used)
        raise InputError(f"{where}: {first['msg']}") from None
    return config.model_copy(update={"scan": scan})


def _formats(values: Sequence[str]) -> tuple[str, ...]:
    """``--output-formats``: repeated, each comma-separated; an unknown one is exit 2."""
    from .formats import FORMATS

    chosen = tuple(dict.fromkeys(f.strip().lower() for v in values for f in v.split(",")))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise InputError(
            f"--output-formats: unknown format {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(FORMATS)}"
        )
    return chosen


def _load_suppressions(path: Path | None) -> Suppressions | None:
    if path is None:
        return None
    from .history import load_suppressions

    return load_suppressions(path)


def _record_history(
    result: ScanResult,
    url: str,
    supp: Suppressions | None,
    config: Config,
    tickets_mode: str | None,
    report_url: str | None,
) -> tuple[ScanResult, PendingScan | None, str | None, str | None]:
    """Record the scan as not yet delivered (and sync tickets); a history or tracker failure
    must not lose the scan's reports. Returns the annotated result, the pending record, the
    failure if any, and the ticket plan."""
    from .history import HistoryError, HistoryInputError, HistoryStore, Suppressions
    from .history.ledger import TicketLedger

    try:
        with HistoryStore.open(url) as store:
            # tickets a person closed as won't-fix are accepted exceptions from now on
            accepted = TicketLedger(store).suppressions()
            if accepted.items:
                mine = supp.items if supp is not None else ()
                supp = Suppressions(items=(*mine, *accepted.items), source=accepted.source)
            pending = store.begin(result, suppressions=supp)
            result = pending.result
            if tickets_mode is None:
                return result, pending, None, None
            from .tickets.http import TicketError
            from .tickets.sync import sync_tickets

            try:
                plan = sync_tickets(
                    result, config, store, apply=tickets_mode == "apply", report_url=report_url
                )
            except TicketError as exc:
                return result, pending, f"tickets: {exc}", None
            failure = "; ".join(plan.errors) or None
            return plan.result or result, pending, failure, plan.render()
    except HistoryInputError:
        raise
    except HistoryError as exc:
        log.error("scan history not recorded: %s", exc)
        return result, None, f"scan history not recorded: {exc}", None


def _mark_delivered(url: str, pending: PendingScan) -> str | None:
    from .history import HistoryError, HistoryStore

    try:
        with HistoryStore.open(url) as store:
            store.deliver(pending)
    except HistoryError as exc:
        log.error("scan history not marked delivered: %s", exc)
        return f"scan {pending.result.scan.id} recorded, but not marked delivered: {exc}"
    return None


def _prepare_output(out_dir: Path) -> None:
    """Create and probe the output directory; remove what a killed run left there."""
    from .report import FORMATS, prepare_output_dir, report_names

    prepare_output_dir(out_dir, report_names(FORMATS))


def _zone(option: str | None, configured: str | None) -> tzinfo:
    """``--timezone``, else ``[report] timezone``, else the machine's zone."""
    from .localtime import display_zone

    try:
        return display_zone(option or configured)
    except ValueError as exc:
        raise InputError(f"--timezone: {exc}") from None


def _write(
    result: ScanResult,
    out_dir: Path,
    lang: str,
    formats: Sequence[str],
    zone: tzinfo,
    asff: AsffSettings | None = None,
) -> list[Path]:
    from .report import write_reports

    try:
        return write_reports(
            result,
            out_dir,
            lang=lang,
            formats=tuple(formats),
            zone=zone,
            asff_account=asff.account if asff else None,
            asff_region=asff.region if asff else None,
        )
    except OSError as exc:  # the directory was fine before collection: disk full, removed, ...
        where = exc.filename or out_dir
        click.echo(
            f"error: the reports could not be written to {where}: {exc.strerror or exc}; "
            "the previous reports are unchanged",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)


@cli.command()
@click.argument("inventory", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--profile", default="jp-default", show_default=True, help="Name or TOML path.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config to take classification keys and attestations from.",
)
@click.option("--output", "-o", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="high", show_default=True)
@click.option(
    "--timezone",
    help="IANA zone for dates and times in the report (default: the config's, else the machine's).",
)
@click.option("--quiet", "-q", is_flag=True)
@log_options
@_guard
def evaluate(
    inventory: Path,
    profile: str,
    config_path: Path | None,
    output: Path,
    lang: str,
    fail_on: str,
    timezone: str | None,
    quiet: bool,
) -> None:
    """Re-evaluate a saved inventory.json offline (no cloud calls)."""
    from .config import load_config
    from .inventory_file import load_inventory
    from .rules import EvaluationSettings
    from .scan import evaluate_inventory, resolve_profile, settings_from_config

    inv = load_inventory(inventory)
    chosen = resolve_profile(profile, None, key="--profile")
    configured_zone = None
    not_run: tuple[str, ...] = ()
    if config_path:
        config = load_config(config_path)
        settings = settings_from_config(config)
        configured_zone = config.report.timezone
        not_run = config.scan.selection.not_run
    else:
        from datetime import UTC, datetime

        settings = EvaluationSettings(today=datetime.now(UTC).date())
    zone = _zone(timezone, configured_zone)
    _prepare_output(output)
    result = evaluate_inventory(inv, chosen, settings)
    written = _write(result, output, lang, ("json", "csv", "html"), zone)
    if not quiet:
        click.echo(_summary_line(result, written, not_run), err=True)
    sys.exit(_exit_code(result, Severity(fail_on)))


@cli.command()
@click.option(
    "--provider",
    type=click.Choice(["aws", "gcp", "azure"], case_sensitive=False),
    help="Only this provider.",
)
@click.option("--country", help="Only locations in this ISO 3166-1 alpha-2 country.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@log_options
@_guard
def regions(provider: str | None, country: str | None, as_json: bool) -> None:
    """List the jurisdiction catalog: every location code, its country and source."""
    from .catalog import iso_countries, load_catalog

    cc = country.strip().upper() if country is not None else None
    if cc is not None and cc not in iso_countries():
        # an empty table would read as "no location there"; a typo is not an answer
        raise InputError(
            f"--country {country!r} is not an ISO 3166-1 alpha-2 country code (e.g. JP, HK, GB)"
        )
    rows = load_catalog().entries(provider=provider, country=cc)
    if as_json:
        click.echo(json.dumps([_entry_dict(r) for r in rows], ensure_ascii=False, indent=2))
        return
    cells = [
        (
            r.provider,
            r.code,
            r.display_name,
            ";".join(r.countries) or "UNKNOWN",
            r.location_type + (" (candidates)" if r.candidates else ""),
            r.cloud,
            "yes" if r.verified else "UNVERIFIED",
        )
        for r in rows
    ]
    _print_table(("provider", "code", "name", "countries", "type", "cloud", "verified"), cells, 2)


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]], keep_whole: int) -> None:
    """A table on a terminal (its first ``keep_whole`` columns never wrapped); piped, one
    tab-separated line per row, for grep and cut."""
    if not sys.stdout.isatty():
        for row in (header, *rows):
            click.echo("\t".join(row))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*header)
    for col in table.columns[:keep_whole]:
        col.no_wrap = True
    for row in rows:
        table.add_row(*row)
    Console(soft_wrap=True).print(table)


def _entry_dict(entry: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(entry)


@cli.group("catalog")
@log_options
def catalog_group() -> None:
    """The jurisdiction catalog: is it in step with the providers' own region lists?"""


@catalog_group.command("check")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Scan config: also compare with each configured provider's live region list.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@log_options
@_guard
def catalog_check(config_path: Path | None, as_json: bool) -> None:
    """Compare the shipped catalog with the installed SDKs' region data and, with --config, the
    providers' live lists. Exit 0 in step, 1 drift, 3 a source could not be (fully) read."""
    from .catalog import load_catalog
    from .catalog.drift import check

    providers: Mapping[str, Provider] = {}
    if config_path is not None:
        from .config import load_config
        from .scan import build_providers

        providers = build_providers(load_config(config_path))  # config errors first: exit 2
    listings, unread, skipped = _region_listings(providers)
    result = check(listings, load_catalog(), unread, skipped)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_check(result)
    sys.exit(EXIT_FINDINGS if result.drift else EXIT_INCOMPLETE if result.incomplete else EXIT_OK)


def _region_listings(
    providers: Mapping[str, Provider],
) -> tuple[list[RegionListing], list[UnreadSource], list[SkippedSource]]:
    """Every plugin's installed-SDK listing, then each configured provider's live one. A plugin
    that fails is a source that could not be read, never a silent omission."""
    from .catalog.drift import SkippedSource, UnreadSource
    from .catalog.listing import RegionListing
    from .plugins import available_providers, load_provider_class

    listings: list[RegionListing] = []
    unread: list[UnreadSource] = []
    skipped: list[SkippedSource] = []

    def read(name: str, source: str, hook: Callable[[], Sequence[RegionListing]] | None) -> None:
        if hook is None:
            skipped.append(SkippedSource(name, source, "the plugin offers no region listing"))
            return
        try:
            got = list(hook())
            if not all(isinstance(item, RegionListing) for item in got):
                raise TypeError("the plugin's region listing is not a sequence of RegionListing")
            listings.extend(_clean_listing(item) for item in got)
        except CollectionError as exc:
            unread.append(UnreadSource(name, source, _api_text(str(exc))))
        except Exception as exc:  # a plugin bug must not hide the other sources; it is reported
            log.exception("provider %s failed to list its regions (%s)", name, source)
            unread.append(UnreadSource(name, source, f"internal error in provider: {exc!r}"))

    for name in available_providers():
        try:
            cls: Any = load_provider_class(name)
        except Exception as exc:  # an installed plugin that does not load is a source unread
            unread.append(UnreadSource(name, "installed SDK", _api_text(f"not loaded: {exc}")))
            continue
        read(name, "installed SDK", getattr(cls, "sdk_region_listings", None))
    for name, provider in providers.items():
        read(name, "live", getattr(provider, "live_region_listings", None))
    return listings, unread, skipped


def _api_text(text: str) -> str:
    from .plaintext import clean_text
    from .redact import mask_secrets

    return clean_text(mask_secrets(text))


def _clean_listing(listing: RegionListing) -> RegionListing:
    """A listing's text came from an SDK or an API: no control characters reach the terminal."""
    from dataclasses import replace

    from .plaintext import clean_text

    def region(r: ListedRegion) -> ListedRegion:
        return replace(
            r,
            code=clean_text(r.code),
            cloud=clean_text(r.cloud),
            display_name=clean_text(r.display_name),
            physical_location=clean_text(r.physical_location),
            paired_region=clean_text(r.paired_region) if r.paired_region else r.paired_region,
        )

    return replace(
        listing,
        source=clean_text(listing.source),
        regions=tuple(region(r) for r in listing.regions),
        problems=tuple(_api_text(p) for p in listing.problems),
    )


def _print_check(result: CheckResult) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(soft_wrap=True, highlight=False)
    for item in result.listings:
        kind = "live" if item.live else "installed SDK"
        status = "DRIFT" if item.drift else "INCOMPLETE" if item.incomplete else "in step"
        codes = f"{item.compared} code{'s' * (item.compared != 1)}"
        console.print(Text(f"{item.provider} · {item.source} ({kind}): {codes} listed, {status}"))
        rows: list[tuple[str, str, str, str]] = []
        for n in item.new_regions:
            said = [n.cloud, n.display_name, n.physical_location]
            said += [f"pair {n.paired_region}"] if n.paired_region else []
            rows.append(("new region", n.code, "-", " · ".join(s for s in said if s)))
        for label, diffs in (
            ("changed pair", item.changed_pairs),
            ("changed cloud", item.changed_clouds),
            ("changed location", item.changed_locations),
        ):
            rows += [(label, d.code, d.catalog or "(none)", d.listed or "(none)") for d in diffs]
        by_cloud: dict[str, list[str]] = {}
        for nl in item.not_listed:
            by_cloud.setdefault(nl.cloud, []).append(nl.code)
        rows += [
            ("not listed (info)", ", ".join(codes), cloud, "not listed")
            for cloud, codes in by_cloud.items()
        ]
        rows += [("could not read", "-", "-", p) for p in item.problems]
        if rows:
            table = Table("change", "code", "catalog", "source says")
            table.columns[1].overflow = "fold"
            for row in rows:
                table.add_row(*(Text(cell) for cell in row))
            console.print(table)
    for u in result.unread:
        console.print(Text(f"could not read: {u.provider} ({u.source}): {u.reason}"))
    for s in result.skipped:
        console.print(Text(f"not checked: {s.provider} ({s.source}): {s.reason}"))
    console.print(Text(_check_summary(result)))


def _check_summary(result: CheckResult) -> str:
    counts = [
        (sum(len(i.new_regions) for i in result.listings), "new region"),
        (sum(len(i.changed_pairs) for i in result.listings), "changed pair"),
        (sum(len(i.changed_clouds) for i in result.listings), "changed cloud"),
        (sum(len(i.changed_locations) for i in result.listings), "changed location"),
    ]
    found = ", ".join(f"{n} {label}{'s' * (n > 1)}" for n, label in counts if n)
    sources = f"{len(result.listings)} source{'s' * (len(result.listings) != 1)} compared"
    if result.drift:
        head = f"catalog DRIFT: {found}"
    elif result.in_step:
        head = "catalog in step"
    elif not result.listings and not result.unread:
        head = "INCOMPLETE: no installed or configured provider offers a region listing"
    else:
        head = "INCOMPLETE: no drift in what could be read"
    unread = sum(1 for i in result.listings if i.incomplete) + len(result.unread)
    return f"{head} ({sources}" + (f", {unread} not fully read" if unread else "") + ")"


@cli.group()
@log_options
def profiles() -> None:
    """Policy profiles: which countries are of concern, and why."""


@profiles.command("list")
@log_options
def profiles_list() -> None:
    """List the built-in profiles."""
    from .profiles import builtin_profiles, load_profile

    for name in builtin_profiles():
        p = load_profile(name)
        click.echo(f"{name}\t{p.sha256[:12]}\t{p.description_en}")


@profiles.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@log_options
@_guard
def profiles_show(name: str, as_json: bool) -> None:
    """Show a profile (built-in name or TOML path) with each country's basis."""
    from .profiles import profile_summary
    from .scan import resolve_profile

    p = resolve_profile(name, None)
    doc = profile_summary(p)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    click.echo(f"{p.name}  sha256={p.sha256}")
    click.echo(p.description_en)
    if p.base:
        click.echo(f"extends: {p.base}")
    for w in p.weakened:
        click.echo(f"WEAKENED: {w.country} removed from {w.removed_from} ({', '.join(w.items)})")
    for row in doc["countries"]:
        gov = " government-access" if row["government_access"] else ""
        click.echo(f"{row['country']} {row['name']}  {row['tier']}{gov}")
        for basis in row["bases"]:
            default = " [policy default]" if basis["policy_default"] else ""
            click.echo(f"    - {basis['label_en']}{default} (source: {basis['source']})")
    click.echo(f"every other country: {doc['default_tier']}")


@cli.group("rules")
@log_options
def rules_group() -> None:
    """The rules: what each checks, its guideline items and base severity."""


@rules_group.command("list")
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default="ja",
    show_default=True,
    help="Language of the descriptions.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@log_options
def rules_list(lang: str, as_json: bool) -> None:
    """Every rule: its id (for --rules / --exclude-rules), guideline items, base severity
    (before classification and mitigation) and what makes it fire."""
    from .rules.specs import RULES, RuleSpec

    def described(spec: RuleSpec) -> str:
        return spec.condition_ja if lang == "ja" else spec.condition_en

    if as_json:
        rows = [
            {
                "id": spec.id,
                "guideline_items": list(spec.items),
                "severity": spec.severity,
                "description": described(spec),
            }
            for spec in RULES
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    cells = [(spec.id, ", ".join(spec.items), spec.severity, described(spec)) for spec in RULES]
    _print_table(("rule", "guideline items", "severity", "description"), cells, 1)


@cli.command("providers")
@log_options
def providers_cmd() -> None:
    """List the installed provider plugins."""
    from .plugins import available_providers

    for name in available_providers():
        click.echo(name)


def main() -> None:
    cli(prog_name="residency-audit")
