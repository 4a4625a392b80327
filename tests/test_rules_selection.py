"""Choosing the rules that run: `rules list`, `scan --rules` / `--exclude-rules`, and
`[scan] rules` / `exclude_rules` in the config. A rule left out makes no finding and changes no
other finding; a rule id that names nothing is exit 2 with the nearest ids."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pydantic import ValidationError

from residency_audit import scan as scan_module
from residency_audit.cli import cli
from residency_audit.config import load_config
from residency_audit.errors import ConfigError
from residency_audit.inventory_file import load_inventory
from residency_audit.model import Finding
from residency_audit.rules import RULES, EvaluationSettings
from residency_audit.rules.selection import RuleSelection
from residency_audit.scan import evaluate_inventory, resolve_profile

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "estates" / "demo.json"
TODAY = date(2026, 5, 1)


pytestmark = pytest.mark.usefixtures("restore_logging")


def findings(selection: RuleSelection | None = None) -> dict[str, Finding]:
    settings = EvaluationSettings(today=TODAY, rules=selection or RuleSelection())
    result = evaluate_inventory(load_inventory(DEMO), resolve_profile("jp-default"), settings)
    return {f.fingerprint: f for f in result.findings}


# -- the evaluator -----------------------------------------------------------------------------


def test_excluded_rules_make_no_findings_and_the_rest_are_unchanged() -> None:
    every = findings()
    assert {f.rule_id for f in every.values()} >= {"public.public", "attestation.missing"}
    narrowed = findings(RuleSelection(exclude=("public.*", "attestation.missing")))
    kept = {
        fp: f
        for fp, f in every.items()
        if not f.rule_id.startswith("public.") and f.rule_id != "attestation.missing"
    }
    assert narrowed == kept  # the same findings, severities and adjustments


def test_included_glob_runs_only_its_rules() -> None:
    every = findings()
    only = findings(RuleSelection(include=("location.*",)))
    assert only and all(f.rule_id.startswith("location.") for f in only.values())
    assert only == {fp: f for fp, f in every.items() if f.rule_id.startswith("location.")}


def test_scope_level_rules_are_selected_too() -> None:
    only = findings(RuleSelection(include=("attestation.missing",)))
    assert only and {f.rule_id for f in only.values()} == {"attestation.missing"}


def test_unknown_rule_names_the_nearest_ids() -> None:
    with pytest.raises(ValidationError) as err:
        RuleSelection(include=("location.concen",))
    assert "unknown rule 'location.concen'" in str(err.value)
    assert "location.concern" in str(err.value)
    with pytest.raises(ValidationError, match=r"nearest: public\.\*"):
        RuleSelection(exclude=("public",))  # a family without its glob
    with pytest.raises(ValidationError, match="no rule would run"):
        RuleSelection(include=("public.*",), exclude=("public.*",))


# -- the config --------------------------------------------------------------------------------


def test_config_keys_select_rules(write_config: Callable[..., Path]) -> None:
    config = load_config(
        write_config(extra='[scan]\nrules = ["location.*"]\nexclude_rules = ["location.caution"]')
    )
    selected = config.scan.selection.selected
    assert "location.concern" in selected and "location.caution" not in selected
    assert "public.public" not in selected


def test_unknown_rule_in_the_config_names_file_and_key(write_config: Callable[..., Path]) -> None:
    path = write_config(extra='[scan]\nexclude_rules = ["public.public", "acces.unknown"]')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: scan.exclude_rules[1]: unknown rule")
    assert "access.unknown" in str(err.value)


# -- the command line --------------------------------------------------------------------------


def test_settings_from_config_carries_the_selection(write_config: Callable[..., Path]) -> None:
    config = load_config(write_config(extra='[scan]\nexclude_rules = ["public.*"]'))
    settings = scan_module.settings_from_config(config, TODAY)
    assert settings.rules == config.scan.selection


def scan(tmp_path: Path, config: Path, *args: str) -> tuple[Result, set[str]]:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["scan", "--config", str(config), "-o", str(out), *args])
    if not (out / "findings.json").exists():
        return result, set()
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return result, {f["rule_id"] for f in doc["findings"]}


def test_scan_exclude_rules_repeated_and_comma_separated(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    result, rules = scan(
        tmp_path,
        write_config(),
        "--no-history",
        "--exclude-rules",
        "public.public,public.unknown",
        "--exclude-rules",
        "attestation.*",
    )
    assert result.exit_code == 1, result.output
    assert rules and not rules & {"public.public", "public.unknown", "attestation.missing"}
    assert "public.not-blocked" in rules and "location.concern" in rules
    summary = result.stderr.strip().splitlines()[-1]
    assert "rules not run: public.public, public.unknown, attestation.missing" in summary


def test_a_narrowed_scan_resolves_none_of_the_left_out_rules_findings(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = write_config()
    full, _ = scan(tmp_path, config, "-q")
    assert full.exit_code == 1, full.output
    narrowed, rules = scan(tmp_path, config, "-q", "--exclude-rules", "public.*")
    assert narrowed.exit_code == 1, narrowed.output
    assert rules and not any(r.startswith("public.") for r in rules)
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert doc["scan"]["rules_not_run"] == ["public.public", "public.not-blocked", "public.unknown"]
    # not looked for is not fixed: the history keeps them open (it resolved nothing at all here)
    assert doc["resolved"] == []
    again, _ = scan(tmp_path, config, "-q")  # every rule again: the public findings persist
    assert again.exit_code == 1, again.output
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    states = {f["state"] for f in doc["findings"] if f["rule_id"].startswith("public.")}
    assert states == {"persisting"}, states


def test_tickets_refuse_a_narrowed_scan(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    # a bucket whose flagged findings came only from left-out rules would look fixed
    result, _ = scan(tmp_path, write_config(), "--tickets", "--exclude-rules", "public.*")
    assert result.exit_code == 2, result.output
    assert "tickets need every rule to run" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_scan_rules_option_replaces_the_config_key(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = write_config(
        extra='[scan]\nrules = ["public.*"]\nexclude_rules = ["location.caution"]'
    )
    _, from_config = scan(tmp_path, config, "--no-history", "-q")
    assert from_config and all(r.startswith("public.") for r in from_config)
    _, from_option = scan(tmp_path, config, "--no-history", "-q", "--rules", "location.*")
    assert "location.concern" in from_option and "location.caution" not in from_option
    assert all(r.startswith("location.") for r in from_option)


@pytest.mark.parametrize(
    ("args", "named", "nearest"),
    [
        (
            ["--rules", "location.concen"],
            "--rules: unknown rule 'location.concen'",
            "location.concern",
        ),
        (["--exclude-rules", "public"], "--exclude-rules: unknown rule 'public'", "public.*"),
        (["--rules", "public.*", "--exclude-rules", "public.*"], "no rule would run", "rules list"),
    ],
)
def test_scan_unknown_rule_is_exit_2_and_writes_nothing(
    tmp_path: Path, write_config: Callable[..., Path], args: list[str], named: str, nearest: str
) -> None:
    result, _ = scan(tmp_path, write_config(), *args)
    assert result.exit_code == 2, result.output
    assert named in result.output and nearest in result.output
    assert not (tmp_path / "out").exists()  # refused before anything was collected or written


def test_scan_with_every_rule_says_nothing_about_rules(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    result, rules = scan(tmp_path, write_config(), "--no-history")
    assert "public.public" in rules and "rules not run" not in result.stderr


# -- rules list --------------------------------------------------------------------------------


def test_rules_list_shows_every_rule_in_japanese_by_default() -> None:
    result = CliRunner().invoke(cli, ["rules", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split("\t") == ["rule", "guideline items", "severity", "description"]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    assert list(rows) == [spec.id for spec in RULES]
    for spec in RULES:
        assert rows[spec.id][1:] == [", ".join(spec.items), spec.severity, spec.condition_ja]


def test_rules_list_json_in_english() -> None:
    result = CliRunner().invoke(cli, ["rules", "list", "--json", "--lang", "en"])
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc == [
        {
            "id": spec.id,
            "guideline_items": list(spec.items),
            "severity": spec.severity,
            "description": spec.condition_en,
        }
        for spec in RULES
    ]


def test_the_report_says_which_rules_did_not_run(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = write_config(extra='[output]\nformats = ["json", "html"]\nlang = "en"')
    scan(tmp_path, config, "--no-history", "-q", "--exclude-rules", "public.unknown")
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="rules-not-run"' in page and "<code>public.unknown</code>" in page
    scan(tmp_path, config, "--no-history", "-q")
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="rules-not-run"' not in page
