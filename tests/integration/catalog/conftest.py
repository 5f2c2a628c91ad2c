"""Catalog fixtures: entries written straight through the service, as the importer does."""

from __future__ import annotations

from typing import Any

from impasto.catalog.service import CatalogService
from impasto.catalog.spec import EntrySpec, PriceSpec
from impasto.container import Container


def seed(container: Container, *entries: dict[str, Any]) -> None:
    with container.database.session(write=True) as session:
        service = CatalogService(session, container.clock, operator="admin")
        for entry in entries:
            service.upsert(EntrySpec.model_validate(entry))


def price(container: Container, endpoint_id: str, unit_price: float, unit: str = "image") -> None:
    with container.database.session(write=True) as session:
        CatalogService(session, container.clock, operator="admin").set_price(
            endpoint_id, PriceSpec(unit=unit, unit_price=unit_price), actor=None
        )


def requests(container: Container, endpoint_id: str, n: int) -> None:
    with container.database.session(write=True) as session:
        CatalogService(session, container.clock, operator="admin").record_requests(endpoint_id, n)


def ids(response_json: dict[str, Any]) -> list[str]:
    return [model["endpoint_id"] for model in response_json["models"]]
