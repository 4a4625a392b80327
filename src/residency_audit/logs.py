"""Logging set-up for the CLI: plain or JSON lines on stderr, with secrets masked; and the
``-v`` / ``--log-format`` options every command takes, before or after its subcommand.

Library modules only log through ``logging``; they never print. Settings and credentials are never
logged on purpose; the masking below is a second line of defence for text that reaches a log from
an SDK's error message (signed URLs, account keys, bearer tokens), tracebacks included.

Cloud text (bucket names, tags, error messages) may hold newlines and terminal escapes: in text
mode every record is escaped to one line that cannot forge another record or drive the terminal;
JSON lines escape them by construction.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from .redact import mask_secrets

__all__ = [
    "LOG_FORMATS",
    "UNSAFE_CHARS",
    "SecretFilter",
    "TextFormatter",
    "configure_logging",
    "log_options",
    "one_line",
    "root_log_options",
    "set_root_logging",
]

F = TypeVar("F", bound=Callable[..., Any])
LOG_FORMATS = ("text", "json")

# C0 controls (newline, carriage return, ESC...), DEL, C1 controls (CSI 0x9b...) and the bidi
# overrides that can make a line read differently from what it holds
UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def one_line(text: str) -> str:
    """``text`` with every control character shown as an escape: one line, inert on a terminal."""
    return UNSAFE_CHARS.sub(_escape, text)


class SecretFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_secrets(record.getMessage())
        record.args = None
        return True


class TextFormatter(logging.Formatter):
    """``LEVEL logger: message``, the traceback (if any) masked and kept on the same line."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def formatException(self, ei: object) -> str:
        return mask_secrets(super().formatException(ei))  # type: ignore[arg-type]

    def format(self, record: logging.LogRecord) -> str:
        return one_line(super().format(record))


def configure_logging(fmt: str, verbosity: int) -> None:
    level = logging.WARNING - 10 * min(verbosity, 2)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(SecretFilter())
    if fmt == "json":
        from .logs_json import JsonFormatter  # on demand: most runs log text

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # SDK loggers are chatty at INFO and may echo request details
    for noisy in ("botocore", "boto3", "urllib3", "azure", "google", "httpx"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # the credential chains warn with every credential they tried, over many lines; the plugin's
    # one-line CredentialError says it without -v, and carries their words at -v
    for chain in ("azure.identity", "google.auth", "botocore.credentials"):
        logging.getLogger(chain).setLevel(logging.WARNING if verbosity else logging.ERROR)


# where the options given so far are kept: ``ctx.meta`` is one dict for the whole command chain
_META = "residency_audit.logging"
_HELP_FORMAT = "Log format on stderr; json gives one structured object per line."
_HELP_VERBOSE = "More log output (-v info, -vv debug)."


def _given(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A subcommand's ``-v`` or ``--log-format``: given on the command line, it replaces what
    the command above it said (the option nearest the end of the line wins)."""
    if (
        param.name is None
        or ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE
    ):
        return
    chosen: dict[str, Any] = ctx.meta.setdefault(_META, {"log_format": "text", "verbose": 0})
    chosen[param.name] = value
    configure_logging(chosen["log_format"], chosen["verbose"])


def log_options(func: F) -> F:
    """``-v/--verbose`` and ``--log-format`` on a subcommand, so they work after it as well as
    before it (``residency-audit scan --config x -v``). The top-level command sets them with
    :func:`set_root_logging`."""
    func = click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        expose_value=False,
        callback=_given,
        help=_HELP_FORMAT,
    )(func)
    return click.option(
        "-v", "--verbose", count=True, expose_value=False, callback=_given, help=_HELP_VERBOSE
    )(func)


def root_log_options(func: F) -> F:
    """The same options on the top-level command, with their defaults shown."""
    func = click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        default="text",
        show_default=True,
        help=_HELP_FORMAT,
    )(func)
    return click.option("-v", "--verbose", count=True, help=_HELP_VERBOSE)(func)


def set_root_logging(ctx: click.Context, log_format: str, verbose: int) -> None:
    """Logging as the options before the subcommand say; a subcommand's own may change it."""
    ctx.meta[_META] = {"log_format": log_format, "verbose": verbose}
    configure_logging(log_format, verbose)
