"""``impasto migrate``: apply the schema history to the configured database; or, with
``--check`` or ``--sql``, only say where it stands or print the SQL, changing nothing."""

from __future__ import annotations

from typing import Annotated

import typer

from impasto.cli.common import (
    DataDirOption,
    describe_revision,
    fail,
    load_settings,
    migrated_database,
    open_existing,
    schema_problem,
)
from impasto.kit.db import Database
from impasto.kit.db.migrate import OfflineUnsupported, current_revision, schema_state, upgrade_sql


def migrate(
    data_dir: DataDirOption = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Change nothing; print both revisions and exit 0 when the database is "
            "current, 1 when it is behind",
        ),
    ] = False,
    sql: Annotated[
        bool,
        typer.Option(
            "--sql",
            help="Print the SQL the upgrade would run and apply nothing (Alembic's offline "
            "mode; on SQLite only while no table rebuild is pending)",
        ),
    ] = False,
) -> None:
    """Bring the database to the latest schema (safe to run again)."""
    if check and sql:
        fail("give --check or --sql, not both", code=2)
    settings = load_settings(data_dir=data_dir)
    if check:
        _check(open_existing(settings))
    elif sql:
        _print_sql(settings.effective_database_url, open_existing(settings))
    else:
        with migrated_database(settings) as database:
            typer.echo(f"Database at revision {current_revision(database)} ({database.dialect}).")


def _check(database: Database | None) -> None:
    try:
        state = schema_state(database)
    finally:
        if database is not None:
            database.dispose()
    typer.echo(f"database: {describe_revision(state.current)}")
    typer.echo(f"impasto:  {state.head}")
    if state.is_current:
        typer.echo("The database is current.")
        return
    if not state.known:
        fail(schema_problem(state), code=2)
    typer.echo("The database is behind: run `impasto migrate`.")
    raise typer.Exit(1)


def _print_sql(url: str, database: Database | None) -> None:
    """The pending steps only: from the database's revision (read, never written) to head."""
    try:
        state = schema_state(database)
    finally:
        if database is not None:
            database.dispose()
    if not state.known:
        fail(schema_problem(state), code=2)
    if state.is_current:
        typer.echo(f"-- the database is at {state.head}: nothing to apply", err=True)
        return
    try:
        script = upgrade_sql(url, state.current)
    except OfflineUnsupported as exc:
        fail(
            "--sql cannot write these steps: SQLite's table rebuilds read the live tables "
            f"(run `impasto migrate`, or use PostgreSQL for scripts). {exc}",
            code=2,
        )
    typer.echo(script, nl=False)
