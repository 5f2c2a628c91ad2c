"""``impasto migrate``: apply the schema history to the configured database."""

from __future__ import annotations

import typer

from impasto.cli.common import DataDirOption, load_settings, migrated_database
from impasto.kit.db.migrate import current_revision


def migrate(data_dir: DataDirOption = None) -> None:
    """Bring the database to the latest schema (safe to run again)."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database:
        typer.echo(f"Database at revision {current_revision(database)} ({database.dialect}).")
