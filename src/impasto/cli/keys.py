"""``impasto keys``: manage credentials straight in the configured database (no server)."""

from __future__ import annotations

from typing import Annotated, Any

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
    process_cursors,
)
from impasto.cli.output import print_table
from impasto.keys.service import KeyService
from impasto.kit.clock import SystemClock
from impasto.kit.errors import AppError
from impasto.kit.ids import UUIDv7Generator
from impasto.models import ApiKey, KeyScope

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@app.command("create")
def create(
    owner: Annotated[str, typer.Option(help="Owner (account) the key acts for, e.g. acme")],
    scope: Annotated[
        KeyScope,
        typer.Option(case_sensitive=False, help="API or ADMIN (worker keys: `impasto workers`)"),
    ] = KeyScope.API,
    alias: Annotated[str | None, typer.Option(help="Friendly name")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a key and print it; the credential is the last line of the output."""
    if scope is KeyScope.WORKER:  # the operator's, bound to apps: a command of its own
        fail("worker keys are created with `impasto workers token create`", code=2)
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        try:
            _, credential = KeyService(session, SystemClock(), UUIDv7Generator()).create(
                owner=owner,
                scope=scope,
                alias=alias or f"{scope.value.lower()} key for {owner}",
                created_by="cli",
            )
        except AppError as exc:
            fail(exc.message, code=2)
    typer.echo(f"Created {scope.value} key {credential.key_id} for owner {owner!r}.")
    typer.echo("The secret is shown only this once. Use it as: Authorization: Key <credential>")
    typer.echo(str(credential))


@app.command("list")
def list_keys(
    owner: Annotated[str | None, typer.Option(help="Only this owner's keys")] = None,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """List active keys (never their secrets). Reads only: the database is not migrated."""
    settings = load_settings(data_dir=data_dir)
    with current_database(settings) as database, database.session(write=False) as session:
        keys = all_keys(KeyService(session, SystemClock(), UUIDv7Generator()), owner=owner)
    if as_json:
        echo_json({"keys": [key_json(key) for key in keys]})
        return
    print_table(
        ["KEY_ID", "OWNER", "SCOPE", "CREATED", "ALIAS"],
        [[k.key_id, k.owner, str(k.scope), iso_z(k.created_at), k.alias] for k in keys],
    )


def all_keys(
    service: KeyService, *, owner: str | None = None, scope: KeyScope | None = None
) -> list[ApiKey]:
    """Every active key (of ``owner``, of ``scope``), page after page."""
    keys: list[ApiKey] = []
    cursor: str | None = None
    cursors = process_cursors()
    while True:
        page = service.list(owner=owner, scope=scope, limit=200, cursor=cursor, cursors=cursors)
        keys.extend(page.keys)
        if page.next_cursor is None:
            return keys
        cursor = page.next_cursor


def key_json(key: ApiKey) -> dict[str, Any]:
    """What a listing shows of a key: never its secret nor the secret's hash."""
    return {
        "key_id": key.key_id,
        "owner": key.owner,
        "scope": key.scope,
        "alias": key.alias,
        "created_by": key.created_by,
        "created_at": iso_z(key.created_at),
        "apps": list(key.apps) if key.apps is not None else None,
    }


@app.command("revoke")
def revoke(key_id: str, data_dir: DataDirOption = None) -> None:
    """Revoke a key at once; requests using it get 401 from then on."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        revoked = KeyService(session, SystemClock(), UUIDv7Generator()).revoke(key_id)
    if not revoked:
        fail(f"no active key {key_id!r}")
    typer.echo(f"Revoked key {key_id}.")
