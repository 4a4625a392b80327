"""Fixtures for the history tests: scan results built from the contract types, and a throwaway
PostgreSQL cluster (Debian ``postgresql``) started once per session.

The cluster runs as the ``postgres`` user when the tests run as root (initdb refuses root), listens
on a free 127.0.0.1 port and a socket in its own temp dir, and is stopped and deleted at the end.
Each test gets its own database. When the binaries are missing the PostgreSQL tests skip -- except
in CI (env ``CI`` set), where they fail. ``RESIDENCY_AUDIT_TEST_PG_URL`` points the tests at an
existing server instead (a CI service container); its role needs CREATEDB.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from residency_audit.history import HistoryStore
from residency_audit.history.models import Base
from residency_audit.model import (
    Bucket,
    Finding,
    FindingLocation,
    Gap,
    Inventory,
    Location,
    ResourceRef,
    Role,
    ScopeResult,
    ScopeStatus,
    Severity,
    Text,
)
from residency_audit.results import Coverage, ProfileRef, ScanMeta, ScanResult

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


# -- scan results --------------------------------------------------------------------------------


def make_finding(
    bucket: str,
    *,
    rule: str = "RA-LOC-CONCERN",
    provider: str = "aws",
    scope: str = "111111111111",
    severity: Severity = Severity.HIGH,
    region: str | None = "ap-east-1",
) -> Finding:
    uid = f"arn:aws:s3:::{bucket}" if provider == "aws" else f"{provider}://{scope}/{bucket}"
    fp = hashlib.sha256(f"{rule}|{provider}|{scope}|{uid}|{region}".encode()).hexdigest()
    return Finding(
        fingerprint=fp,
        rule_id=rule,
        guideline_items=("(2)-1",),
        severity=severity,
        base_severity=severity,
        provider=provider,
        scope=scope,
        resource=ResourceRef(name=bucket, uid=uid),
        location=FindingLocation(role=Role.REPLICA, region=region, country="HK"),
        message=Text(ja="懸念国に複製があります", en="a replica is in a country of concern"),
        remediation=Text(ja="複製先を変更してください", en="move the replica"),
    )


def make_result(
    scan_id: str,
    findings: Sequence[Finding],
    *,
    started: datetime | None = None,
    scopes: dict[tuple[str, str], ScopeStatus] | None = None,
    gaps: dict[str, Sequence[Gap]] | None = None,
) -> ScanResult:
    """A scan of the scopes given (default: every scope a finding names, all complete)."""
    started = started or T0
    if scopes is None:
        scopes = {(f.provider, f.scope): ScopeStatus.COMPLETE for f in findings}
    scope_results = tuple(
        ScopeResult(
            provider=p,
            scope=s,
            status=st,
            error=None
            if st is ScopeStatus.COMPLETE
            else "AccessDenied listing buckets in eu-west-1",
        )
        for (p, s), st in sorted(scopes.items())
    )
    buckets = {
        f.resource.uid: Bucket(
            provider=f.provider,
            scope=f.scope,
            name=f.resource.name,
            uid=f.resource.uid,
            tags={"owner": "<script>alert(1)</script>"},
            locations=(
                Location(
                    role=Role.PRIMARY,
                    provider=f.provider,
                    region="ap-northeast-1",
                    mechanism="bucket-location",
                ),
            ),
            gaps=tuple((gaps or {}).get(f.resource.uid, ())),
        )
        for f in findings
        if f.resource
    }
    for uid, bucket_gaps in (gaps or {}).items():
        if uid not in buckets:
            buckets[uid] = Bucket(
                provider="aws",
                scope="111111111111",
                name=uid.rsplit(":", 1)[-1],
                uid=uid,
                gaps=tuple(bucket_gaps),
            )
    inventory = Inventory(
        scan_id=scan_id,
        started=started,
        finished=started + timedelta(minutes=3),
        providers=tuple(sorted({p for p, _ in scopes})),
        scopes=scope_results,
        buckets=tuple(buckets.values()),
    )
    counts = {st: sum(1 for s in scope_results if s.status is st) for st in ScopeStatus}
    coverage = Coverage(
        scopes_total=len(scope_results),
        scopes_complete=counts[ScopeStatus.COMPLETE],
        scopes_incomplete=counts[ScopeStatus.INCOMPLETE],
        scopes_failed=counts[ScopeStatus.FAILED],
        buckets=len(buckets),
        buckets_with_gaps=sum(1 for b in buckets.values() if b.gaps),
        locations=len(buckets),
        locations_unknown=0,
        locations_unverified=0,
        unclassified_buckets=len(buckets),
        complete=inventory.complete,
    )
    meta = ScanMeta(
        id=scan_id,
        started=started,
        finished=started + timedelta(minutes=3),
        tool_version="0.1.0",
        profile=ProfileRef(name="cistec-default", sha256="ab" * 32),
        providers=inventory.providers,
        coverage=coverage,
    )
    return ScanResult(scan=meta, findings=tuple(findings), inventory=inventory)


@pytest.fixture
def finding() -> Callable[..., Finding]:
    return make_finding


@pytest.fixture
def result() -> Callable[..., ScanResult]:
    return make_result


def result_to_files(res: ScanResult, directory: Path) -> tuple[Path, Path]:
    """findings.json-shaped result and its inventory (the inventory is excluded from the dump)."""
    r, i = directory / "result.json", directory / "inventory.json"
    r.write_text(res.model_dump_json(by_alias=True))
    i.write_text(res.inventory.model_dump_json(by_alias=True))
    return r, i


@pytest.fixture
def dump_result() -> Callable[[ScanResult, Path], tuple[Path, Path]]:
    return result_to_files


# -- databases -----------------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    return Path(which).resolve().parent if which else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL (no database part) for the whole session."""
    external = os.environ.get("RESIDENCY_AUDIT_TEST_PG_URL")
    if external:
        yield external
        return
    bindir = _pg_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        message = "PostgreSQL server binaries not found (Debian: apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; the PostgreSQL tests never skip in CI")
        pytest.skip(message)
    base = Path(tempfile.mkdtemp(prefix="ra-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        user = "postgres"
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            user, pw = "nobody", pwd.getpwnam("nobody")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", user, "--"]
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    shutil.chown(sock, *(_owner(base)))
    port = _free_port()
    options = (
        f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c full_page_writes=off -c synchronous_commit=off"
    )

    def run(*args: str | Path) -> None:
        proc = subprocess.run(
            [*prefix, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
        )
        if proc.returncode != 0:
            log = (base / "log").read_text() if (base / "log").exists() else ""
            raise RuntimeError(f"{args[0]} failed: {proc.stdout}\n{proc.stderr}\n{log}")

    try:
        run(
            bindir / "initdb",
            "-D",
            data,
            "-A",
            "trust",
            "-U",
            "audit",
            "-E",
            "UTF8",
            "--locale=C",
            "-N",
        )
        run(
            bindir / "pg_ctl",
            "-D",
            data,
            "-l",
            base / "log",
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )
        yield f"postgresql+psycopg://audit@127.0.0.1:{port}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(base, ignore_errors=True)


def _owner(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_uid, st.st_gid


def _libpq(url: str, database: str) -> str:
    u = make_url(url).set(drivername="postgresql", database=database)
    return u.render_as_string(hide_password=False)


def _create_database(server: str, name: str) -> str:
    with psycopg.connect(_libpq(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" STRATEGY FILE_COPY')
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _drop_database(server: str, name: str) -> None:
    with psycopg.connect(_libpq(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_head_database(pg_server: str) -> Iterator[str]:
    """One database migrated to the newest schema once per session (migrating is slow)."""
    name = f"ra_head_{uuid.uuid4().hex[:8]}"
    url = _create_database(pg_server, name)
    HistoryStore.open(url).close()
    yield url
    _drop_database(pg_server, name)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server."""
    name = f"ra_{uuid.uuid4().hex[:12]}"
    yield _create_database(pg_server, name)
    _drop_database(pg_server, name)


@pytest.fixture
def pg_head_url(pg_head_database: str) -> str:
    """The session's head-schema database, emptied for this test."""
    with psycopg.connect(_libpq(pg_head_database, make_url(pg_head_database).database or "")) as c:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        c.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return pg_head_database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reports' / 'history.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest) -> str:
    """An empty database: SQLite, and a real PostgreSQL server."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    value: Any = request.getfixturevalue(name)
    return str(value)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A database at the newest schema: the same test against SQLite and a real PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_head_url"
    value: Any = request.getfixturevalue(name)
    return str(value)
