"""The one migration history matches the models and round-trips, on both databases."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from impasto.keys.service import KeyService
from impasto.kit.clock import SystemClock
from impasto.kit.db import Database, migrate
from impasto.kit.db.migrate import current_revision, downgrade, head_revision, upgrade
from impasto.kit.ids import UUIDv7Generator
from impasto.models import ApiKey, Base, KeyScope


def test_database_is_at_head_and_matches_models(database_url: str) -> None:
    database = Database(database_url, pool_size=1)
    try:
        assert current_revision(database) == head_revision()
        with database.write_engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": _not_search_index})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        database.dispose()


def _not_search_index(name: str | None, type_: str, _parents: object) -> bool:
    """The catalog's and the assets' full-text indexes (FTS5 tables, GIN expression indexes)
    live only in the migrations, not in the models (docs/architecture/catalog-search.md)."""
    return not (name or "").startswith(("catalog_fts", "assets_fts"))


def test_upgrade_is_idempotent_and_downgrade_round_trips(database_url: str) -> None:
    database = Database(database_url, pool_size=1)
    try:
        upgrade(database)  # again: nothing to do
        downgrade(database, "base")
        assert current_revision(database) is None
        upgrade(database)
        assert current_revision(database) == head_revision()
    finally:
        database.dispose()


def test_sqlite_table_rebuilds_keep_child_rows(tmp_path: Path) -> None:
    """Batch mode drops and recreates a table; ON DELETE CASCADE must not fire meanwhile."""
    database = Database(f"sqlite:///{tmp_path / 'impasto.db'}", pool_size=1)
    try:
        upgrade(database)
        with database.session(write=True) as session:
            KeyService(session, SystemClock(), UUIDv7Generator()).create(
                owner="acme", scope=KeyScope.API, alias="survivor", created_by="tests"
            )

        def rebuild_accounts(config: Config, _: str) -> None:
            context = MigrationContext.configure(config.attributes["connection"])
            with Operations(context).batch_alter_table("accounts", recreate="always") as batch:
                batch.add_column(sa.Column("note", sa.String(10)))

        migrate._run(database, rebuild_accounts, "head")
        with database.session(write=False) as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == 1
            assert session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        database.dispose()


def test_concurrent_bootstraps_create_one_key(database_url: str) -> None:
    database = Database(database_url, pool_size=4)
    try:

        def bootstrap(_: int) -> bool:
            with database.session(write=True) as session:
                service = KeyService(session, SystemClock(), UUIDv7Generator())
                return service.bootstrap_admin("admin") is not None

        with ThreadPoolExecutor(max_workers=4) as pool:
            created = list(pool.map(bootstrap, range(4)))
        assert created.count(True) == 1
    finally:
        database.dispose()
