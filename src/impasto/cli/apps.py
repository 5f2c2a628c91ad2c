"""``impasto apps``: deploy, list and remove apps straight in the configured database.

Adding an app imports its class in this process (``setup()`` never runs) to read its
endpoints and schemas, with the current directory on the import path as ``python -m``
has it; the module must be importable on every worker too, since its code is not shipped
to them. The import is checked before the database is opened, so a failing ``add``
leaves nothing behind. A new app is private to its owner unless ``--public``; a redeploy
keeps the privacy its endpoints have. Running workers pick up the change (and recycle
their idle runners of a redeployed app) at their next refresh of the app list.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from impasto.cli.common import (
    DataDirOption,
    JsonOption,
    PublicOption,
    current_database,
    echo_json,
    fail,
    iso_z,
    load_settings,
    migrated_database,
)
from impasto.cli.output import print_table
from impasto.kit.clock import SystemClock
from impasto.kit.errors import AppError
from impasto.runs.deployments.service import DeploymentService, endpoint_ids_of
from impasto.sdk.introspect import load_app

app = typer.Typer(help="Deploy, list and remove apps.", no_args_is_help=True)


@app.command("add")
def add(
    import_path: Annotated[str, typer.Argument(metavar="MODULE:CLASS")],
    owner: Annotated[str | None, typer.Option(help="Owner [default: bootstrap_owner]")] = None,
    name: Annotated[str | None, typer.Option(help="App name [default: the class's name]")] = None,
    public: PublicOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Deploy (or redeploy) an app class; its endpoints join the catalog."""
    if ":" not in import_path:
        fail("give the app as module:Class", code=2)
    _check_importable(import_path)
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        registry = DeploymentService(session, SystemClock(), operator=settings.bootstrap_owner)
        try:
            deployed = registry.add(
                import_path, owner=owner or settings.bootstrap_owner, name=name, public=public
            )
        except (AppError, ValueError) as exc:
            fail(exc.message if isinstance(exc, AppError) else str(exc))
        endpoints = endpoint_ids_of(deployed)
    typer.echo(f"Deployed {deployed.app_id} ({import_path}): {', '.join(endpoints)}")


def _check_importable(import_path: str) -> None:
    """Import the app as ``python -m`` would, from the current directory, before anything
    is written: a module that cannot be imported leaves no database behind."""
    here = os.getcwd()
    if "" not in sys.path and here not in sys.path:
        sys.path.insert(0, here)
    try:
        load_app(import_path)
    except Exception as exc:  # an app's import may fail in any way
        fail(
            f"cannot load app {import_path!r}: {type(exc).__name__}: {exc}\n"
            "The module is imported from the current directory and the Python path "
            "(PYTHONPATH). Its code is not shipped to workers: the server and every "
            "worker must be able to import it the same way (install it, or start them "
            "from this directory or with the same PYTHONPATH)."
        )


@app.command("list")
def list_apps(as_json: JsonOption = False, data_dir: DataDirOption = None) -> None:
    """Deployed apps, one a line: app id, import path, endpoints. Reads only: the database
    is not migrated."""
    settings = load_settings(data_dir=data_dir)
    with current_database(settings) as database, database.session(write=False) as session:
        registry = DeploymentService(session, SystemClock(), operator=settings.bootstrap_owner)
        deployed = [(item, endpoint_ids_of(item)) for item in registry.list()]
    if as_json:
        # Not the app's env: it may hold the app's secrets.
        echo_json(
            {
                "apps": [
                    {
                        "app_id": item.app_id,
                        "owner": item.owner,
                        "name": item.name,
                        "import_path": item.import_path,
                        "endpoints": endpoints,
                        "created_at": iso_z(item.created_at),
                        "updated_at": iso_z(item.updated_at),
                    }
                    for item, endpoints in deployed
                ]
            }
        )
        return
    if not deployed:
        typer.echo("No apps deployed.")
        return
    print_table(
        ["APP", "IMPORT_PATH", "REVISION", "ENDPOINTS"],
        [
            [item.app_id, item.import_path, item.revision_id or "-", " ".join(endpoints)]
            for item, endpoints in deployed
        ],
    )


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
