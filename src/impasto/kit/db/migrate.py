"""Apply the one Alembic history (shipped inside the package) to a database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
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
    with database.write_engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
