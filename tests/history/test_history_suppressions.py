"""Accepted exceptions: they never hide a finding, expire into `reopened`, and go stale loudly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from residency_audit.errors import ConfigError
from residency_audit.history import (
    HistoryStore,
    Suppressions,
    apply_suppressions,
    fails,
    load_suppressions,
)
from residency_audit.model import Finding, FindingState, Severity
from residency_audit.results import ScanResult

T0 = datetime(2026, 3, 30, 3, 0, tzinfo=UTC)
MakeF = Callable[..., Finding]
MakeR = Callable[..., ScanResult]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suppressions.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def store(db_url: str) -> Iterator[HistoryStore]:
    with HistoryStore.open(db_url) as s:
        yield s


def by_fingerprint(fp: str, expires: str = "2026-03-31", sid: str = "dr-copy") -> str:
    return f"""
[[suppression]]
id = "{sid}"
fingerprint = "{fp}"
reason = "DR copy in Hong Kong approved by the export-control committee"
approved_by = "k.tanaka@example.co.jp"
expires = {expires}
"""


def test_suppressed_finding_stays_and_expiry_reopens_it(
    store: HistoryStore, tmp_path: Path, finding: MakeF, result: MakeR
) -> None:
    a = finding("bucket-a", severity=Severity.CRITICAL)
    sups = load_suppressions(write(tmp_path, by_fingerprint(a.fingerprint)))

    first = store.record(result("scan-1", [a], started=T0), suppressions=sups, now=T0)
    (kept,) = first.findings  # still reported, with who accepted it and until when
    assert kept.suppression is not None
    assert (kept.suppression.id, kept.suppression.approved_by) == (
        "dr-copy",
        "k.tanaka@example.co.jp",
    )
    assert kept.suppression.expires == date(2026, 3, 31)
    assert not fails(first, Severity.LOW)  # an accepted exception does not fail the run

    # the last day of the exception still counts
    last_day = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    second = store.record(
        result("scan-2", [a], started=T0 + timedelta(days=1)), suppressions=sups, now=last_day
    )
    assert second.findings[0].suppression is not None
    assert second.findings[0].state is FindingState.PERSISTING

    after = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
    third = store.record(result("scan-3", [a], started=after), suppressions=sups, now=after)
    (back,) = third.findings
    assert back.suppression is None
    assert back.state is FindingState.REOPENED
    assert back.first_seen == T0
    assert fails(third, Severity.HIGH, new_only=True)
    assert third.stale_suppressions == ()  # expired, but it still matches: not stale

    fourth = store.record(
        result("scan-4", [a], started=after + timedelta(days=1)),
        suppressions=sups,
        now=after + timedelta(days=1),
    )
    assert fourth.findings[0].state is FindingState.PERSISTING


def test_withdrawn_suppression_reopens(
    store: HistoryStore, tmp_path: Path, finding: MakeF, result: MakeR
) -> None:
    a = finding("bucket-a")
    sups = load_suppressions(write(tmp_path, by_fingerprint(a.fingerprint)))
    store.record(result("scan-1", [a], started=T0), suppressions=sups, now=T0)
    second = store.record(result("scan-2", [a], started=T0 + timedelta(hours=1)), now=T0)
    assert second.findings[0].state is FindingState.REOPENED


def test_stale_suppression_is_reported_and_recorded(
    store: HistoryStore, tmp_path: Path, finding: MakeF, result: MakeR
) -> None:
    a = finding("bucket-a")
    text = by_fingerprint(a.fingerprint) + by_fingerprint("0" * 64, sid="deleted-bucket")
    sups = load_suppressions(write(tmp_path, text))
    res = store.record(result("scan-1", [a], started=T0), suppressions=sups, now=T0)
    assert res.stale_suppressions == ("deleted-bucket",)
    assert store.get_scan("scan-1").stale_suppressions == ("deleted-bucket",)
    assert store.list_scans()[0].suppressed == 1


def test_pattern_suppression_by_rule_provider_scope_and_resource_glob(
    tmp_path: Path, finding: MakeF, result: MakeR
) -> None:
    text = """
