"""Dates and times in the reader's zone: a daily 03:17 JST scan is dated that day in Japan, with
the zone named; the JSON keeps UTC for programs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from residency_audit.cli import cli
from residency_audit.localtime import display_zone, local_date, local_when

DEMO_ESTATE = Path(__file__).resolve().parent.parent / "fixtures" / "estates" / "demo.json"
SCAN_UTC = datetime(2026, 12, 1, 18, 17, 5, tzinfo=UTC)  # 2026-12-02 03:17 in Tokyo


def test_a_time_is_shown_in_the_zone_with_its_name() -> None:
    assert local_when(SCAN_UTC, ZoneInfo("Asia/Tokyo")) == "2026-12-02 03:17 JST"
    assert local_when(SCAN_UTC, ZoneInfo("Asia/Kolkata")) == "2026-12-01 23:47 IST"
    assert local_when(SCAN_UTC, UTC) == "2026-12-01 18:17 UTC"
    # a zone the tz data gives no abbreviation is named by its offset, never left bare
    assert local_when(SCAN_UTC, ZoneInfo("America/Sao_Paulo")) == "2026-12-01 15:17 UTC-03:00"
    # summer time follows the date, not today's offset
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert local_when(summer, ZoneInfo("Europe/Berlin")) == "2026-07-01 14:00 CEST"


def test_the_date_is_the_readers_date() -> None:
    assert local_date(SCAN_UTC, ZoneInfo("Asia/Tokyo")).isoformat() == "2026-12-02"
    assert local_date(SCAN_UTC, UTC).isoformat() == "2026-12-01"


def test_an_unknown_zone_is_named_and_the_machine_zone_follows_tz(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        display_zone("Mars/Olympus")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert local_when(SCAN_UTC, display_zone()) == "2026-12-02 03:17 JST"


def _estate(tmp_path: Path) -> Path:
    doc: dict[str, Any] = json.loads(DEMO_ESTATE.read_text(encoding="utf-8"))
    doc["started"] = "2026-12-01T18:16:00Z"
    doc["finished"] = SCAN_UTC.isoformat()
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _header(html: str) -> str:
    return html[html.index('<header class="page-head">') : html.index("</header>")]


def test_the_report_shows_local_times_and_the_json_keeps_utc(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["evaluate", str(_estate(tmp_path)), "-o", str(out), "--timezone", "Asia/Tokyo", "-q"]
    )
    assert result.exit_code == 1, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "2026-12-02 03:17 JST" in _header(html)
    assert "<title>" in html and "2026-12-02" in html[: html.index("</title>")]
    summary = html[html.index('<section id="summary">') :]
    summary = summary[: summary.index("</section>")]
    assert "2026-12-02" in summary and "2026-12-01" not in summary
    # the scan id is shown once, in the header
    scan_id = json.loads((out / "findings.json").read_text(encoding="utf-8"))["scan"]["id"]
    visible = html[: html.index('<script type="application/json"')]
    assert visible.count(scan_id) == 1
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert datetime.fromisoformat(doc["scan"]["finished"]) == SCAN_UTC
    assert doc["scan"]["finished"].endswith(("Z", "+00:00"))


def test_the_config_sets_the_zone_and_a_bad_zone_is_an_input_error(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = write_config()
    text = config.read_text(encoding="utf-8")
    config.write_text(text + '\n[report]\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["evaluate", str(_estate(tmp_path)), "-o", str(out), "--config", str(config), "-q"]
    )
    assert result.exit_code == 1, result.output
    assert "JST" in _header((out / "report.html").read_text(encoding="utf-8"))

    config.write_text(text + '\n[report]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan", "--config", str(config), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "report.timezone" in result.output and "Mars/Olympus" in result.output
    assert not (tmp_path / "x").exists()

    result = CliRunner().invoke(
        cli,
        ["evaluate", str(_estate(tmp_path)), "-o", str(tmp_path / "y"), "--timezone", "Nowhere"],
    )
    assert result.exit_code == 2 and "--timezone" in result.output and "Nowhere" in result.output
    assert not (tmp_path / "y").exists()


def test_the_workbook_shows_the_same_local_times(tmp_path: Path) -> None:
    import io

    import openpyxl

    from residency_audit.inventory_file import load_inventory
    from residency_audit.profiles import load_profile
    from residency_audit.report import findings_xlsx
    from residency_audit.rules import EvaluationSettings
    from residency_audit.scan import evaluate_inventory

    result = evaluate_inventory(
        load_inventory(_estate(tmp_path)),
        load_profile("jp-default"),
        EvaluationSettings(today=SCAN_UTC.date()),
    )
    book = openpyxl.load_workbook(io.BytesIO(findings_xlsx(result, "ja", ZoneInfo("Asia/Tokyo"))))
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(values_only=True)}
    assert summary["終了"] == "2026-12-02 03:17 JST"
