"""The command line as a user drives it: scan the demo estate, exit codes, offline evaluate,
catalog and profile listings, structured logs without secrets."""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from residency_audit.cli import cli
from residency_audit.redact import mask_secrets


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def scanned(tmp_path: Path, write_config: Callable[..., Path]) -> tuple[int, Path]:
    out = tmp_path / "out"
    code, output = run("scan", "--config", str(write_config()), "--output", str(out), "-q")
    assert code in (0, 1), output
    return code, out


def test_scan_writes_every_report_and_exits_1_on_high_findings(
    scanned: tuple[int, Path],
) -> None:
    code, out = scanned
    assert code == 1
    for name in ("inventory.json", "findings.json", "findings.csv", "inventory.csv", "report.html"):
        assert (out / name).stat().st_size > 0, name
    # no temp files left: the only hidden entry is the delivered set and its pointer
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".report-sets"]
    assert len(list((out / ".report-sets").iterdir())) == 2


def test_findings_name_the_hong_kong_replica_as_item_2_1(scanned: tuple[int, Path]) -> None:
    _, out = scanned
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "residency-audit/findings/v1"
    assert doc["scan"]["profile"]["name"] == "jp-default"
    assert len(doc["scan"]["profile"]["sha256"]) == 64
    hk = [
        f
        for f in doc["findings"]
        if f["resource"]
        and f["resource"]["name"] == "cad-archive"
        and f["location"]
        and f["location"]["role"] == "replica"
        and "(2)-1" in f["guideline_items"]
    ]
    assert len(hk) == 1
    assert hk[0]["location"]["country"] == "HK"
    assert hk[0]["severity"] == "critical"


def test_tokyo_only_bucket_has_no_location_finding(scanned: tuple[int, Path]) -> None:
    _, out = scanned
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    tokyo = [
        f
        for f in doc["findings"]
        if f["resource"] and f["resource"]["name"] == "jp-design-docs-tokyo" and f["location"]
    ]
    assert tokyo == []


def test_unknown_destination_is_an_unverified_2_1_finding(scanned: tuple[int, Path]) -> None:
    _, out = scanned
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    unknown = [
        f
        for f in doc["findings"]
        if f["resource"]
        and f["resource"]["name"] == "partner-exchange"
        and f["location"]
        and f["location"]["role"] == "replica"
    ]
    assert unknown and all(f["unverified"] and f["severity"] == "high" for f in unknown)
    assert doc["scan"]["coverage"]["locations_unknown"] >= 2


def test_fail_on_threshold_decides_exit_code(
    tmp_path: Path, write_config: Callable[..., Path], demo_estate: dict[str, Any]
) -> None:
    tokyo_only = dict(demo_estate)
    tokyo_only["buckets"] = [
        b for b in demo_estate["buckets"] if b["name"] == "jp-design-docs-tokyo"
    ]
    tokyo_only["scopes"] = [s for s in demo_estate["scopes"] if s["scope"] == "111122223333"]
    config = write_config(tokyo_only)
    out = tmp_path / "o"
    code, output = run("scan", "--config", str(config), "-o", str(out), "-q", "--fail-on", "high")
    assert code == 0, output
    # attestations are missing: medium findings, so a medium threshold fails the run
    code, _ = run("scan", "--config", str(config), "-o", str(out), "-q", "--fail-on", "medium")
    assert code == 1


def test_failed_scope_exits_3_and_still_writes_reports(
    tmp_path: Path, write_config: Callable[..., Path], demo_estate: dict[str, Any]
) -> None:
    demo_estate["scopes"][1]["status"] = "failed"
    demo_estate["scopes"][1]["error"] = "sts:AssumeRole AccessDenied"
    demo_estate["buckets"] = [b for b in demo_estate["buckets"] if b["scope"] != "444455556666"]
    out = tmp_path / "o"
    code, output = run("scan", "--config", str(write_config(demo_estate)), "-o", str(out), "-q")
    assert code == 3, output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert doc["scan"]["coverage"]["complete"] is False
    assert doc["scan"]["coverage"]["scopes_failed"] == 1


def test_evaluate_reruns_a_saved_inventory_offline(
    scanned: tuple[int, Path], tmp_path: Path
) -> None:
    _, out = scanned
    again = tmp_path / "again"
    code, output = run(
        "evaluate",
        str(out / "inventory.json"),
        "--profile",
        "jp-group-d",
        "--output",
        str(again),
        "--lang",
        "en",
        "-q",
    )
    assert code == 1, output
    first = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    second = json.loads((again / "findings.json").read_text(encoding="utf-8"))
    assert second["scan"]["profile"]["name"] == "jp-group-d"

    # Hong Kong is a concern only under jp-default: the HK replica is (2)-1 there, not here
    def hk_21(doc: dict[str, Any]) -> int:
        return sum(
            1
            for f in doc["findings"]
            if f["location"]
            and f["location"]["country"] == "HK"
            and "(2)-1" in f["guideline_items"]
        )

    assert hk_21(first) > 0
    assert hk_21(second) == 0


def test_regions_lists_catalog_by_country() -> None:
    code, output = run("regions", "--country", "HK", "--json")
    assert code == 0
    rows = json.loads(output)
    codes = {(r["provider"], r["code"]) for r in rows}
    assert {("aws", "ap-east-1"), ("gcp", "asia-east2"), ("azure", "eastasia")} <= codes
    assert all("HK" in r["countries"] and r["source"] for r in rows)


