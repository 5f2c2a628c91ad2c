"""What the runs work calls: register_endpoint, record_requests, set_loaded."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from impasto.catalog.service import CatalogService
from impasto.container import Container
from tests.integration.catalog.conftest import ids


def test_registered_endpoints_appear_with_their_schemas(
    client: TestClient, container: Container
) -> None:
    schema = {"type": "object", "properties": {"prompt": {"type": "string"}}}
    with container.database.session(write=True) as session:
        service = CatalogService(session, container.clock, operator="admin")
        service.register_endpoint(
            "impasto/echo", schema, {"type": "object"}, display_name="Echo", category="utility"
        )
        # Registering again (every deploy) keeps what operators set meanwhile.
        service.register_endpoint("impasto/echo", schema, {"type": "object"})
        with pytest.raises(ValidationError):
            service.register_endpoint("bad id", None, None)
    body = client.get(
        "/v1/models", params={"endpoint_id": "impasto/echo", "expand": "openapi-3.0"}
    ).json()
    [model] = body["models"]
    assert model["metadata"]["display_name"] == "Echo"
    assert model["openapi"]["components"]["schemas"]["EchoInput"] == schema


def test_popularity_and_loaded_flags(client: TestClient, container: Container) -> None:
    with container.database.session(write=True) as session:
        service = CatalogService(session, container.clock, operator="admin")
        for name in ("acme/a", "acme/b"):
            service.register_endpoint(name, None, None)
        service.record_requests("acme/b", 3)
        service.record_requests("acme/b", 0)  # nothing to add
        service.record_requests("acme/missing", 5)  # unknown endpoints are ignored
        service.set_loaded("acme/a", True)
    assert ids(client.get("/v1/models").json()) == ["acme/b", "acme/a"]
    with container.database.session(write=False) as session:
        service = CatalogService(session, container.clock, operator="admin")
        a, b = service.visible(None, ["acme/a", "acme/b"])
    assert (a.loaded, b.loaded, b.request_count) == (True, False, 3)
