"""Schema migrations: from an empty database, and from a history written by the first schema."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from residency_audit.history import HistoryError, HistoryStore
from residency_audit.history.engine import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    normalize_url,
    upgrade,
    write_transaction,
)
from residency_audit.history.models import Base, UTCDateTime
from residency_audit.model import Finding, FindingState, ScopeStatus
from residency_audit.results import ScanResult

T0 = datetime(2025, 11, 3, 3, 0, tzinfo=UTC)
MakeF = Callable[..., Finding]
MakeR = Callable[..., ScanResult]

# The tables exactly as revision 0001 shipped them (what an older residency-audit wrote).
_v1 = sa.MetaData()
V1_SCANS = sa.Table(
    "scans",
    _v1,
    sa.Column("seq", sa.Integer, primary_key=True),
    *(sa.Column(c, UTCDateTime()) for c in ("started", "finished", "recorded_at")),
    *(sa.Column(c, sa.String) for c in ("id", "tool_version", "profile_name", "profile_sha256")),
    sa.Column("complete", sa.Boolean),
    sa.Column("finding_count", sa.Integer),
    sa.Column("meta", sa.JSON),
    sa.Column("inventory_meta", sa.JSON),
)
V1_SCOPES = sa.Table(
    "scan_scopes",
    _v1,
    sa.Column("scan_seq", sa.Integer),
    *(sa.Column(c, sa.String) for c in ("provider", "scope", "status")),
    sa.Column("data", sa.JSON),
)
V1_BUCKETS = sa.Table(
    "scan_buckets",
    _v1,
    sa.Column("scan_seq", sa.Integer),
    *(sa.Column(c, sa.String) for c in ("provider", "scope", "uid", "name")),
    sa.Column("data", sa.JSON),
)
V1_FINDINGS = sa.Table(
    "scan_findings",
    _v1,
    sa.Column("scan_seq", sa.Integer),
    *(sa.Column(c, sa.String) for c in ("fingerprint", "rule_id", "severity", "provider", "scope")),
    sa.Column("data", sa.JSON),
)


def write_v1(conn: sa.Connection, seq: int, res: ScanResult) -> None:
    """Write a scan the way the first schema's store did: no states, no history table."""
    conn.execute(
        V1_SCANS.insert().values(
            seq=seq,
            id=res.scan.id,
            started=res.scan.started,
            finished=res.scan.finished,
            recorded_at=res.scan.finished,
            tool_version="0.0.9",
            profile_name=res.scan.profile.name,
            profile_sha256=res.scan.profile.sha256,
            complete=res.scan.coverage.complete,
            finding_count=len(res.findings),
            meta=res.scan.model_dump(mode="json"),
            inventory_meta=res.inventory.model_dump(
                mode="json", by_alias=True, exclude={"scopes", "buckets"}
            ),
        )
    )
    for s in res.inventory.scopes:
        conn.execute(
            V1_SCOPES.insert().values(
                scan_seq=seq,
                provider=s.provider,
                scope=s.scope,
                status=s.status.value,
                data=s.model_dump(mode="json"),
            )
        )
    for b in res.inventory.buckets:
        conn.execute(
            V1_BUCKETS.insert().values(
                scan_seq=seq,
                provider=b.provider,
                scope=b.scope,
                uid=b.uid,
                name=b.name,
                data=b.model_dump(mode="json"),
            )
        )
    for f in res.findings:
        conn.execute(
            V1_FINDINGS.insert().values(
                scan_seq=seq,
                fingerprint=f.fingerprint,
                rule_id=f.rule_id,
                severity=f.severity.value,
                provider=f.provider,
                scope=f.scope,
                data=f.model_dump(mode="json"),
            )
        )


