"""Who sees what (by search, by id, by cursor) and keyset pages under concurrent writes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from impasto.catalog.service import CatalogService
from impasto.container import Container
from tests.conftest import auth, make_key
from tests.integration.catalog.conftest import ids, requests, seed


def _entries() -> list[dict[str, Any]]:
    return [
        {"endpoint_id": "acme/public-tool", "display_name": "Secret tool"},
        {"endpoint_id": "acme/private-tool", "display_name": "Secret tool", "privacy": "private"},
        {"endpoint_id": "acme/unlisted-tool", "display_name": "Secret tool", "privacy": "unlisted"},
        {"endpoint_id": "globex/private-tool", "display_name": "Secret tool", "privacy": "private"},
    ]


def test_anonymous_callers_see_public_entries_and_unlisted_by_id(
    client: TestClient, container: Container
) -> None:
    seed(container, *_entries())
    assert ids(client.get("/v1/models").json()) == ["acme/public-tool"]
    assert ids(client.get("/v1/models", params={"q": "secret"}).json()) == ["acme/public-tool"]
    every = [entry["endpoint_id"] for entry in _entries()]
    by_id = client.get("/v1/models", params={"endpoint_id": every}).json()
    assert ids(by_id) == ["acme/public-tool", "acme/unlisted-tool"]


def test_owners_see_their_private_entries_and_never_anyone_elses(
    client: TestClient, container: Container
) -> None:
    seed(container, *_entries())
    acme = auth(make_key(container, "acme"))
    listed = ids(client.get("/v1/models", headers=acme).json())
    assert listed == ["acme/private-tool", "acme/public-tool"]
    searched = ids(client.get("/v1/models", params={"q": "secret tool"}, headers=acme).json())
    assert searched == ["acme/private-tool", "acme/public-tool"]
    every = [entry["endpoint_id"] for entry in _entries()]
    by_id = ids(client.get("/v1/models", params={"endpoint_id": every}, headers=acme).json())
    assert "globex/private-tool" not in by_id
    assert set(by_id) == {"acme/public-tool", "acme/private-tool", "acme/unlisted-tool"}
    for params in ({"endpoint_id": "globex/private-tool"}, {"q": "globex"}):
        assert ids(client.get("/v1/models", params=params, headers=acme).json()) == []
    # Favoriting or pricing a model one cannot see answers as if it did not exist.
    assert client.put("/v1/models/favorites/globex/private-tool", headers=acme).status_code == 404
    pricing = client.get(
        "/v1/models/pricing", params={"endpoint_id": "globex/private-tool"}, headers=acme
    )
    assert pricing.status_code == 404


def test_a_cursor_never_carries_one_callers_results_to_another(
    client: TestClient, container: Container
) -> None:
    seed(container, *_entries(), {"endpoint_id": "acme/z-public", "display_name": "Secret"})
    acme = auth(make_key(container, "acme"))
    globex = auth(make_key(container, "globex"))
    first = client.get("/v1/models", params={"limit": 1}, headers=globex).json()
    assert first["has_more"] is True
    replay = client.get(
        "/v1/models", params={"limit": 1, "cursor": first["next_cursor"]}, headers=acme
    )
    assert replay.status_code == 400  # bound to the caller as well as the filters
    walked: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/models", params=params, headers=acme).json()
        walked += ids(page)
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert "globex/private-tool" not in walked
    assert len(walked) == len(set(walked)) == 3


def _walk_with_writes(
    client: TestClient, container: Container, params: dict[str, Any]
) -> tuple[list[str], set[str]]:
    """Walk every page; between pages add and delete entries. Returns (seen, stable set)."""
    seed(
        container,
        *({"endpoint_id": f"acme/item-{i:03d}", "display_name": "Item"} for i in range(30)),
    )
    requests(container, "acme/item-007", 5)
    stable = {f"acme/item-{i:03d}" for i in range(30)}
    seen: list[str] = []
    cursor = None
    step = 0
    while True:
        page_params = {**params, "limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/models", params=page_params).json()
        seen += ids(page)
        step += 1
        # Between pages: entries appear before and after the position, and others vanish.
        seed(
            container,
            {"endpoint_id": f"acme/item-{step:03d}a", "display_name": "Item"},
            {"endpoint_id": f"acme/item-{100 + step:03d}", "display_name": "Item"},
        )
        doomed = f"acme/item-{29 - step:03d}"
        with container.database.session(write=True) as session:
            CatalogService(session, container.clock, operator="admin").delete(doomed, actor=None)
        stable.discard(doomed)
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    return seen, stable


def test_list_pages_survive_inserts_and_deletes(client: TestClient, container: Container) -> None:
    seen, stable = _walk_with_writes(client, container, {})
    assert len(seen) == len(set(seen)), "an entry was returned twice"
    assert stable <= set(seen), "an entry that existed throughout was skipped"


def test_search_pages_survive_inserts_and_deletes(client: TestClient, container: Container) -> None:
    seen, stable = _walk_with_writes(client, container, {"q": "item"})
    assert len(seen) == len(set(seen)), "an entry was returned twice"
    assert stable <= set(seen), "an entry that existed throughout was skipped"
