"""fal's GET /v1/models: list, find and search modes, fields, expansion and bad input."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from impasto.catalog.repository import CatalogRepository
from impasto.catalog.schemas import ModelItem, metadata
from impasto.catalog.service import CatalogService
from impasto.container import Container
from impasto.kit import base64url
from tests.conftest import auth, make_key
from tests.integration.catalog.conftest import ids, seed

REQUIRED_METADATA = {
    "display_name",
    "category",
    "description",
    "status",
    "tags",
    "updated_at",
    "is_favorited",
    "thumbnail_url",
    "model_url",
    "date",
    "highlighted",
    "pinned",
}

FLUX = {
    "endpoint_id": "fal-ai/flux/dev",
    "display_name": "FLUX.1 [dev]",
    "category": "text-to-image",
    "description": "Fast text-to-image generation",
    "tags": ["fast", "pro"],
    "thumbnail_url": "https://example.com/flux.jpg",
    "license_type": "commercial",
    "group": {"key": "flux", "label": "FLUX"},
    "kind": "inference",
}


def test_list_mode_returns_every_public_model_with_fal_fields(
    client: TestClient, container: Container
) -> None:
    seed(
        container,
        FLUX,
        {"endpoint_id": "impasto/image-tools/resize", "display_name": "Resize"},
    )
    response = client.get("/v1/models")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"models", "next_cursor", "has_more"}
    assert body["has_more"] is False
    assert body["next_cursor"] is None
    assert sorted(ids(body)) == ["fal-ai/flux/dev", "impasto/image-tools/resize"]
    flux = next(m for m in body["models"] if m["endpoint_id"] == "fal-ai/flux/dev")
    metadata = flux["metadata"]
    assert set(metadata) >= REQUIRED_METADATA
    assert metadata["display_name"] == "FLUX.1 [dev]"
    assert metadata["status"] == "active"
    assert metadata["tags"] == ["fast", "pro"]
    assert metadata["is_favorited"] is None  # anonymous
    assert metadata["model_url"] == "http://testserver/run/fal-ai/flux/dev"
    assert metadata["license_type"] == "commercial"
    assert metadata["group"] == {"key": "flux", "label": "FLUX"}
    assert metadata["updated_at"].endswith("Z")
    assert metadata["date"].endswith("Z")
    assert "openapi" not in flux
    assert "github_url" not in metadata  # optional fields are left out when unset


def test_find_mode_keeps_requested_order_and_accepts_both_syntaxes(
    client: TestClient, container: Container
) -> None:
    seed(container, *({"endpoint_id": f"acme/m{i}"} for i in range(4)))
    repeated = client.get("/v1/models", params={"endpoint_id": ["acme/m2", "acme/m0"]})
    assert ids(repeated.json()) == ["acme/m2", "acme/m0"]
    comma = client.get("/v1/models", params={"endpoint_id": "acme/m3,acme/m1,nobody/x"})
    assert ids(comma.json()) == ["acme/m3", "acme/m1"]


def test_find_mode_pages_by_position(client: TestClient, container: Container) -> None:
    seed(container, *({"endpoint_id": f"acme/m{i}"} for i in range(5)))
    wanted = ["acme/m4", "acme/m0", "acme/m3", "acme/m1", "acme/m2"]
    first = client.get("/v1/models", params={"endpoint_id": wanted, "limit": 2}).json()
    assert ids(first) == wanted[:2]
    assert first["has_more"] is True
    second = client.get(
        "/v1/models", params={"endpoint_id": wanted, "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert ids(second) == wanted[2:4]


def test_search_by_category_and_status(client: TestClient, container: Container) -> None:
    seed(
        container,
        {"endpoint_id": "acme/a", "category": "text-to-image"},
        {"endpoint_id": "acme/b", "category": "image-to-video"},
        {"endpoint_id": "acme/c", "category": "text-to-image", "status": "deprecated"},
    )
    by_category = client.get("/v1/models", params={"category": "text-to-image"}).json()
    assert sorted(ids(by_category)) == ["acme/a", "acme/c"]
    both = client.get("/v1/models", params={"category": "text-to-image", "status": "active"})
    assert ids(both.json()) == ["acme/a"]
    deprecated = client.get("/v1/models", params={"status": "deprecated"}).json()
    assert ids(deprecated) == ["acme/c"]
    narrowed = client.get(
        "/v1/models", params={"category": "text-to-image", "endpoint_id": ["acme/c", "acme/b"]}
    ).json()
    assert ids(narrowed) == ["acme/c"]


def test_expand_openapi_carries_queue_paths_and_real_schemas(
    client: TestClient, container: Container
) -> None:
    seed(
        container,
        {
            "endpoint_id": "impasto/image-tools/resize",
            "input_schema": {
                "type": "object",
                "properties": {"image": {"$ref": "#/$defs/Image"}, "width": {"type": "integer"}},
                "required": ["image"],
                "$defs": {"Image": {"type": "object", "properties": {"url": {"type": "string"}}}},
            },
            "output_schema": {"type": "object", "properties": {"url": {"type": "string"}}},
        },
        {"endpoint_id": "acme/plain"},
    )
    body = client.get(
        "/v1/models",
        params={
            "endpoint_id": ["impasto/image-tools/resize", "acme/plain"],
            "expand": "openapi-3.0",
        },
    ).json()
    document = body["models"][0]["openapi"]
    assert document["openapi"].startswith("3.0")
    base = "/impasto/image-tools/resize"
    assert set(document["paths"]) == {
        base,
        f"{base}/requests/{{request_id}}",
        f"{base}/requests/{{request_id}}/status",
        f"{base}/requests/{{request_id}}/status/stream",
        f"{base}/requests/{{request_id}}/cancel",
    }
    assert "post" in document["paths"][base]
    assert "put" in document["paths"][f"{base}/requests/{{request_id}}/cancel"]
    schemas = document["components"]["schemas"]
    assert schemas["ImageToolsResizeInput"]["properties"]["image"] == {
        "$ref": "#/components/schemas/Image"
    }
    assert "Image" in schemas
    assert schemas["ImageToolsResizeOutput"]["properties"]["url"] == {"type": "string"}
    assert document["servers"] == [{"url": "http://testserver/queue"}]
    plain = body["models"][1]["openapi"]["components"]["schemas"]["PlainInput"]
    assert plain["type"] == "object"  # generic schema until the app registers its own


def test_expand_enterprise_status(client: TestClient, container: Container) -> None:
    seed(container, {"endpoint_id": "acme/a"})
    body = client.get("/v1/models", params={"expand": ["enterprise_status"]}).json()
    assert body["models"][0]["enterprise_status"] == "ready"
    assert "openapi" not in body["models"][0]


def test_is_favorited_follows_the_callers_owner(client: TestClient, container: Container) -> None:
    seed(container, {"endpoint_id": "acme/a"}, {"endpoint_id": "acme/b"})
    alice = auth(make_key(container, "alice"))
    bob = auth(make_key(container, "bob"))
    assert client.put("/v1/models/favorites/acme/a", headers=alice).status_code == 204
    assert client.put("/v1/models/favorites/acme/a", headers=alice).status_code == 204  # again
    mine = client.get("/v1/models", headers=alice).json()["models"]
    assert {m["endpoint_id"]: m["metadata"]["is_favorited"] for m in mine} == {
        "acme/a": True,
        "acme/b": False,
    }
    theirs = client.get("/v1/models", headers=bob).json()["models"]
    assert all(m["metadata"]["is_favorited"] is False for m in theirs)
    assert client.delete("/v1/models/favorites/acme/a", headers=alice).status_code == 204
    again = client.get("/v1/models", params={"endpoint_id": "acme/a"}, headers=alice).json()
    assert again["models"][0]["metadata"]["is_favorited"] is False
    assert client.put("/v1/models/favorites/acme/none", headers=alice).status_code == 404
    assert client.put("/v1/models/favorites/acme/a").status_code == 401


def test_bad_input_is_400_with_the_platform_error_body(
    client: TestClient, container: Container
) -> None:
    seed(container, {"endpoint_id": "acme/a"}, {"endpoint_id": "acme/b"})
    too_many = [f"acme/m{i}" for i in range(51)]
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"limit": "x"},
        {"endpoint_id": too_many},
        {"endpoint_id": ",".join(too_many)},
        {"expand": "openapi-2.0"},
        {"status": "retired"},
        {"cursor": "garbage!"},
        {"cursor": "eyJ4IjoxfQ"},
        {"q": "x" * 257},
    ):
        response = client.get("/v1/models", params=params)
        assert response.status_code == 400, (params, response.text)
        error = response.json()["error"]
        assert error["type"] == "validation_error"
        assert error["message"]
    bad_key = client.get("/v1/models", headers={"Authorization": "Key nope:nope"})
    assert bad_key.status_code == 401


def test_cursor_is_bound_to_its_query_and_tamper_evident(
    client: TestClient, container: Container
) -> None:
    seed(container, *({"endpoint_id": f"acme/m{i}", "category": "x"} for i in range(3)))
    first = client.get("/v1/models", params={"limit": 1, "category": "x"}).json()
    cursor = first["next_cursor"]
    ok = client.get("/v1/models", params={"limit": 1, "category": "x", "cursor": cursor})
    assert ok.status_code == 200
    other = client.get("/v1/models", params={"limit": 1, "category": "y", "cursor": cursor})
    assert other.status_code == 400
    assert "different query" in other.json()["error"]["message"]
    payload, seal = cursor.split(".")
    claims = json.loads(base64url.decode(payload))
    claims["k"][-1] = "acme/m9"
    edited = base64url.encode(json.dumps(claims).encode())
    tampered = client.get(
        "/v1/models", params={"limit": 1, "category": "x", "cursor": f"{edited}.{seal}"}
    )
    assert tampered.status_code == 400
    assert tampered.json()["error"]["message"] == "cursor is not one this server issued"


def test_page_items_are_the_wire_model_of_each_entry(
    client: TestClient, container: Container
) -> None:
    """Pages are built from plain rows (catalog/cards.py); each item must be exactly what
    the validated wire model gives for the stored entry, optional fields set or not."""
    full = {
        **FLUX,
        "thumbnail_animated_url": "https://example.com/flux.gif",
        "github_url": "https://github.com/example/flux",
        "training_endpoint_ids": ["fal-ai/flux/train"],
        "inference_endpoint_ids": ["fal-ai/flux/dev"],
        "stream_url": "https://example.com/stream",
        "duration_estimate": 2.5,
        "highlighted": True,
        "pinned": True,
    }
    seed(container, full, {"endpoint_id": "impasto/bare/app", "display_name": "Bare"})
    owner = "fal-ai"
    credential = make_key(container, owner)
    with container.database.session(write=True) as session:
        CatalogService(session, container.clock, operator="admin").favorite(
            owner, "fal-ai/flux/dev", True
        )
    for headers, expected_favorite in (({}, None), (auth(credential), True)):
        body = client.get(
            "/v1/models", params={"expand": "enterprise_status"}, headers=headers
        ).json()
        assert len(body["models"]) == 2
        with container.database.session(write=False) as session:
            for item in body["models"]:
                entry = CatalogRepository(session).get(item["endpoint_id"])
                assert entry is not None
                favorite = expected_favorite if entry.endpoint_id == "fal-ai/flux/dev" else None
                if favorite is None and headers:
                    favorite = False
                wire = ModelItem(
                    endpoint_id=entry.endpoint_id,
                    metadata=metadata(entry, favorite, "http://testserver/"),
                    enterprise_status="ready",
                )
                assert item == wire.model_dump(mode="json", exclude_unset=True)
                assert item == ModelItem.model_validate(item).model_dump(
                    mode="json", exclude_unset=True
                )
