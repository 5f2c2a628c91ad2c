"""``impasto teams``: organizations of owners and their model access rules, straight in
the configured database (no server)."""

from __future__ import annotations

from pathlib import Path
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
from impasto.kit.clock import SystemClock
from impasto.kit.errors import AppError
from impasto.teams.service import TeamService

app = typer.Typer(
    help="Organizations: teams (owners) under a root, and which models each may call.",
    no_args_is_help=True,
)
access_app = typer.Typer(help="Model access rules (ALLOWED / BLOCKED).", no_args_is_help=True)
app.add_typer(access_app, name="access")

Account = Annotated[str, typer.Argument(help="A team, or an organization root for all its teams")]
EndpointId = Annotated[str, typer.Argument(help="An endpoint id, or '*' for every model")]


@app.command("add")
def add(
    organization: Annotated[str, typer.Argument(help="The organization's root owner")],
    team: Annotated[str, typer.Argument(help="The owner joining it (the root itself: create)")],
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Add ``team`` to the organization rooted at ``organization`` (created if new)."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        try:
            TeamService(session, SystemClock()).add_team(organization, team, name)
        except AppError as exc:
            fail(exc.message, code=2)
    typer.echo(f"{team} is a team of {organization}.")


@app.command("remove")
def remove(
    team: Annotated[str, typer.Argument(help="The owner leaving its organization")],
    data_dir: DataDirOption = None,
) -> None:
    """Take ``team`` out of its organization (its data stays its own)."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        try:
            TeamService(session, SystemClock()).remove_team(team)
        except AppError as exc:
            fail(exc.message, code=2)
    typer.echo(f"{team} left its organization.")


@app.command("list")
def list_teams(
    organization: Annotated[str, typer.Argument(help="The organization's root owner")],
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """The organization's teams. Reads only: the database is not migrated."""
    settings = load_settings(data_dir=data_dir)
    with current_database(settings) as database, database.session(write=False) as session:
        try:
            teams = TeamService(session, SystemClock()).teams_of_root(organization)
        except AppError as exc:
            fail(exc.message, code=2)
    rows = [(t.username, t.name, t.username == t.organization, iso_z(t.created_at)) for t in teams]
    if as_json:
        keys = ("username", "name", "is_org_root", "created_at")
        echo_json({"teams": [dict(zip(keys, row, strict=True)) for row in rows]})
        return
    print_table(["USERNAME", "NAME", "ROOT", "JOINED"], [[str(v) for v in row] for row in rows])


@access_app.command("allow")
def allow(account: Account, endpoint_id: EndpointId, data_dir: DataDirOption = None) -> None:
    """Let ``account`` call ``endpoint_id`` (overrides a broader BLOCKED rule)."""
    _set(account, endpoint_id, "ALLOWED", data_dir)


@access_app.command("block")
def block(account: Account, endpoint_id: EndpointId, data_dir: DataDirOption = None) -> None:
    """Refuse ``account``'s submits to ``endpoint_id`` (403)."""
    _set(account, endpoint_id, "BLOCKED", data_dir)


@access_app.command("unset")
def unset(account: Account, endpoint_id: EndpointId, data_dir: DataDirOption = None) -> None:
    """Drop the rule; a broader one (or none: allowed) decides again."""
    _set(account, endpoint_id, None, data_dir)


@access_app.command("list")
def list_rules(
    account: Account, as_json: JsonOption = False, data_dir: DataDirOption = None
) -> None:
    """``account``'s own rules."""
    settings = load_settings(data_dir=data_dir)
    with current_database(settings) as database, database.session(write=False) as session:
        rules = TeamService(session, SystemClock()).rules([account])
    if as_json:
        echo_json({"rules": [{"account": a, "endpoint_id": e, "access": x} for a, e, x in rules]})
        return
    print_table(["ACCOUNT", "ENDPOINT_ID", "ACCESS"], [list(rule) for rule in rules])


def _set(account: str, endpoint_id: str, access: str | None, data_dir: Path | None) -> None:
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        try:
            TeamService(session, SystemClock()).set_access(account, endpoint_id, access)
        except AppError as exc:
            fail(exc.message, code=2)
    typer.echo(f"{account} {endpoint_id}: {access or 'no rule'}")


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Columns padded to their widest cell."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    for row in [headers, *rows]:
        typer.echo(
            "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )
