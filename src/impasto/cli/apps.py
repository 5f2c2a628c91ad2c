"""``impasto apps``: deploy, list and remove apps straight in the configured database.

Adding an app imports its class in this process (``setup()`` never runs) to read its
endpoints and schemas, so the module must be importable here and on every worker.
Running workers pick up the change at their next refresh of the app list.
"""

from __future__ import annotations

from typing import Annotated

import typer

from impasto.cli.common import DataDirOption, fail, load_settings, migrated_database
from impasto.kit.clock import SystemClock
from impasto.kit.errors import AppError
from impasto.runs.deployments.service import DeploymentService, endpoint_ids_of

app = typer.Typer(help="Deploy, list and remove apps.", no_args_is_help=True)


@app.command("add")
def add(
    import_path: Annotated[str, typer.Argument(metavar="MODULE:CLASS")],
    owner: Annotated[str | None, typer.Option(help="Owner [default: bootstrap_owner]")] = None,
    name: Annotated[str | None, typer.Option(help="App name [default: the class's name]")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Deploy (or redeploy) an app class; its endpoints join the catalog."""
    if ":" not in import_path:
        fail("give the app as module:Class", code=2)
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        registry = DeploymentService(session, SystemClock(), operator=settings.bootstrap_owner)
        try:
            deployed = registry.add(import_path, owner=owner or settings.bootstrap_owner, name=name)
        except (AppError, ValueError) as exc:
            fail(exc.message if isinstance(exc, AppError) else str(exc))
        endpoints = endpoint_ids_of(deployed)
    typer.echo(f"Deployed {deployed.app_id} ({import_path}): {', '.join(endpoints)}")


@app.command("list")
def list_apps(data_dir: DataDirOption = None) -> None:
    """Deployed apps, one a line: app id, import path, endpoints."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=False) as session:
        registry = DeploymentService(session, SystemClock(), operator=settings.bootstrap_owner)
        rows = [(item.app_id, item.import_path, endpoint_ids_of(item)) for item in registry.list()]
    if not rows:
        typer.echo("No apps deployed.")
    for app_id, import_path, endpoints in rows:
        typer.echo(f"{app_id}\t{import_path}\t{' '.join(endpoints)}")


@app.command("remove")
def remove(
    app_id: Annotated[str, typer.Argument(metavar="OWNER/NAME")],
    data_dir: DataDirOption = None,
) -> None:
    """Remove an app and its catalog entries."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        registry = DeploymentService(session, SystemClock(), operator=settings.bootstrap_owner)
        try:
            registry.remove(app_id)
        except AppError as exc:
            fail(exc.message)
    typer.echo(f"Removed {app_id}.")
