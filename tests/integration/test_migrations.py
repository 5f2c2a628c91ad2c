"""The one migration history matches the models and round-trips, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from impasto.kit.db import Database
from impasto.kit.db.migrate import current_revision, downgrade, head_revision, upgrade
from impasto.models import Base


def test_database_is_at_head_and_matches_models(database_url: str) -> None:
    database = Database(database_url, pool_size=1)
    try:
        assert current_revision(database) == head_revision()
        with database.write_engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        database.dispose()


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
