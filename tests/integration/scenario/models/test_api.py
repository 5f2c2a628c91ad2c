"""The Scenario-style façade: parameters, rules, response names, Basic auth, both databases."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from impasto.catalog.service import CatalogService
from impasto.container import Container
from impasto.kit.clock import FrozenClock
from impasto.models import KeyScope
from tests.conftest import auth, make_key
from tests.integration.catalog.conftest import requests, seed


@pytest.fixture
def clock(container: Container) -> FrozenClock:
    frozen = FrozenClock()
    container.clock = frozen
    return frozen


def basic(credential: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credential.encode()).decode()}


def names(body: dict[str, Any]) -> list[str]:
    return [model["id"] for model in body["models"]]


def _seed(container: Container, clock: FrozenClock) -> None:
    specs: list[dict[str, Any]] = [
        {
            "endpoint_id": "acme/one",
            "type": "flux.1",
            "tags": ["sc:scenario"],
            "collections": ["c1"],
        },
        {"endpoint_id": "acme/two", "type": "sd-xl", "privacy": "private", "collections": ["c2"]},
        {"endpoint_id": "acme/three", "type": "flux.1-lora", "privacy": "unlisted"},
        {"endpoint_id": "globex/four", "type": "flux.1", "tags": ["sc:third-party"]},
        {"endpoint_id": "globex/five", "privacy": "private", "status": "deprecated"},
        {"endpoint_id": "acme/six", "privacy": "private", "status": "deprecated"},
    ]
    for spec in specs:
        seed(container, spec)
        clock.advance(60)


def test_default_listing_is_the_callers_private_models_newest_first(
    client: TestClient, container: Container, clock: FrozenClock
) -> None:
    _seed(container, clock)
    acme = auth(make_key(container, "acme"))
    response = client.get("/scenario/v1/models", headers=acme)
    assert response.status_code == 200, response.text
    body = response.json()
    assert names(body) == ["acme/six", "acme/two"]
    assert body["nextPaginationToken"] is None
    model = body["models"][1]
    for field in (
        "id",
        "name",
        "shortDescription",
        "type",
        "privacy",
        "status",
        "source",
        "capabilities",
        "tags",
        "collectionIds",
        "createdAt",
        "updatedAt",
        "authorId",
        "onGPU",
    ):
        assert field in model
    assert model["privacy"] == "private"
    assert model["collectionIds"] == ["c2"]
    asc = client.get("/scenario/v1/models", params={"sortDirection": "asc"}, headers=acme)
    assert names(asc.json()) == ["acme/two", "acme/six"]
    unlisted = client.get("/scenario/v1/models", params={"privacy": "unlisted"}, headers=acme)
    assert names(unlisted.json()) == ["acme/three"]


def test_public_listing_sorted_by_score_with_filters(
    client: TestClient, container: Container, clock: FrozenClock
) -> None:
    _seed(container, clock)
    requests(container, "globex/four", 3)
    acme = auth(make_key(container, "acme"))

    def public(**params: Any) -> list[str]:
        response = client.get(
            "/scenario/v1/models", params={"privacy": "public", **params}, headers=acme
        )
        assert response.status_code == 200, response.text
        return names(response.json())

    assert public() == ["globex/four", "acme/one"]
    assert public(tags="sc:scenario") == ["acme/one"]
    assert public(tags="sc:scenario,sc:third-party") == ["globex/four", "acme/one"]
    assert public(type="flux.1") == ["globex/four", "acme/one"]
    assert public(types="sd-xl,flux.1-lora") == []
    assert public(collectionIds="c1") == ["acme/one"]
    assert public(onGPU="true") == []
    with container.database.session(write=True) as session:
        CatalogService(session, container.clock, operator="admin").set_loaded("acme/one", True)
    assert public(onGPU="true") == ["acme/one"]
    assert public(sortBy="createdAt", sortDirection="asc") == ["acme/one", "globex/four"]
    start = FrozenClock().now()
    after = (start + timedelta(seconds=30)).isoformat()
    assert public(sortBy="createdAt", createdAfter=after) == ["globex/four"]
    assert public(sortBy="createdAt", createdBefore=after) == ["acme/one"]
    assert public(sortBy="updatedAt", updatedAfter=after) == ["globex/four"]


def test_blacklisted_models_are_hidden_per_owner(
    client: TestClient, container: Container, clock: FrozenClock
) -> None:
    _seed(container, clock)
    acme_admin = auth(make_key(container, "acme", KeyScope.ADMIN))
    globex = auth(make_key(container, "globex"))
    assert client.put("/v1/models/blacklist/globex/four", headers=acme_admin).status_code == 204
    params = {"privacy": "public"}
    mine = client.get("/scenario/v1/models", params=params, headers=acme_admin).json()
    assert names(mine) == ["acme/one"]
    only = client.get(
        "/scenario/v1/models", params={**params, "blacklisted": "true"}, headers=acme_admin
    ).json()
    assert names(only) == ["globex/four"]
    assert only["models"][0]["blacklisted"] is True
    theirs = client.get("/scenario/v1/models", params=params, headers=globex).json()
    assert sorted(names(theirs)) == ["acme/one", "globex/four"]
    refused = client.get(
        "/scenario/v1/models", params={**params, "blacklisted": "true"}, headers=globex
    )
    assert refused.status_code == 403  # the blacklist is for ADMIN keys
    assert refused.json()["apiError"]
    assert client.delete("/v1/models/blacklist/globex/four", headers=acme_admin).status_code == 204
    again = client.get("/scenario/v1/models", params=params, headers=acme_admin).json()
    assert len(names(again)) == 2


def test_pagination_token_walks_every_model_once(
    client: TestClient, container: Container, clock: FrozenClock
) -> None:
    for i in range(7):
        seed(container, {"endpoint_id": f"acme/m{i}", "privacy": "private"})
        clock.advance(1 if i % 2 else 0)  # some equal timestamps: the id breaks ties
    acme = auth(make_key(container, "acme"))
    seen: list[str] = []
    token = None
    while True:
        params: dict[str, Any] = {"pageSize": 3, **({"paginationToken": token} if token else {})}
        body = client.get("/scenario/v1/models", params=params, headers=acme).json()
        seen += names(body)
        token = body.get("nextPaginationToken")
        if not token:
            break
    assert sorted(seen) == [f"acme/m{i}" for i in range(7)]
    assert len(seen) == 7
    other = client.get(
        "/scenario/v1/models",
        params={"pageSize": 3, "paginationToken": token or "", "privacy": "public"},
        headers=acme,
    )
    assert other.status_code in (200, 400)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"privacy": "secret"}, "privacy"),
        ({"sortBy": "name"}, "sortBy"),
        ({"sortDirection": "up"}, "sortDirection"),
        ({"privacy": "public", "createdAfter": "2026-01-01"}, "sortBy=createdAt"),
        ({"sortBy": "createdAt", "createdAfter": "yesterday"}, "createdAfter"),
        ({"privacy": "public", "updatedAfter": "2026-01-01"}, "sortBy=updatedAt"),
        ({"sortBy": "updatedAt"}, "privacy=public"),
        ({"sortBy": "score"}, "privacy and status"),
        ({"collectionIds": "c1"}, "collectionIds"),
        ({"privacy": "public", "collectionId": "c1"}, "collectionId"),
        ({"privacy": "public", "status": "active"}, "status"),
        ({"type": "flux.1", "types": "sd-xl"}, "type and types"),
        ({"type": "dall-e"}, "type"),
        ({"onGPU": "maybe"}, "onGPU"),
        ({"blacklisted": "2"}, "blacklisted"),
        ({"pageSize": 0}, "pageSize"),
        ({"pageSize": 501}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"paginationToken": "not-a-token"}, "cursor"),
    ],
)
def test_rules_answer_400_naming_the_parameters(
    client: TestClient, container: Container, params: dict[str, Any], named: str
) -> None:
    acme = auth(make_key(container, "acme"))
    response = client.get("/scenario/v1/models", params=params, headers=acme)
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"apiError", "message"}
    assert named in body["message"]


def test_score_sort_on_private_models_with_privacy_and_status(
    client: TestClient, container: Container, clock: FrozenClock
) -> None:
    _seed(container, clock)
    requests(container, "acme/six", 2)
    acme = auth(make_key(container, "acme"))
    response = client.get(
        "/scenario/v1/models",
        params={"privacy": "private", "status": "deprecated", "sortBy": "score"},
        headers=acme,
    )
    assert names(response.json()) == ["acme/six"]


def test_get_one_and_get_bulk_respect_visibility(
    client: TestClient, container: Container, clock: FrozenClock
) -> None:
    _seed(container, clock)
    credential = make_key(container, "acme")
    for headers in (auth(credential), basic(credential)):
        one = client.get("/scenario/v1/models/acme/two", headers=headers)
        assert one.status_code == 200, one.text
        assert one.json()["model"]["id"] == "acme/two"
    acme = auth(credential)
    hidden = client.get("/scenario/v1/models/globex/five", headers=acme)
    assert hidden.status_code == 404
    assert hidden.json()["apiError"] == "not_found"
    bulk = client.post(
        "/scenario/v1/models/get-bulk",
        json={"modelIds": ["globex/five", "acme/three", "acme/one", "nope/x"]},
        headers=acme,
    )
    assert bulk.status_code == 200
    assert names(bulk.json()) == ["acme/three", "acme/one"]
    small = client.post(
        "/scenario/v1/models/get-bulk",
        json={"modelIds": ["acme/one"], "minimal": True},
        headers=acme,
    ).json()
    assert small == {"models": [{"id": "acme/one", "name": "acme/one", "type": "flux.1"}]}
    empty = client.post("/scenario/v1/models/get-bulk", json={"modelIds": []}, headers=acme)
    assert empty.status_code == 400
    assert set(empty.json()) == {"apiError", "message"}


def test_authentication(client: TestClient, container: Container) -> None:
    credential = make_key(container, "acme")
    assert client.get("/scenario/v1/models").status_code == 401
    wrong = basic(credential.split(":")[0] + ":" + "0" * 64)
    denied = client.get("/scenario/v1/models", headers=wrong)
    assert denied.status_code == 401
    assert denied.json()["apiError"] == "unauthorized"
    garbage = client.get("/scenario/v1/models", headers={"Authorization": "Basic %%%"})
    assert garbage.status_code == 401
    assert client.get("/scenario/v1/models", headers=basic(credential)).status_code == 200
    # Basic is Scenario's; the Platform API keeps fal's Key scheme only.
    assert (
        client.get("/v1/models/pricing?endpoint_id=a/b", headers=basic(credential)).status_code
        == 401
    )
