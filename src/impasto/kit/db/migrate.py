"""Apply the one Alembic history (shipped inside the package) to a database, say where a
database stands in it without changing it, or print the SQL an upgrade would run."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, text

from impasto.kit.db.database import Database

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
MIGRATION_LOCK = 7317012345


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    _run(database, command.upgrade, revision)


def downgrade(database: Database, revision: str) -> None:
    _run(database, command.downgrade, revision)


def _run(database: Database, step: Callable[[Config, str], None], revision: str) -> None:
    config = _config()
    with database.write_engine.connect() as conn:
        if database.dialect == "sqlite":
            # Batch mode rebuilds a table by dropping it, which would fire ON DELETE CASCADE
            # on its children. The pragma only takes effect outside a transaction, so it is
            # set before BEGIN and the constraints are re-checked before COMMIT.
            _set_foreign_keys(conn, enabled=False)
        try:
            # One write transaction: concurrent runs queue behind BEGIN IMMEDIATE (SQLite)
            # or the advisory lock (PostgreSQL; the key is arbitrary).
            with conn.begin():
                if database.dialect == "postgresql":
                    conn.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                config.attributes["connection"] = conn
                step(config, revision)
                if database.dialect == "sqlite":
                    _check_foreign_keys(conn)
        finally:
            if database.dialect == "sqlite":
                _set_foreign_keys(conn, enabled=True)


def _set_foreign_keys(conn: Connection, *, enabled: bool) -> None:
    # Straight on the driver connection: SQLAlchemy would open a transaction first.
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")


def _check_foreign_keys(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    """The database's revision (``None``: never migrated), read without a write lock."""
    with database.session(write=False) as session:
        return MigrationContext.configure(session.connection()).get_current_revision()


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database stands against this code's history."""

    current: str | None  # None: never migrated
    head: str | None
    known: bool  # ``current`` is in this code's history (False: a newer Impasto migrated it)

    @property
    def is_current(self) -> bool:
        return self.current == self.head

    @property
    def is_behind(self) -> bool:
        return self.known and not self.is_current


def schema_state(database: Database | None) -> SchemaState:
    """``database``'s revision against the head, read only; ``None``: no database yet."""
    current = current_revision(database) if database is not None else None
    head = head_revision()
    return SchemaState(current, head, known=current is None or _in_history(current))


def _in_history(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False


class OfflineUnsupported(RuntimeError):
    """The pending steps cannot be written as SQL without a live connection."""


def upgrade_sql(url: str, start: str | None, revision: str = "head") -> str:
    """The SQL that brings a database of ``url``'s dialect from ``start`` to ``revision``
    (Alembic's offline mode): nothing is connected to and nothing is applied.

    SQLite's batch steps rebuild tables from their reflected definition, which needs the
    live database: those raise ``OfflineUnsupported``. PostgreSQL's script omits the
    advisory lock ``upgrade`` takes."""
    buffer = io.StringIO()
    config = _config()
    config.output_buffer = buffer
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    try:
        command.upgrade(config, f"{start}:{revision}" if start else revision, sql=True)
    except CommandError as exc:
        raise OfflineUnsupported(str(exc)) from exc
    return buffer.getvalue()
