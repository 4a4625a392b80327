"""Copies made around a bucket (CDN caches, transfer jobs, log and inventory exports) in every
output, as a reader of each sees them.

A small estate goes through the real catalog and rules (``jp-default``): a bucket in Tokyo served
by CloudFront (all edges, Singapore blocked), copied by a DataSync task to Hong Kong and logging
its requests to a Hong Kong bucket; a bucket behind Front Door restricted to Japanese viewers;
and a bucket whose CDN serves no viewer at all (an allow list naming no country: the one case the
catalog answers "no edge", so no copy). findings.json, the CSVs, the workbook, the OCSF and ASFF
files and the HTML page must each name the new roles with their mechanism and target, keep the
metadata export one step below a copy of the contents, and never show "no edge" as unknown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from residency_audit import report
from residency_audit.catalog import load_catalog
from residency_audit.model import (
    Bucket,
    Certainty,
    EdgeFilter,
    Inventory,
    Location,
    Namespace,
    Role,
    ScopeResult,
    Severity,
)
from residency_audit.profiles import load_profile
from residency_audit.results import ScanResult
from residency_audit.rules import EvaluationSettings
from residency_audit.scan import evaluate_inventory
from tests.report_builders import SCAN_END, SCAN_START, TODAY, read_csv
from tests.test_report_asff import _import
from tests.test_report_browser import Watched, browser  # noqa: F401 - fixture
from tests.test_report_ocsf import _validated

ACCOUNT = "111111111111"
DISTRIBUTION = "E2CDNEXAMPLE"
TASK = f"arn:aws:datasync:ap-northeast-1:{ACCOUNT}:task/task-0123456789abcdef0"
LOG_BUCKET = "access-logs-hk"
NEW_ROLES = {"cache", "transfer", "metadata"}


def _loc(role: Role, provider: str, region: str, mechanism: str, **kw: Any) -> Location:
    return Location(role=role, provider=provider, region=region, mechanism=mechanism, **kw)


def _cache(provider: str, code: str, mechanism: str, target: str, f: EdgeFilter) -> Location:
    return _loc(
        Role.CACHE, provider, code, mechanism, namespace=Namespace.CDN, target=target,
        certainty=Certainty.POSSIBLE, edge_filter=f,
    )  # fmt: skip


def _result() -> ScanResult:
    tokyo = _loc(Role.PRIMARY, "aws", "ap-northeast-1", "bucket-location")
    served = Bucket(
        provider="aws", scope=ACCOUNT, name="edge-served", uid="arn:aws:s3:::edge-served",
        locations=(
            tokyo,
            _cache("aws", "cloudfront:PriceClass_All", "cloudfront", DISTRIBUTION,
                   EdgeFilter(mode="block", countries=("SG",))),
            _loc(Role.TRANSFER, "aws", "ap-east-1", "datasync", target=TASK),
            _loc(Role.METADATA, "aws", "ap-east-1", "s3-access-logging", target=LOG_BUCKET),
        ),
    )  # fmt: skip
    japan_only = Bucket(
        provider="azure", scope="sub-1", name="site", uid="/subscriptions/sub-1/.../site",
        locations=(
            _loc(Role.PRIMARY, "azure", "japaneast", "account-location"),
            _cache("azure", "frontdoor", "azure-front-door", "afd-site",
                   EdgeFilter(mode="allow", countries=("JP",))),
        ),
    )  # fmt: skip
    nobody = Bucket(
        provider="aws", scope=ACCOUNT, name="edge-nobody", uid="arn:aws:s3:::edge-nobody",
        locations=(
            tokyo,
            _cache("aws", "cloudfront:PriceClass_200", "cloudfront", "E3NOVIEWER",
                   EdgeFilter(mode="allow", countries=())),
        ),
    )  # fmt: skip
    inventory = Inventory(
        scopes=(ScopeResult(provider="aws", scope=ACCOUNT),
                ScopeResult(provider="azure", scope="sub-1")),
        buckets=(served, japan_only, nobody),
        scan_id="scan-new-roles", started=SCAN_START, finished=SCAN_END,
    )  # fmt: skip
    inventory = load_catalog().resolve_inventory(inventory)
    return evaluate_inventory(
        inventory, load_profile("jp-default"), EvaluationSettings(today=TODAY)
    )


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return _result()


def _by_role(findings: list[dict[str, Any]], role: str, key: str = "location") -> dict[str, Any]:
    """The (2)-1 finding of a role, as a dict with a ``location``."""
    (found,) = [
        f
        for f in findings
        if (f[key] or {}).get("role") == role and "(2)-1" in f["guideline_items"]
    ]
    return found


# -- findings.json and the inventory ------------------------------------------------------------


def test_findings_json_names_each_new_role_with_mechanism_and_target(
    result: ScanResult, tmp_path: Path
) -> None:
    report.write_reports(result, tmp_path, formats=("json",))
    doc = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    findings = doc["findings"]
    cache = _by_role(findings, "cache")["location"]
    assert (cache["mechanism"], cache["target"], cache["certainty"]) == (
        "cloudfront", DISTRIBUTION, "possible",
    )  # fmt: skip
    assert cache["country"] == "HK" and "SG" not in cache["countries"]  # blocked viewers' edges
    transfer = _by_role(findings, "transfer")
    assert transfer["location"]["target"] == TASK and transfer["severity"] == "critical"
    metadata = _by_role(findings, "metadata")
    assert metadata["location"]["target"] == LOG_BUCKET
    # object names, not contents: one step below the transfer's confirmed copy, and it says why
    assert metadata["severity"] == "high" and "object names (keys)" in metadata["message"]["en"]
    assert "オブジェクト名" in metadata["message"]["ja"]
    # Front Door allowed only in Japan and the CDN serving nobody raise no concern finding
    quiet = ("afd-site", "E3NOVIEWER")
    assert not [
        f for f in findings
        if (f["location"] or {}).get("target") in quiet and "(2)-1" in f["guideline_items"]
    ]  # fmt: skip
    # a CDN left with no edge is an answer, not an unknown location
    assert doc["scan"]["coverage"]["locations_unknown"] == 0


def test_inventory_json_keeps_the_geo_restriction(result: ScanResult, tmp_path: Path) -> None:
    report.write_reports(result, tmp_path, formats=("json",))
    doc = json.loads((tmp_path / "inventory.json").read_text(encoding="utf-8"))
    caches = [loc for b in doc["buckets"] for loc in b["locations"] if loc["role"] == "cache"]
    assert {(c["target"], c["edge_filter"]["mode"]) for c in caches} == {
        (DISTRIBUTION, "block"), ("afd-site", "allow"), ("E3NOVIEWER", "allow"),
    }  # fmt: skip
    nobody = next(c for c in caches if c["target"] == "E3NOVIEWER")
    assert nobody["resolution"]["none_left"] and nobody["resolution"]["countries"] == []


def test_csv_rows_carry_the_roles_and_the_inventory_the_restriction(
    result: ScanResult, tmp_path: Path
) -> None:
    report.write_reports(result, tmp_path, lang="en", formats=("csv",))
    rows = read_csv(tmp_path / "findings.csv")
    roles = {(r["location_role"], r["location_mechanism"], r["location_target"]) for r in rows}
    assert {
        ("cache", "cloudfront", DISTRIBUTION),
        ("transfer", "datasync", TASK),
        ("metadata", "s3-access-logging", LOG_BUCKET),
    } <= roles
    inventory = {
        (r["bucket"], r["role"], r["target"]): r for r in read_csv(tmp_path / "inventory.csv")
    }
    served = inventory[("edge-served", "cache", DISTRIBUTION)]
    assert served["edge_filter"] == "block:SG" and "HK" in served["countries"].split(";")
    assert "SG" not in served["countries"].split(";") and served["certainty"] == "possible"
    assert inventory[("site", "cache", "afd-site")]["countries"] == "JP"
    nobody = inventory[("edge-nobody", "cache", "E3NOVIEWER")]
    assert nobody["countries"] == "" and nobody["edge_filter"] == "allow:"
    assert nobody["unknown_reason"] == ""  # nothing unknown about it
    assert inventory[("edge-served", "transfer", TASK)]["countries"] == "HK"


@pytest.mark.parametrize(
    ("lang", "labels", "none_left"),
    [
        ("ja", ("CDN エッジキャッシュ", "転送ジョブの転送先", "オブジェクト名・メタデータの出力先"),
         "なし（地理的制限で残るエッジがない）"),
        ("en", ("CDN edge cache", "Transfer destination", "Object-name and metadata export"),
         "None (the geo restriction leaves no edge)"),
    ],
)  # fmt: skip
def test_workbook_labels_the_roles_and_does_not_call_no_edge_unknown(
    result: ScanResult, tmp_path: Path, lang: str, labels: tuple[str, ...], none_left: str
) -> None:
    report.write_reports(result, tmp_path, lang=lang, formats=("xlsx",))
    wb = openpyxl.load_workbook(tmp_path / "findings.xlsx")
    findings = [[str(c or "") for c in row] for row in wb["findings"].iter_rows(values_only=True)]
    for label in labels:
        assert any(label in row for row in findings), label
    locations = [[str(c or "") for c in row] for row in wb["locations"].iter_rows(values_only=True)]
    (nobody,) = [row for row in locations if "E3NOVIEWER" in row]
    assert none_left in nobody
    (served,) = [row for row in locations if DISTRIBUTION in row]
    note = "拒否リスト" if lang == "ja" else "block list (SG)"
    assert any(note in cell for cell in served)  # the restriction is shown with the countries


# -- the standard formats -----------------------------------------------------------------------


def test_ocsf_events_carry_the_new_roles(result: ScanResult, tmp_path: Path) -> None:
    (path,) = report.write_reports(result, tmp_path, formats=("ocsf",))
    events = json.loads(path.read_text(encoding="utf-8"))
    located = []
    for event in events:
        _validated(event)  # the OCSF models accept each as it is
        loc = event["resources"][0].get("data", {}).get("location")
        if loc and loc["role"] in NEW_ROLES:
            located.append((loc["role"], loc["mechanism"], loc["target"]))
    assert {
        ("cache", "cloudfront", DISTRIBUTION),
        ("transfer", "datasync", TASK),
        ("metadata", "s3-access-logging", LOG_BUCKET),
    } <= set(located)


def test_asff_findings_carry_the_new_roles_and_import(result: ScanResult, tmp_path: Path) -> None:
    (path,) = report.write_reports(
        result, tmp_path, formats=("asff",), asff_account=ACCOUNT, asff_region="ap-northeast-1"
    )
    findings = json.loads(path.read_text(encoding="utf-8"))["Findings"]
    fields = [f["ProductFields"] for f in findings]
    seen = {
        (p.get("residency-audit/location_role"), p.get("residency-audit/location_mechanism"),
         p.get("residency-audit/location_target"))
        for p in fields
    }  # fmt: skip
    assert {
        ("cache", "cloudfront", DISTRIBUTION),
        ("transfer", "datasync", TASK),
        ("metadata", "s3-access-logging", LOG_BUCKET),
    } <= seen
    # a copy's region is not the bucket's: the S3 resource keeps Tokyo's absence, not Hong Kong
    for f in findings:
        role = f["ProductFields"].get("residency-audit/location_role")
        if role in NEW_ROLES:
            assert f["Resources"][0].get("Region") != "ap-east-1"
    assert _import(findings) >= 1  # botocore's validation of BatchImportFindings accepts them


# -- the HTML page --------------------------------------------------------------------------------


def test_html_glance_legend_and_glossary_name_the_new_roles(result: ScanResult) -> None:
    html = report.render_html(result, "en")
    for role in NEW_ROLES:
        assert f'data-role="{role}"' in html  # the map's legend has a line for each
    # the at-a-glance block (server-rendered, before the page's data) names each copy's role
    # and what to do about it
    glance = html[html.index('<section id="glance"') :]
    glance = glance[: glance.index("</section>")]
    for words in (
        "CDN edge cache",
        "Narrow the CDN to edges in allowed countries",
        "Transfer destination",
        "Stop the transfer job and delete the copies at its destination",
        "Object-name and metadata export",
        "Send the logs or inventory reports to an allowed country or region",
    ):
        assert words in glance, words
    assert "edge-served" in glance and "edge-nobody" not in glance


@pytest.mark.browser
def test_page_shows_the_new_roles_in_both_languages(
    browser: Any,  # noqa: F811
    result: ScanResult,
    tmp_path: Path,
) -> None:
    w = Watched(browser)
    page = w.open(result, tmp_path, lang="ja")
    rows = page.locator("#findings-table tbody").inner_text()
    for label in (
        "CDN エッジキャッシュ",
        "転送ジョブの転送先",
        "オブジェクト名・メタデータの出力先",
    ):
        assert label in rows, label
    page.click("#lang-switch button[data-lang=en]")
    rows = page.locator("#findings-table tbody").inner_text()
    for label in ("CDN edge cache", "Transfer destination", "Object-name and metadata export"):
        assert label in rows, label
    legend = page.locator("#map [data-role]").all_inner_texts()
    assert {"CDN edge cache", "Transfer destination", "Object-name and metadata export"} <= {
        text.strip() for text in legend
    }
    w.clean()
    w.close()


def test_no_edge_left_is_neither_a_flow_nor_an_unknown_on_the_map(result: ScanResult) -> None:
    from residency_audit.report.geo import UNKNOWN, geo_picture

    picture = geo_picture(result.inventory.buckets, {})
    assert UNKNOWN not in {n.cc for n in picture.nodes}
    caches = {e.dst for e in picture.edges if e.role == "cache"}
    assert "HK" in caches and "SG" not in caches


def test_severities_follow_the_roles(result: ScanResult) -> None:
    concern = {
        f.location.role: f.severity
        for f in result.findings
        if f.location is not None and "(2)-1" in f.guideline_items
    }
    assert concern[Role.TRANSFER] is Severity.CRITICAL  # a confirmed copy of the contents
    assert concern[Role.CACHE] is Severity.HIGH  # possible copies
    assert concern[Role.METADATA] is Severity.HIGH  # names, not contents
