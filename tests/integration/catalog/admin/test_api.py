"""Catalog administration: create, update, delete, prices; owners and the operator."""

from __future__ import annotations

from fastapi.testclient import TestClient

from impasto.container import Container
from impasto.models import KeyScope
from tests.conftest import auth, make_key


def test_create_update_delete_round_trip(client: TestClient, container: Container) -> None:
    acme = auth(make_key(container, "acme", KeyScope.ADMIN))
    created = client.post(
        "/v1/admin/models",
        json={
            "endpoint_id": "acme/sketch/fast",
            "display_name": "Sketch",
            "category": "image-to-image",
            "tags": ["fast", "fast", "new"],
            "collections": ["c1"],
            "privacy": "private",
        },
        headers=acme,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["owner"] == "acme"
    assert body["metadata"]["tags"] == ["fast", "new"]
    assert body["price"] is None
    assert body["privacy"] == "private"
    again = client.post("/v1/admin/models", json={"endpoint_id": "acme/sketch/fast"}, headers=acme)
    assert again.status_code == 409

    patched = client.patch(
        "/v1/admin/models/acme/sketch/fast",
        json={
            "thumbnail_url": "https://example.com/t.png",
            "tags": ["turbo"],
            "highlighted": True,
            "pinned": True,
            "privacy": "public",
        },
        headers=acme,
    )
    assert patched.status_code == 200, patched.text
    metadata = patched.json()["metadata"]
    assert metadata["thumbnail_url"] == "https://example.com/t.png"
    assert metadata["tags"] == ["turbo"]
    assert metadata["highlighted"] is metadata["pinned"] is True
    assert metadata["display_name"] == "Sketch"  # untouched fields keep their values
    search = client.get("/v1/models", params={"q": "turbo"}).json()
    assert [m["endpoint_id"] for m in search["models"]] == ["acme/sketch/fast"]
    assert client.get("/v1/models", params={"q": "fast"}).json()["models"][0]["endpoint_id"] == (
        "acme/sketch/fast"  # still found through its id
    )

    priced = client.put(
        "/v1/admin/model-prices/acme/sketch/fast",
        json={"unit": "image", "unit_price": 0.01, "currency": "EUR"},
        headers=acme,
    )
    assert priced.status_code == 200
    assert priced.json()["price"] == {"unit": "image", "unit_price": 0.01, "currency": "EUR"}
    assert client.delete("/v1/admin/model-prices/acme/sketch/fast", headers=acme).status_code == 204
    assert client.get("/v1/admin/models/acme/sketch/fast", headers=acme).json()["price"] is None

    assert client.delete("/v1/admin/models/acme/sketch/fast", headers=acme).status_code == 204
    assert client.get("/v1/admin/models/acme/sketch/fast", headers=acme).status_code == 404
    assert client.get("/v1/models", params={"q": "turbo"}).json()["models"] == []
    assert client.delete("/v1/admin/models/acme/sketch/fast", headers=acme).status_code == 404


def test_owners_manage_only_their_own_entries_and_the_operator_all(
    client: TestClient, container: Container
) -> None:
    acme = auth(make_key(container, "acme", KeyScope.ADMIN))
    globex = auth(make_key(container, "globex", KeyScope.ADMIN))
    operator = auth(make_key(container, "admin", KeyScope.ADMIN))
    api_only = auth(make_key(container, "acme"))
    assert (
        client.post(
            "/v1/admin/models", json={"endpoint_id": "acme/a"}, headers=api_only
        ).status_code
        == 403
    )
    assert (
        client.post("/v1/admin/models", json={"endpoint_id": "globex/a"}, headers=acme).status_code
        == 403
    )
    assert (
        client.post(
            "/v1/admin/models", json={"endpoint_id": "newco/a"}, headers=operator
        ).status_code
        == 201
    )
    client.post("/v1/admin/models", json={"endpoint_id": "acme/pub"}, headers=acme)
    client.post(
        "/v1/admin/models", json={"endpoint_id": "acme/priv", "privacy": "private"}, headers=acme
    )
    assert (
        client.patch("/v1/admin/models/acme/pub", json={"pinned": True}, headers=globex).status_code
        == 403
    )
    # Another owner's private entry does not exist as far as globex can tell.
    assert (
        client.patch(
            "/v1/admin/models/acme/priv", json={"pinned": True}, headers=globex
        ).status_code
        == 404
    )
    assert client.get("/v1/admin/models/acme/priv", headers=globex).status_code == 404
    assert client.delete("/v1/admin/models/acme/priv", headers=globex).status_code == 404
    assert (
        client.patch(
            "/v1/admin/models/acme/priv", json={"pinned": True}, headers=operator
        ).status_code
        == 200
    )


def test_invalid_entries_are_400(client: TestClient, container: Container) -> None:
    acme = auth(make_key(container, "acme", KeyScope.ADMIN))
    for body in (
        {},
        {"endpoint_id": "single-segment"},
        {"endpoint_id": "Acme/upper-owner"},
        {"endpoint_id": "acme/a", "status": "retired"},
        {"endpoint_id": "acme/a", "privacy": "secret"},
        {"endpoint_id": "acme/a", "display_name": "a\u0000b"},
        {"endpoint_id": "acme/a", "category": "Text To Image"},
        {"endpoint_id": "acme/a", "tags": ["a,b"]},
        {"endpoint_id": "acme/a", "unknown_field": 1},
        {"endpoint_id": "acme/a", "duration_estimate": -1},
    ):
        response = client.post("/v1/admin/models", json=body, headers=acme)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["type"] == "validation_error"
    # A lone surrogate in a schema could be stored but never answered back.
    surrogate = client.post(
        "/v1/admin/models",
        content=b'{"endpoint_id": "acme/a", "input_schema": {"title": "a\\ud800"}}',
        headers={**acme, "Content-Type": "application/json"},
    )
    assert surrogate.status_code == 400, surrogate.text
    assert "lone surrogate" in surrogate.json()["error"]["message"]
    client.post("/v1/admin/models", json={"endpoint_id": "acme/a"}, headers=acme)
    bad_price = client.put(
        "/v1/admin/model-prices/acme/a", json={"unit": "image", "unit_price": -1}, headers=acme
    )
    assert bad_price.status_code == 400
