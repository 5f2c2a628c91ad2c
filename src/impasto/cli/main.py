from __future__ import annotations

from typing import Annotated

import typer

from impasto import __version__
from impasto.cli import apps, catalog, keys, models, teams, workers
from impasto.cli.deploy import deploy
from impasto.cli.migrate import migrate
from impasto.cli.run import run
from impasto.cli.serve import serve
from impasto.cli.status import status
from impasto.cli.worker import worker
from impasto.kit.diskspace import describe, is_disk_full
from impasto.kit.extras import MissingExtra

app = typer.Typer(
    name="impasto",
    help="Impasto: self-hosted generative-media platform with fal-compatible APIs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts say "[default: ...]": plain text, not markup
)
app.command()(serve)
app.command()(migrate)
app.command()(worker)
app.command()(status)
app.command()(deploy)
app.command()(run)
app.add_typer(keys.app, name="keys")
app.add_typer(catalog.app, name="catalog")
app.add_typer(apps.app, name="apps")
app.add_typer(workers.app, name="workers")
app.add_typer(models.app, name="models")
app.add_typer(teams.app, name="teams")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"impasto {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version")
    ] = False,
) -> None:
    """Impasto command line."""


def main() -> None:
    try:
        app()
    except MissingExtra as exc:  # a setting names a backend this install lacks
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    except Exception as exc:
        # A full disk during start-up (migrations, key bootstrap, secret files) or any
        # command is the operator's to fix: one line, not a traceback.
        if not is_disk_full(exc):
            raise
        typer.echo(f"error: {describe(exc)}; free some space and try again", err=True)
        raise SystemExit(1) from None
