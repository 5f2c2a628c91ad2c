"""Apply the one Alembic history (shipped inside the package) to a database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from impasto.kit.db.database import Database

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


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
    # One write transaction: concurrent `migrate` runs on SQLite queue behind BEGIN IMMEDIATE.
    with database.write_engine.begin() as conn:
        if database.dialect == "postgresql":
            # Servers starting together on one PostgreSQL take turns; the key is arbitrary.
            conn.execute(text("SELECT pg_advisory_xact_lock(7317012345)"))
        config.attributes["connection"] = conn
        step(config, revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.write_engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
