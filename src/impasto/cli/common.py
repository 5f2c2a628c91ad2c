"""What every command needs: settings from env + flags, and a migrated database."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from impasto.config import Settings
from impasto.kit.cursors import Cursors
from impasto.kit.datadir import prepare_data_dir
from impasto.kit.db import Database
from impasto.kit.db.migrate import upgrade
from impasto.kit.signing import Signer

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory [env: IMPASTO_DATA_DIR, default: ./.impasto]",
        show_default=False,
    ),
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
    database = Database(settings.effective_database_url, pool_size=2)
    try:
        upgrade(database)
        yield database
    finally:
        database.dispose()


def process_cursors() -> Cursors:
    """Cursors for a command that pages through a listing itself: they never leave this
    process, so a key of its own seals them and the server's secret is not read."""
    return Cursors(Signer(secrets.token_bytes(32)))
