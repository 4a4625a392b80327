"""`scan --output-formats` and `[output] formats` choose the files written, the standard formats
(OCSF, ASFF) included; `[output.asff]` says where the ASFF findings are imported."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from residency_audit.cli import cli


def _scan(config: Path, out: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["scan", "--config", str(config), "-o", str(out), "--no-history", "-q", *args]
    )
    return result.exit_code, result.stderr


def test_the_option_picks_the_formats_and_overrides_the_config(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = write_config(extra='[output]\nformats = ["json", "csv"]')
    out = tmp_path / "out"
    code, err = _scan(config, out, "--output-formats", "ocsf,asff", "--output-formats", "json")
    assert code == 1, err
    names = {p.name for p in out.iterdir() if p.is_file()}
    assert {"findings.ocsf.json", "findings.asff.json", "findings.json"} <= names
    assert "findings.csv" not in names and "report.html" not in names
    events = json.loads((out / "findings.ocsf.json").read_text(encoding="utf-8"))
    assert events and all(e["class_uid"] == 2003 for e in events)


def test_the_config_names_the_standard_formats_and_the_asff_account(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = write_config(
        extra='[output]\nformats = ["asff"]\n\n[output.asff]\n'
        'account = "123456789012"\nregion = "ap-northeast-1"'
    )
    out = tmp_path / "out"
    code, err = _scan(config, out)
    assert code == 1, err
    findings = json.loads((out / "findings.asff.json").read_text(encoding="utf-8"))["Findings"]
    assert findings
    arns = {f["ProductArn"] for f in findings}
    assert all(a.startswith("arn:aws:securityhub:ap-northeast-1:") for a in arns)
    assert any(":123456789012:product/123456789012/default" in a for a in arns)


def test_an_unknown_format_is_exit_2_before_anything_is_read(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    out = tmp_path / "out"
    code, err = _scan(write_config(), out, "--output-formats", "json,sarif")
    assert code == 2
    assert "--output-formats: unknown format sarif" in err and "ocsf" in err
    assert not out.exists()


def test_a_malformed_asff_account_in_the_config_names_its_key(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = write_config(extra='[output.asff]\naccount = "12345"')
    code, err = _scan(config, tmp_path / "out")
    assert code == 2
    assert "output.asff.account" in err
