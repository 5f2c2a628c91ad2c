"""``impasto workers token``: the operator's credentials for remote workers.

A WORKER key belongs to the operator (``IMPASTO_BOOTSTRAP_OWNER``) and is issued here
only, straight in the configured database: it serves ``/worker/v1`` and nothing else, and
no tenant key (ADMIN included) can mint, list or revoke one over HTTP.
"""

from __future__ import annotations

from typing import Annotated

import typer

from impasto.cli.common import (
    DataDirOption,
    JsonOption,
    current_database,
    echo_json,
    fail,
    iso_z,
    load_settings,
    migrated_database,
)
from impasto.cli.keys import all_keys, key_json
from impasto.cli.output import print_table
from impasto.keys.service import KeyService
from impasto.kit.clock import SystemClock
from impasto.kit.errors import AppError
from impasto.kit.ids import UUIDv7Generator
from impasto.models import KeyScope

app = typer.Typer(help="Manage what remote workers run with.", no_args_is_help=True)
token = typer.Typer(
    help="Create, list and revoke worker keys (for `impasto worker --key`).",
    no_args_is_help=True,
)
app.add_typer(token, name="token")

ALL_APPS = "(all)"


@token.command("create")
def create(
    app_ids: Annotated[
        list[str] | None,
        typer.Option(
            "--app",
            help="An app the key may serve (owner/name); repeatable. Default: every app",
            show_default=False,
        ),
    ] = None,
    alias: Annotated[str | None, typer.Option(help="Friendly name")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a worker key and print it; the credential is the last line of the output."""
    settings = load_settings(data_dir=data_dir)
    operator = settings.bootstrap_owner
    with migrated_database(settings) as database, database.session(write=True) as session:
        try:
            key, credential = KeyService(session, SystemClock(), UUIDv7Generator()).create(
                owner=operator,
                scope=KeyScope.WORKER,
                alias=alias or "worker key",
                created_by="cli",
                apps=app_ids or None,
            )
        except AppError as exc:
            fail(exc.message, code=2)
        serves = ", ".join(key.apps) if key.apps is not None else "every app"
    typer.echo(f"Created worker key {credential.key_id} (serves {serves}).")
    typer.echo("The secret is shown only this once. Use it as: impasto worker --key <credential>")
    typer.echo(str(credential))


@token.command("list")
def list_tokens(as_json: JsonOption = False, data_dir: DataDirOption = None) -> None:
    """List active worker keys (never their secrets). Reads only: the database is not
    migrated."""
    settings = load_settings(data_dir=data_dir)
    with current_database(settings) as database, database.session(write=False) as session:
        service = KeyService(session, SystemClock(), UUIDv7Generator())
        keys = all_keys(service, scope=KeyScope.WORKER)
    if as_json:
        echo_json({"worker_keys": [key_json(key) for key in keys]})
        return
    print_table(
        ["KEY_ID", "CREATED", "APPS", "ALIAS"],
        [
            [
                k.key_id,
                iso_z(k.created_at),
                ",".join(k.apps) if k.apps is not None else ALL_APPS,
                k.alias,
            ]
            for k in keys
        ],
    )


@token.command("revoke")
def revoke(key_id: str, data_dir: DataDirOption = None) -> None:
    """Revoke a worker key at once; its workers get 401 from their next call on."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        service = KeyService(session, SystemClock(), UUIDv7Generator())
        revoked = service.revoke(key_id, scope=KeyScope.WORKER)
    if not revoked:
        fail(f"no active worker key {key_id!r} (other keys: `impasto keys revoke`)")
    typer.echo(f"Revoked worker key {key_id}.")
