"""``impasto keys``: manage credentials straight in the configured database (no server)."""

from __future__ import annotations

from typing import Annotated

import typer

from impasto.cli.common import (
    DataDirOption,
    fail,
    load_settings,
    migrated_database,
    process_cursors,
)
from impasto.keys.service import KeyService
from impasto.kit.clock import SystemClock
from impasto.kit.errors import AppError
from impasto.kit.ids import UUIDv7Generator
from impasto.models import KeyScope

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
    data_dir: DataDirOption = None,
) -> None:
    """List active keys (never their secrets)."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=False) as session:
        service = KeyService(session, SystemClock(), UUIDv7Generator())
        cursor: str | None = None
        cursors = process_cursors()
        typer.echo(f"{'KEY_ID':<36}  {'OWNER':<20}  {'SCOPE':<6}  {'CREATED':<20}  ALIAS")
        while True:
            page = service.list(owner=owner, scope=None, limit=200, cursor=cursor, cursors=cursors)
            for key in page.keys:
                created = key.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                typer.echo(
                    f"{key.key_id:<36}  {key.owner:<20}  {key.scope:<6}  {created:<20}  {key.alias}"
                )
            if page.next_cursor is None:
                break
            cursor = page.next_cursor


@app.command("revoke")
def revoke(key_id: str, data_dir: DataDirOption = None) -> None:
    """Revoke a key at once; requests using it get 401 from then on."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        revoked = KeyService(session, SystemClock(), UUIDv7Generator()).revoke(key_id)
    if not revoked:
        fail(f"no active key {key_id!r}")
    typer.echo(f"Revoked key {key_id}.")
