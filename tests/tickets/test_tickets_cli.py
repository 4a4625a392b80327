"""``tickets sync`` on a recorded scan: the plan by default, a clear error without a tracker."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from residency_audit.history import HistoryStore
from residency_audit.tickets.commands import tickets

from .conftest import SECRET, finding, scan


def test_sync_shows_the_plan_and_needs_a_tracker(tmp_path: Path, monkeypatch: object) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    with HistoryStore.open(db) as store:
        store.record(scan("s1", [finding("alpha")]))
    cfg = tmp_path / "c.toml"
    cfg.write_text('[providers.aws]\n[tickets]\nlang = "en"\n', encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(tickets, ["sync", "--config", str(cfg), "--db", db])
    assert out.exit_code == 2 and "no tracker configured" in out.output
    cfg.write_text(
        '[providers.aws]\n[tickets]\nlang = "en"\n'
        '[tickets.webhook]\nurl = "http://127.0.0.1:9/hook"\nsecret_env = "HOOK_SECRET"\n',
        encoding="utf-8",
    )
    out = runner.invoke(
        tickets, ["sync", "--config", str(cfg), "--db", db], env={"HOOK_SECRET": SECRET}
    )
    assert out.exit_code == 0, out.output
    assert "1 change(s) planned" in out.output and "create" in out.output and "alpha" in out.output
    assert SECRET not in out.output


def test_credentials_in_the_url_are_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[providers.aws]\n[tickets.webhook]\nurl = "https://u:pw@hooks.example.com/x"\n'
        'secret_env = "S"\n',
        encoding="utf-8",
    )
    out = CliRunner().invoke(tickets, ["sync", "--config", str(cfg), "--db", "x.db"])
    assert out.exit_code == 2 and "credentials" in out.output


def test_sync_without_a_recorded_history_is_an_input_error(tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text(
        '[providers.fixture]\npath = "x.json"\n[tickets.webhook]\nurl = "http://127.0.0.1:9/h"\n'
        'secret_env = "RA_TEST_SECRET"\n',
        encoding="utf-8",
    )
    out = CliRunner().invoke(
        tickets, ["sync", "--config", str(config), "--db", f"sqlite:///{tmp_path}/none.db"]
    )
    assert out.exit_code == 2, out.output
    assert "no scan history" in out.output
