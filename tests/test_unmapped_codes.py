"""A region newer than the shipped catalog is never silent: its locations are UNKNOWN, and the
coverage (findings.json, the HTML report, the command's summary line) names the code and where it
was seen, so an admin knows which codes to add."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from residency_audit.cli import cli

DEMO_ESTATE = Path(__file__).resolve().parent.parent / "fixtures" / "estates" / "demo.json"


def _estate_with_new_codes(tmp_path: Path) -> tuple[Path, str, str]:
    doc: dict[str, Any] = json.loads(DEMO_ESTATE.read_text(encoding="utf-8"))
    aws = next(b for b in doc["buckets"] if b["provider"] == "aws")
    gcp = next(b for b in doc["buckets"] if b["provider"] == "gcp")
    aws["locations"].append(
        {
            "role": "replica",
            "provider": "aws",
            "region": "ap-future-9",
            "mechanism": "s3-replication",
        }
    )
    gcp["locations"].append(
        {
            "role": "key",
            "provider": "gcp",
            "region": "nam-future1",
            "namespace": "kms",
            "mechanism": "cloud-kms",
        }
    )
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path, aws["uid"], gcp["uid"]


def _coverage_section(html: str) -> str:
    start = html.index('<section id="coverage">')
    return html[start : html.index("</section>", start)]


def test_codes_the_catalog_does_not_know_are_named_in_the_coverage(tmp_path: Path) -> None:
    inventory, aws_uid, gcp_uid = _estate_with_new_codes(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["evaluate", str(inventory), "--output", str(out)])
    assert result.exit_code == 1, result.output
    assert (
        "location codes not in the catalog: aws:ap-future-9, gcp:nam-future1, gcp:asia-south9"
        in result.output
    )

    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    codes = {
        (u["provider"], u["namespace"], u["code"]): u
        for u in doc["scan"]["coverage"]["unmapped_codes"]
    }
    # the demo estate already holds one bucket in a region the catalog lacks (asia-south9)
    assert set(codes) == {
        ("aws", "region", "ap-future-9"),
        ("gcp", "kms", "nam-future1"),
        ("gcp", "region", "asia-south9"),
    }
    assert codes[("aws", "region", "ap-future-9")]["seen_at"] == [f"{aws_uid} (replica)"]
    assert codes[("gcp", "kms", "nam-future1")]["seen_at"] == [f"{gcp_uid} (key)"]
    assert codes[("aws", "region", "ap-future-9")]["locations"] == 1

    # the copy itself is an unverified finding, not a pass
    unknown = [
        f for f in doc["findings"] if f["location"] and f["location"]["region"] == "ap-future-9"
    ]
    assert unknown and all(f["unverified"] for f in unknown)
    assert all("(2)-1" in f["guideline_items"] for f in unknown)

    html = (out / "report.html").read_text(encoding="utf-8")
    coverage = _coverage_section(html)
    assert "ap-future-9" in coverage and "nam-future1" in coverage
    assert "カタログにないロケーションコード" in coverage


def test_known_codes_leave_the_list_empty(tmp_path: Path) -> None:
    doc: dict[str, Any] = json.loads(DEMO_ESTATE.read_text(encoding="utf-8"))
    doc["buckets"] = [
        b for b in doc["buckets"] if all(loc["region"] != "asia-south9" for loc in b["locations"])
    ]
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["evaluate", str(inventory), "--output", str(out)])
    assert result.exit_code == 1, result.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert doc["scan"]["coverage"]["unmapped_codes"] == []
    assert "not in the catalog" not in result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    coverage = _coverage_section(html)
    assert "カタログにないロケーションコード" not in coverage
