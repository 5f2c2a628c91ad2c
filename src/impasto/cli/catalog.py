"""``impasto catalog``: manage the model catalog straight in the configured database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from impasto.catalog.importer import import_specs, load_specs
from impasto.catalog.service import CatalogService
from impasto.catalog.spec import PriceSpec
from impasto.cli.common import DataDirOption, fail, load_settings, migrated_database
from impasto.cli.output import progress
from impasto.kit.clock import SystemClock
from impasto.kit.errors import AppError

app = typer.Typer(help="Import, price and remove model catalog entries.", no_args_is_help=True)
price_app = typer.Typer(help="Set or clear an endpoint's price.", no_args_is_help=True)
app.add_typer(price_app, name="price")


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    data_dir: DataDirOption = None,
) -> None:
    """Upsert entries from a JSON or YAML list; all entries are checked before any is written."""
    settings = load_settings(data_dir=data_dir)
    try:
        specs = load_specs(file)
    except AppError as exc:
        fail(exc.message, code=2)
    with migrated_database(settings) as database, database.session(write=True) as session:
        service = CatalogService(session, SystemClock(), operator=settings.bootstrap_owner)
        result = import_specs(service, progress(specs, "Importing"))
    typer.echo(
        f"Imported {len(specs)} entries: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged."
    )


@app.command("delete")
def delete(endpoint_id: str, data_dir: DataDirOption = None) -> None:
    """Remove an entry (its favorites, tags and price go with it)."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        service = CatalogService(session, SystemClock(), operator=settings.bootstrap_owner)
        try:
            service.delete(endpoint_id, actor=None)
        except AppError as exc:
            fail(exc.message)
    typer.echo(f"Deleted {endpoint_id}.")


@price_app.command("set")
def set_price(
    endpoint_id: str,
    unit_price: Annotated[float, typer.Option(help="Price per billing unit, e.g. 0.025")],
    unit: Annotated[str, typer.Option(help="Billing unit, e.g. image, video, second")] = "image",
    currency: Annotated[str, typer.Option(help="ISO 4217 code")] = "USD",
    data_dir: DataDirOption = None,
) -> None:
    """Set the unit price that GET /v1/models/pricing and estimates use."""
    settings = load_settings(data_dir=data_dir)
    try:
        price = PriceSpec(unit=unit, unit_price=unit_price, currency=currency.upper())
    except ValidationError as exc:
        fail("; ".join(f"{error['loc'][0]}: {error['msg']}" for error in exc.errors()), code=2)
    with migrated_database(settings) as database, database.session(write=True) as session:
        service = CatalogService(session, SystemClock(), operator=settings.bootstrap_owner)
        try:
            service.set_price(endpoint_id, price, actor=None)
        except AppError as exc:
            fail(exc.message)
    typer.echo(f"{endpoint_id}: {price.unit_price} {price.currency} per {price.unit}.")


@price_app.command("clear")
def clear_price(endpoint_id: str, data_dir: DataDirOption = None) -> None:
    """Remove the price: the endpoint is then reported as unpriced."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database, database.session(write=True) as session:
        service = CatalogService(session, SystemClock(), operator=settings.bootstrap_owner)
        try:
            service.set_price(endpoint_id, None, actor=None)
        except AppError as exc:
            fail(exc.message)
    typer.echo(f"{endpoint_id}: no price.")
