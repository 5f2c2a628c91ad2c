"""What every command needs: settings from env + flags, and the database: migrated for a
command that writes, opened as it is for one that only reads."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from impasto.config import Settings
from impasto.kit.cursors import Cursors
from impasto.kit.datadir import prepare_data_dir
from impasto.kit.db import Database
from impasto.kit.db.migrate import SchemaState, schema_state, upgrade
from impasto.kit.signing import Signer

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory [env: IMPASTO_DATA_DIR, default: ./.impasto]",
        show_default=False,
    ),
]


PublicOption = Annotated[
    bool | None,
    typer.Option(
        "--public/--private",
        help="Who may call it: everyone, or its owner and the operator "
        "[default: private for a new app; a redeploy keeps what it was]",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="One JSON document on stdout instead of the table")
]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load_settings(**flags: Any) -> Settings:
    """Settings from the environment, with the flags that were given taking precedence."""
    overrides = {name: value for name, value in flags.items() if value is not None}
    for name in Settings.unknown_environment(dict(os.environ)):
        typer.echo(f"warning: {name} is not an Impasto setting and is ignored", err=True)
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        fail(f"invalid settings: {problems}", code=2)
    # Also on PostgreSQL: the data directory holds the instance lock and local files.
    return settings.model_copy(update={"data_dir": prepare_data_dir(settings.data_dir)})


@contextmanager
def migrated_database(settings: Settings) -> Iterator[Database]:
    """The database brought to this code's schema first: for commands that write."""
    database = Database(settings.effective_database_url, pool_size=2)
    try:
        upgrade(database)
        yield database
    finally:
        database.dispose()


@contextmanager
def current_database(settings: Settings) -> Iterator[Database]:
    """The database as it is, for commands that only read: never migrated (nor created, for
    SQLite). One that is not at this code's schema exits 2, saying what to run."""
    database = open_existing(settings)
    try:
        state = schema_state(database)
        if not state.is_current:
            fail(schema_problem(state), code=2)
        assert database is not None  # no database is never current
        yield database
    finally:
        if database is not None:
            database.dispose()


def open_existing(settings: Settings) -> Database | None:
    """The configured database, or ``None`` for a SQLite file that does not exist yet
    (opening it would create it)."""
    url = make_url(settings.effective_database_url)
    path = url.database
    file = url.get_backend_name() == "sqlite" and path and path != ":memory:"
    if file and not Path(str(path)).exists():
        return None
    return Database(settings.effective_database_url, pool_size=2)


def schema_problem(state: SchemaState) -> str:
    """What is wrong with a database not at this code's schema, and what to do."""
    if not state.known:
        return (
            f"the database is at revision {state.current}, which this impasto does not know "
            f"(it needs {state.head}): a newer impasto migrated it"
        )
    return (
        f"the database is at revision {describe_revision(state.current)}, this impasto "
        f"needs {state.head}: run `impasto migrate`"
    )


def describe_revision(revision: str | None) -> str:
    return revision if revision is not None else "none (never migrated)"


def iso_z(value: datetime) -> str:
    """A stored (UTC) time as the listings print it: 2025-01-31T12:00:00Z."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def echo_json(document: object) -> None:
    """One JSON document on stdout."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def process_cursors() -> Cursors:
    """Cursors for a command that pages through a listing itself: they never leave this
    process, so a key of its own seals them and the server's secret is not read."""
    return Cursors(Signer(secrets.token_bytes(32)))