[[suppression]]
id = "access-logs"
rule = "RA-LOC-*"
provider = "aws"
scope = "111111111111"
resource = "access-logs-*"
reason = "log buckets hold no technical information"
approved_by = "security@example.co.jp"
expires = 2026-12-31
"""
    sups = load_suppressions(write(tmp_path, text))
    logs = finding("access-logs-tokyo", rule="RA-LOC-CONCERN")
    other_account = finding("access-logs-tokyo", rule="RA-LOC-CONCERN", scope="222222222222")
    other_rule = finding("access-logs-tokyo", rule="RA-ENC-NONE")
    data = finding("design-data", rule="RA-LOC-CONCERN")
    res = apply_suppressions(
        result("scan-1", [logs, other_account, other_rule, data]), sups, now=T0
    )
    assert [f.suppression is not None for f in res.findings] == [True, False, False, False]
    assert [f.state for f in res.findings] == [None] * 4  # no history: no states invented


def test_resource_glob_matches_uid_and_scope_level_findings_need_star(
    finding: MakeF, result: MakeR, tmp_path: Path
) -> None:
    base: dict[str, Any] = dict(
        reason="r", approved_by="a", expires=date(2026, 12, 31), rule="*", provider="*", scope="*"
    )
    from residency_audit.history import Suppression

    by_uid = Suppression(id="u", resource="arn:aws:s3:::design-*", **base)
    star = Suppression(id="s", resource="*", **base)
    f = finding("design-data")
    scope_level = f.model_copy(update={"resource": None, "fingerprint": "f" * 64})
    assert by_uid.matches(f) and not by_uid.matches(scope_level)
    assert star.matches(scope_level)
    res = apply_suppressions(result("s", [f]), Suppressions(items=(by_uid,)), now=T0)
    assert res.findings[0].suppression is not None


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (
            '[[suppression]]\nid = "x"\nfingerprint = "f"\nreason = "r"\napproved_by = "a"\n',
            "suppression[0].expires",
            "required",
        ),
        (
            '[[suppression]]\nid = "x"\nfingerprint = "f"\nreason = "r"\napproved_by = "a"\n'
            'expires = "next year"\n',
            "suppression[0].expires",
            "date",
        ),
        (
            '[[suppression]]\nid = "x"\nfingerprint = "f"\nreason = "r"\napproved_by = "a"\n'
            "expires = 2026-01-01T00:00:00Z\n",
            "suppression[0].expires",
            "not a date-time",
        ),
        (
            '[[suppression]]\nid = "x"\nfingerprint = "f"\nrule = "R"\nreason = "r"\n'
            'approved_by = "a"\nexpires = 2026-01-01\n',
            "suppression[0].rule",
            "either",
        ),
        (
            '[[suppression]]\nid = "x"\nrule = "R"\nprovider = "aws"\nreason = "r"\n'
            'approved_by = "a"\nexpires = 2026-01-01\n',
            "suppression[0].scope",
            "needs rule",
        ),
        (
            '[[suppression]]\nid = "x"\nfingerprint = "f"\nreason = ""\napproved_by = "a"\n'
            "expires = 2026-01-01\n",
            "suppression[0].reason",
            "non-empty",
        ),
        (
            '[[suppression]]\nid = "x"\nfingerprint = "f"\nreason = "r"\napproved_by = "a"\n'
            'expires = 2026-01-01\nregion = "x"\n',
            "suppression[0].region",
            "unknown key",
        ),
        (by_fingerprint("f") + by_fingerprint("g"), "suppression[1].id", "duplicate"),
        ('[suppressions]\nid = "x"\n', "suppressions", "unknown top-level"),
        ("suppression = 3\n", "suppression", "array of tables"),
    ],
)
def test_bad_suppressions_file_names_file_and_key(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_suppressions(path)
    assert err.value.file == str(path)
    assert err.value.key == key
    assert message in err.value.message


def test_unreadable_suppressions_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_suppressions(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="TOML") as err:
        load_suppressions(write(tmp_path, "[[suppression]\n"))
    assert err.value.file is not None