def test_profiles_show_prints_bases() -> None:
    code, output = run("profiles", "show", "jp-default", "--json")
    assert code == 0
    doc = json.loads(output)
    by_cc = {row["country"]: row for row in doc["countries"]}
    assert by_cc["HK"]["tier"] == "concern" and by_cc["HK"]["government_access"]
    assert by_cc["JP"]["tier"] == "allowed"
    assert by_cc["IR"]["tier"] == "concern"
    assert all(row["bases"] and all(b["source"] for b in row["bases"]) for row in doc["countries"])


def test_json_logs_are_structured(
    tmp_path: Path, write_config: Callable[..., Path], demo_estate: dict[str, Any]
) -> None:
    demo_estate["scopes"][0]["status"] = "failed"
    demo_estate["scopes"][0]["error"] = "denied; AccountKey=c2VjcmV0a2V5 token=abc123"
    result = CliRunner().invoke(
        cli,
        [
            "--log-format",
            "json",
            "scan",
            "--config",
            str(write_config(demo_estate)),
            "-o",
            str(tmp_path / "o"),
            "-q",
        ],
    )
    assert result.exit_code == 3
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(
        entry["level"] == "warning" and "could not be collected" in entry["message"]
        for entry in lines
    )
    assert "c2VjcmV0a2V5" not in result.stderr and "abc123" not in result.stderr
    logging.getLogger().handlers.clear()


def test_mask_secrets() -> None:
    text = "AccountKey=abc==;sig=xyz&x=1 Authorization: Bearer eyJ0 AKIAABCDEFGHIJKLMNOP"
    masked = mask_secrets(text)
    for secret in ("abc==", "xyz", "eyJ0", "AKIAABCDEFGHIJKLMNOP"):
        assert secret not in masked


def test_permissions_of_the_fixture_provider() -> None:
    code, output = run("permissions", "fixture")
    assert code == 0
    assert "no cloud permission" in output


def test_attestations_from_the_config_reach_findings_json(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    head = (
        '[[attestations]]\nprovider = "aws"\nscope = "*"\nitem = "(1)-1"\n'
        'reviewed_on = 2026-04-01\nreviewer = "Legal"\nexpires = 2999-03-31\n'
    )
    config = write_config()
    body = config.read_text(encoding="utf-8")
    config.write_text(body.replace("[providers.fixture]", head + "[providers.fixture]"))
    out = tmp_path / "o"
    code, output = run("scan", "--config", str(config), "-o", str(out), "-q", "--no-history")
    assert code == 1, output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert [a["reviewer"] for a in doc["attestations"]] == ["Legal"]
    missing_aws_11 = [
        f
        for f in doc["findings"]
        if f["rule_id"] == "attestation.missing"
        and f["provider"] == "aws"
        and f["guideline_items"] == ["(1)-1"]
    ]
    assert missing_aws_11 == []


def test_weakened_profile_is_named_in_every_report(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    profile = tmp_path / "hk-ok.toml"
    profile.write_text(
        'name = "acme-hk-ok"\nextends = "jp-default"\n[concern]\nremove = ["HK"]\n',
        encoding="utf-8",
    )
    config = write_config()
    config.write_text(
        config.read_text(encoding="utf-8").replace('"jp-default"', '"hk-ok.toml"'),
        encoding="utf-8",
    )
    out = tmp_path / "o"
    code, output = run(
        "scan", "--config", str(config), "-o", str(out), "-q", "--no-history", "--lang", "en"
    )
    assert code == 1, output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert doc["scan"]["profile"]["name"] == "acme-hk-ok"
    assert doc["scan"]["profile"]["weakened"] == [
        {"country": "HK", "removed_from": "concern", "items": ["(2)-1"]}
    ]
    # HK is no longer a concern: the Hong Kong replica is not (2)-1, but still (2)-2
    hk = [f for f in doc["findings"] if f["location"] and f["location"]["country"] == "HK"]
    assert hk and not any("(2)-1" in f["guideline_items"] for f in hk)
    assert any("(2)-2" in f["guideline_items"] for f in hk)
    with (out / "findings.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["profile_weakened"] for r in rows} == {"HK removed from concern weakens (2)-1"}
    html = (out / "report.html").read_text(encoding="utf-8")
    notice = re.search(
        r'<div class="notice warn" role="alert" id="weakened-notice">(.*?)</div>', html, re.S
    )
    assert notice is not None and "HK" in notice.group(1) and "(2)-1" in notice.group(1)


def test_regions_piped_is_tab_separated_and_includes_multi_region_candidates() -> None:
    code, output = run("regions", "--country", "HK")
    assert code == 0
    lines = [line.split("\t") for line in output.splitlines()]
    assert lines[0] == ["provider", "code", "name", "countries", "type", "cloud", "verified"]
    rows = {(r[0], r[1]): r for r in lines[1:]}
    assert rows[("aws", "ap-east-1")][3] == "HK"
    asia = rows[("gcp", "ASIA")]
    assert "HK" in asia[3].split(";") and "candidates" in asia[4] and asia[6] == "UNVERIFIED"
