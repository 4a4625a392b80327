"""Every command names the history the same way (`--history URL_OR_PATH`; `--db` still works),
and `history` / `tickets` find the history a scan recorded: the config's output directory with
`--config`, the default output directory's with nothing -- so `history list` works right after
`make demo`, which records `reports/demo/history.db`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from residency_audit.cli import cli


@pytest.fixture(autouse=True)
def _restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("RESIDENCY_AUDIT_HISTORY", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def scanned(config: Path, output: Path | str | None = None, *args: str) -> str:
    """Scan as a user would, into ``output`` (else the config's ``[output] dir = "out"``);
    the scan's id, from its findings.json."""
    where = ["--output", str(output)] if output is not None else []
    result = invoke("scan", "--config", str(config), "-q", *where, *args)
    assert result.exit_code in (0, 1), result.output
    reports = Path(output) if output is not None else config.parent / "out"
    return str(json.loads((reports / "findings.json").read_text("utf-8"))["scan"]["id"])


def listed(*args: str, env: dict[str, str] | None = None) -> list[str]:
    result = invoke("history", "list", "--format", "json", *args, env=env)
    assert result.exit_code == 0, result.output
    return [s["id"] for s in json.loads(result.stdout)]


def test_history_list_right_after_make_demo(
    tmp_path: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    scan_id = scanned(write_config(), "reports/demo")  # as demo/run.py runs it
    assert listed() == [scan_id]
    result = invoke("history", "list")
    assert "history: reports/demo/history.db" in result.stderr  # says which history it read
    assert scan_id in result.stdout


def test_reports_history_comes_first_and_several_others_are_an_error(
    tmp_path: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = write_config()
    demo = scanned(config, "reports/demo")
    other = scanned(config, "reports/other")
    result = invoke("history", "list")
    assert result.exit_code == 2
    assert (
        "reports/demo/history.db" in result.output and "reports/other/history.db" in result.output
    )
    assert "--history" in result.output
    assert listed("--history", "reports/other/history.db") == [other]
    main = scanned(config, "reports")  # the default output directory
    assert listed() == [main]
    assert demo not in listed()


def test_history_follows_the_config_output_directory(
    tmp_path: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(extra='[output]\ndir = "out"')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the config's paths are relative to the config, not here
    scan_id = scanned(config)
    assert (tmp_path / "out" / "history.db").exists()
    assert listed("--config", str(config)) == [scan_id]
    result = invoke("history", "show", "--config", str(config), "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["scan"]["id"] == scan_id


def test_history_url_in_the_config_is_followed(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    url = f"sqlite:///{tmp_path / 'kept' / 'h.db'}"
    config = write_config(extra=f'[history]\nurl = "{url}"')
    scan_id = scanned(config, str(tmp_path / "out"))
    assert listed("--config", str(config)) == [scan_id]
    assert listed("--history", url) == [scan_id]


def test_history_option_and_its_old_spelling(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    path = tmp_path / "h.db"
    scan_id = scanned(write_config(), str(tmp_path / "out"), "--history", str(path))
    assert listed("--history", str(path)) == [scan_id]  # a plain path, as scan took it
    assert listed("--db", f"sqlite:///{path}") == [scan_id]
    help_text = invoke("history", "list", "--help").output
    assert "--history URL_OR_PATH" in help_text and "--db" not in help_text


def test_the_command_line_beats_the_environment_which_beats_the_config(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = write_config(extra='[output]\ndir = "out"')
    in_config = scanned(config)
    env = {"RESIDENCY_AUDIT_HISTORY": str(tmp_path / "env.db")}
    result = invoke("scan", "--config", str(config), "-q", "-o", str(tmp_path / "o2"), env=env)
    assert result.exit_code == 1, result.output
    assert (tmp_path / "env.db").exists()  # scan reads the variable too
    assert not (tmp_path / "o2" / "history.db").exists()
    [from_env] = listed("--config", str(config), env=env)
    assert from_env != in_config
    assert listed("--config", str(config)) == [in_config]
    beside_reports = str(tmp_path / "out" / "history.db")
    assert listed("--history", beside_reports, env=env) == [in_config]
    assert listed("--db", beside_reports, env=env) == [in_config]


def test_tickets_sync_takes_history_and_db(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = write_config(
        extra='[tickets.webhook]\nurl = "http://127.0.0.1:9/hook"\nsecret_env = "RA_NO_SECRET"'
    )
    missing = tmp_path / "missing.db"
    for option in ("--history", "--db"):
        result = invoke("tickets", "sync", "--config", str(config), option, str(missing))
        assert result.exit_code == 2, result.output
        assert f"no scan history at {missing}" in result.output
