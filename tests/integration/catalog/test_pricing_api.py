"""fal's GET /v1/models/pricing and POST /v1/models/pricing/estimate."""

from __future__ import annotations

from fastapi.testclient import TestClient

from impasto.container import Container
from tests.conftest import auth, make_key
from tests.integration.catalog.conftest import price, seed


def _setup(container: Container) -> dict[str, str]:
    seed(
        container,
        {"endpoint_id": "fal-ai/flux/dev"},
        {"endpoint_id": "fal-ai/flux/schnell"},
        {"endpoint_id": "acme/free"},
    )
    price(container, "fal-ai/flux/dev", 0.025)
    price(container, "fal-ai/flux/schnell", 0.003, unit="megapixel")
    return auth(make_key(container, "someone"))


def test_prices_for_requested_endpoints(client: TestClient, container: Container) -> None:
    headers = _setup(container)
    response = client.get(
        "/v1/models/pricing",
        params={"endpoint_id": ["fal-ai/flux/dev", "fal-ai/flux/schnell,acme/free"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    assert body["has_more"] is False
    assert body["prices"] == [
        {"endpoint_id": "fal-ai/flux/dev", "unit_price": 0.025, "unit": "image", "currency": "USD"},
        {
            "endpoint_id": "fal-ai/flux/schnell",
            "unit_price": 0.003,
            "unit": "megapixel",
            "currency": "USD",
        },
    ]
    assert body["unpriced_endpoint_ids"] == ["acme/free"]


def test_pricing_errors(client: TestClient, container: Container) -> None:
    headers = _setup(container)
    assert client.get("/v1/models/pricing", params={"endpoint_id": "a/b"}).status_code == 401
    missing = client.get(
        "/v1/models/pricing", params={"endpoint_id": "nobody/none"}, headers=headers
    )
    assert missing.status_code == 404
    assert "nobody/none" in missing.json()["error"]["message"]
    assert client.get("/v1/models/pricing", headers=headers).status_code == 400
    many = ",".join(f"a/m{i}" for i in range(51))
    assert (
        client.get("/v1/models/pricing", params={"endpoint_id": many}, headers=headers).status_code
        == 400
    )


def test_estimates(client: TestClient, container: Container) -> None:
    headers = _setup(container)
    historical = client.post(
        "/v1/models/pricing/estimate",
        json={
            "estimate_type": "historical_api_price",
            "endpoints": {
                "fal-ai/flux/dev": {"call_quantity": 100},
                "fal-ai/flux/schnell": {"call_quantity": 50},
            },
        },
        headers=headers,
    )
    assert historical.status_code == 200, historical.text
    assert historical.json() == {
        "estimate_type": "historical_api_price",
        "total_cost": 2.65,
        "currency": "USD",
    }
    units = client.post(
        "/v1/models/pricing/estimate",
        json={
            "estimate_type": "unit_price",
            "endpoints": {"fal-ai/flux/dev": {"unit_quantity": 50}},
        },
        headers=headers,
    )
    assert units.json() == {"estimate_type": "unit_price", "total_cost": 1.25, "currency": "USD"}


def test_estimates_never_invent_a_price(client: TestClient, container: Container) -> None:
    headers = _setup(container)
    unpriced = client.post(
        "/v1/models/pricing/estimate",
        json={"estimate_type": "unit_price", "endpoints": {"acme/free": {"unit_quantity": 1}}},
        headers=headers,
    )
    assert unpriced.status_code == 400
    assert "no price is set for acme/free" in unpriced.json()["error"]["message"]
    for body in (
        {"estimate_type": "guess", "endpoints": {}},
        {"estimate_type": "unit_price", "endpoints": {"fal-ai/flux/dev": {"unit_quantity": 0}}},
        {
            "estimate_type": "historical_api_price",
            "endpoints": {"fal-ai/flux/dev": {"call_quantity": 1.5}},
        },
        {"estimate_type": "unit_price", "endpoints": {}},
        {"estimate_type": "unit_price"},
    ):
        response = client.post("/v1/models/pricing/estimate", json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["type"] == "validation_error"
    unknown = client.post(
        "/v1/models/pricing/estimate",
        json={"estimate_type": "unit_price", "endpoints": {"x/y": {"unit_quantity": 1}}},
        headers=headers,
    )
    assert unknown.status_code == 404