def schema_drift(engine: sa.Engine) -> Sequence[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


def test_upgrade_from_empty_reaches_head_matching_the_models(empty_db_url: str) -> None:
    with HistoryStore.open(empty_db_url) as store:
        assert current_revision(store.engine) == head_revision() == "0005"
        assert schema_drift(store.engine) == []
    HistoryStore.open(empty_db_url).close()  # opening again is a no-op


def test_upgrade_from_first_schema_replays_states(
    empty_db_url: str, finding: MakeF, result: MakeR
) -> None:
    url = normalize_url(empty_db_url)
    if url.database and url.get_backend_name() == "sqlite":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade(engine, url, "0001")
    assert current_revision(engine) == "0001"
    a, b, c = finding("bucket-a"), finding("bucket-b"), finding("bucket-c")
    aws = ("aws", "111111111111")
    old = [
        result("old-1", [a, b], started=T0),
        result("old-2", [b], started=T0 + timedelta(days=1), scopes={aws: ScopeStatus.FAILED}),
        result("old-3", [b, c], started=T0 + timedelta(days=2)),
        result("old-4", [a, c], started=T0 + timedelta(days=3)),
    ]
    with write_transaction(engine, "seeding", url) as conn:
        for seq, res in enumerate(old, start=1):
            write_v1(conn, seq, res)
    if engine.dialect.name == "postgresql":  # explicit seq values leave the sequence behind
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval('scans_seq_seq', 4)"))
    engine.dispose()

    with HistoryStore.open(empty_db_url) as store:
        assert current_revision(store.engine) == "0005"
        assert schema_drift(store.engine) == []

        def named(scan_id: str) -> dict[str, str | None]:
            res = store.get_scan(scan_id)
            out: dict[str, str | None] = {
                f.resource.name: f.state for f in res.findings if f.resource
            }
            out.update({f"-{f.resource.name}": f.state for f in res.resolved if f.resource})
            return out

        assert named("old-1") == {"bucket-a": "new", "bucket-b": "new"}
        assert named("old-2") == {"bucket-b": "persisting"}  # a: scope failed, not resolved
        assert named("old-3") == {
            "bucket-b": "persisting",
            "bucket-c": "new",
            "-bucket-a": "resolved",
        }
        assert named("old-4") == {
            "bucket-a": "reopened",
            "bucket-c": "persisting",
            "-bucket-b": "resolved",
        }
        assert store.get_scan("old-4").previous_scan_id == "old-3"

        # the upgraded history goes on as if it had always had states
        new = store.record(result("new-5", [c], started=T0 + timedelta(days=4)))
        assert new.previous_scan_id == "old-4"
        (kept,) = new.findings
        assert kept.state is FindingState.PERSISTING
        assert kept.first_seen == T0 + timedelta(days=2)
        assert [f.fingerprint for f in new.resolved] == [a.fingerprint]
        assert new.resolved[0].first_seen == T0


def test_downgrade_to_first_schema_and_back(db_url: str, finding: MakeF, result: MakeR) -> None:
    with HistoryStore.open(db_url) as store:
        store.record(result("scan-1", [finding("a")], started=T0))
        store.record(result("scan-2", [finding("b")], started=T0 + timedelta(days=1)))
        url = normalize_url(db_url)
        with write_transaction(store.engine, "downgrading", url, migrating=True) as conn:
            command.downgrade(alembic_config(conn), "0001")
        assert current_revision(store.engine) == "0001"
    with HistoryStore.open(db_url) as store:
        assert [f.resource.name for f in store.get_scan("scan-2").resolved if f.resource] == ["a"]


def test_database_from_a_newer_release_is_refused(empty_db_url: str) -> None:
    with HistoryStore.open(empty_db_url) as store, store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(HistoryError, match="newer than this residency-audit"):
        HistoryStore.open(empty_db_url)


def test_unsupported_or_malformed_urls_never_echo_a_password() -> None:
    with pytest.raises(HistoryError, match="unsupported") as err:
        HistoryStore.open("mysql://u:hunter2@db/x")
    assert "hunter2" not in str(err.value)
    with pytest.raises(HistoryError) as err:
        HistoryStore.open("postgresql+psycopg://u:hunter2@127.0.0.1:1/x")
    assert "hunter2" not in str(err.value)
    assert "***" in str(err.value)


def test_reading_commands_do_not_create_a_history(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no scan history"):
        HistoryStore.open(f"sqlite:///{tmp_path}/none/history.db", create=False)
