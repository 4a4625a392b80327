"""Options every command takes: `-v` and `--log-format` before or after the subcommand (the one
after wins), `-V`/`--version`, and shell completion through the console script."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from residency_audit import __version__
from residency_audit.cli import cli

SCRIPT = Path(sys.executable).parent / "residency-audit"  # the console script pip installs


pytestmark = pytest.mark.usefixtures("restore_logging")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def failing_config(write_config: Callable[..., Path], demo_estate: dict[str, Any]) -> Path:
    """A config whose first scope failed: the scan logs a warning about it."""
    demo_estate["scopes"][0]["status"] = "failed"
    demo_estate["scopes"][0]["error"] = "denied"
    return write_config(demo_estate)


def json_records(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_log_format_after_the_subcommand_gives_json_logs(
    tmp_path: Path, failing_config: Path
) -> None:
    result = invoke(
        "scan", "--config", str(failing_config), "-o", str(tmp_path / "o"), "-q",
        "--log-format", "json",
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    records = json_records(result.stderr)
    assert any("could not be collected" in r["message"] for r in records), result.stderr
    assert not any(line.startswith("WARNING ") for line in result.stderr.splitlines())


def test_the_option_after_the_subcommand_wins(tmp_path: Path, failing_config: Path) -> None:
    result = invoke(
        "--log-format", "json", "scan", "--config", str(failing_config),
        "-o", str(tmp_path / "o"), "-q", "--log-format", "text",
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert not json_records(result.stderr)
    assert any(line.startswith("WARNING ") for line in result.stderr.splitlines())


@pytest.mark.parametrize(
    ("argv", "level"),
    [
        (["-vv", "rules", "list"], logging.DEBUG),
        (["rules", "list", "-vv"], logging.DEBUG),
        (["rules", "-v", "list"], logging.INFO),
        (["-vv", "rules", "list", "-v"], logging.INFO),  # after the subcommand wins
        (["-v", "regions", "--country", "JP", "--verbose", "--verbose"], logging.DEBUG),
        (["history", "list", "--history", "none.db", "-v"], logging.INFO),
        (["rules", "list"], logging.WARNING),
    ],
)
def test_verbosity_before_or_after_the_subcommand(argv: list[str], level: int) -> None:
    invoke(*argv)
    assert logging.getLogger().level == level


def test_a_subcommand_log_format_keeps_the_verbosity_given_before_it() -> None:
    invoke("-v", "rules", "list", "--log-format", "json")
    root = logging.getLogger()
    assert root.level == logging.INFO
    assert type(root.handlers[0].formatter).__name__ == "JsonFormatter"


def _every_command(
    command: click.Command, ctx: click.Context, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            yield from _every_command(sub, ctx, (*path, name))


def test_every_command_and_group_takes_the_global_options() -> None:
    ctx = click.Context(cli)
    seen = []
    for path, command in _every_command(cli, ctx):
        opts = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {"-v", "--verbose", "--log-format"} <= opts, " ".join(path) or "(top level)"
        seen.append(" ".join(path))
    # the lazily loaded groups are walked too
    assert {"history list", "tickets sync", "rules list", "catalog check"} <= set(seen)


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag: str) -> None:
    result = invoke(flag)
    assert result.exit_code == 0
    assert result.output.strip() == f"residency-audit, version {__version__}"


def _complete(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _residency_audit_completion residency-audit"),
        ("zsh", "#compdef residency-audit"),
        ("fish", "complete --no-files --command residency-audit"),
    ],
)
def test_completion_script_as_docs_cli_md_shows_it(shell: str, marker: str) -> None:
    done = _complete({"_RESIDENCY_AUDIT_COMPLETE": f"{shell}_source"})
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout
    assert "_RESIDENCY_AUDIT_COMPLETE" in done.stdout  # the script calls back into the tool


def test_completion_offers_commands_and_options() -> None:
    env = {"_RESIDENCY_AUDIT_COMPLETE": "bash_complete"}
    done = _complete({**env, "COMP_WORDS": "residency-audit ru", "COMP_CWORD": "1"})
    assert done.stdout.split() == ["plain,rules"], done.stderr
    words = "residency-audit history list --hi"
    done = _complete({**env, "COMP_WORDS": words, "COMP_CWORD": "3"})
    assert done.stdout.split() == ["plain,--history"], done.stderr
