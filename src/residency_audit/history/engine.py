"""Engines for the history database and the schema migrations that run when a store opens.

SQLite (the default) runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE``: a second writer waits for the first at the start of its transaction instead of
failing halfway when its read lock cannot be upgraded. On PostgreSQL a transaction-scoped advisory
lock serialises writers the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from .errors import HistoryError, HistoryInputError, HistoryLockedError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "HEAD_REVISION_UNKNOWN",
    "alembic_config",
    "current_revision",
    "first_line",
    "head_revision",
    "make_engine",
    "normalize_url",
    "safe_url",
    "shipped_revisions",
    "upgrade",
    "write_transaction",
]

DEFAULT_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another scan's transaction
HEAD_REVISION_UNKNOWN = "unknown"
_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x5241_4849  # "RAHI": residency-audit history, one writer at a time


def normalize_url(value: str) -> URL:
    """A URL from the user: a sqlite path, ``sqlite:///...`` or ``postgresql[+psycopg]://...``."""
    if "://" not in value:
        value = f"sqlite:///{value}"
    try:
        url = make_url(value)
    except ArgumentError:
        # never echo the value: it may hold a password
        raise HistoryInputError(
            "history database URL is not valid; expected a file path, sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DATABASE"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise HistoryInputError(
            f"unsupported history database {url.get_backend_name()!r}: use sqlite or postgresql"
        )
    return url


def safe_url(url: URL) -> str:
    """The URL as it may appear in messages: never with its password."""
    return url.render_as_string(hide_password=True)


def make_engine(url: URL, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout})
    millis = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module; _on_begin issues BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {millis}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def write_transaction(
    engine: Engine,
    what: str,
    url: URL,
    *,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    migrating: bool = False,
) -> Iterator[Connection]:
    """One transaction holding the database's single write lock; commits or rolls back whole."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                if migrating:
                    # Alembic's batch mode rebuilds a SQLite table by dropping it; with foreign
                    # keys on, dropping `scans` would cascade-delete every child row. The pragma
                    # only works outside a transaction, so it goes straight to the driver.
                    conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    # wait as long as SQLite would, then fail clearly instead of hanging a schedule
                    millis = int(busy_timeout * 1000)
                    conn.execute(text(f"SET LOCAL lock_timeout = {millis}"))
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                    conn.execute(text("SET LOCAL lock_timeout = 0"))
                yield conn
                if migrating and engine.dialect.name == "sqlite":
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise HistoryError(f"{what}: migration broke a reference: {broken}")
            if migrating and engine.dialect.name == "sqlite":
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
    except OperationalError as exc:
        reason = str(exc.orig).lower()
        if "locked" in reason or "busy" in reason or "lock timeout" in reason:
            raise HistoryLockedError(
                f"{what}: history database {safe_url(url)} is locked by another scan; "
                "it did not finish within the wait time -- run again when it has"
            ) from None
        raise HistoryError(f"{what}: {safe_url(url)}: {first_line(exc.orig)}") from None
    except SQLAlchemyError as exc:
        raise HistoryError(f"{what}: {safe_url(url)}: {first_line(exc)}") from None


def first_line(exc: object) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# Alembic (about 0.2 s to import) is loaded only when a schema must change. Opening a store whose
# schema is already at the head -- every scan but the first -- reads the version row with plain
# SQL and the shipped revision ids from the revision files' own lines (a test checks they agree
# with Alembic's reading of the same files).
_REVISION_LINE = re.compile(
    r'^(down_revision|revision)\b[^=\n]*=\s*(?:"([^"\n]*)"|None)\s*$', re.MULTILINE
)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def _scripts() -> ScriptDirectory:
    """The shipped revisions as Alembic reads them, once per process."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


@cache
def shipped_revisions() -> tuple[frozenset[str], str | None]:
    """Every shipped revision id and the head, from the revision files (None: no single head)."""
    revisions: dict[str, str | None] = {}
    for path in sorted((_MIGRATIONS / "versions").glob("*.py")):
        found = dict(
            (key, value or None)
            for key, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8"))
        )
        if found.get("revision"):
            revisions[str(found["revision"])] = found.get("down_revision")
    heads = set(revisions) - {down for down in revisions.values() if down}
    return frozenset(revisions), (heads.pop() if len(heads) == 1 else None)


def head_revision() -> str:
    head = shipped_revisions()[1]
    if head is None:  # branched or unreadable: Alembic's own answer
        return _scripts().get_current_head() or HEAD_REVISION_UNKNOWN
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None: no schema yet), as Alembic stores it."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:  # several heads: only Alembic knows what that means
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    return str(rows[0]) if rows else None


def upgrade(
    engine: Engine, url: URL, revision: str = "head", *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> None:
    """Bring the schema to ``revision``, holding the write lock so two openers do not race."""
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        reason = first_line(getattr(exc, "orig", None) or exc)
        raise HistoryError(f"cannot open {safe_url(url)}: {reason}") from None
    known = shipped_revisions()[0]
    if current is not None and current not in known:
        raise HistoryError(
            f"history database {safe_url(url)} has schema revision {current}, newer than this "
            "residency-audit knows; upgrade residency-audit or use another database"
        )
    if current == (head_revision() if revision == "head" else revision):
        return
    what = "migrating the history schema"
    from alembic import command
    from alembic.util.exc import CommandError

    with write_transaction(engine, what, url, busy_timeout=busy_timeout, migrating=True) as conn:
        try:
            command.upgrade(alembic_config(conn), revision)
        except CommandError as exc:
            raise HistoryError(f"migrating {safe_url(url)}: {exc}") from None
