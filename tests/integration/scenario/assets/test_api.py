"""Scenario's asset listing and search over the asset library, on both databases: Scenario's
parameter rules, field names, paging, error body, Basic auth and owner isolation."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient

from impasto.assets.ingest.runs import record_run
from impasto.container import Container, build_indexer
from tests.conftest import auth, make_key
from tests.integration.assets.test_assets_api import png, upload
from tests.integration.scenario.models.test_api import basic
from tests.unit.assets.test_fusion import LetterEmbedder

LIST = "/scenario/v1/assets"
SEARCH = "/scenario/v1/search/assets"


def listing(client: TestClient, key: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(LIST, params=params, headers=key)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def search(client: TestClient, key: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(SEARCH, json=body, headers=key)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def ids(assets: list[dict[str, Any]]) -> list[str]:
    return [asset["id"] for asset in assets]


def index(client: TestClient, container: Container) -> None:
    indexer = build_indexer(container)
    assert client.portal.call(indexer.run_once) > 0  # type: ignore[union-attr]


def test_listing_shows_scenario_fields_newest_first_with_basic_auth(
    client: TestClient, container: Container
) -> None:
    credential = make_key(container, "acme")
    key = basic(credential)
    first = upload(client, auth(credential), "red-fox.png", png(8, 6))
    second = upload(client, auth(credential), "blue-whale.png", png(4, 4))
    body = listing(client, key)
    assert [a["url"] for a in body["assets"]] == [second, first]
    assert body["nextPaginationToken"] is None
    asset = body["assets"][1]
    assert asset["kind"] == "image"
    assert asset["mimeType"] == "image/png"
    assert asset["ownerId"] == asset["authorId"] == "acme"
    assert asset["privacy"] == "private"
    assert asset["description"] == "red-fox"
    assert asset["metadata"]["type"] == "uploaded"
    assert asset["metadata"]["fileName"] == "red-fox.png"
    assert asset["properties"]["size"] == len(png(8, 6))
    assert asset["createdAt"].endswith("Z")
    assert asset["updatedAt"].endswith("Z")
    for name in ("collectionIds", "tags", "nsfw", "editCapabilities", "thumbnail"):
        assert name in asset
    ascending = listing(client, key, sortDirection="asc")
    assert [a["url"] for a in ascending["assets"]] == [first, second]
    by_update = listing(client, key, sortBy="updatedAt")
    assert len(by_update["assets"]) == 2


def test_pagination_token_walks_every_asset_once_and_is_bound_to_its_query(
    client: TestClient, container: Container
) -> None:
    key = auth(make_key(container, "acme"))
    for i in range(5):
        upload(client, key, f"pic-{i}.png", png(3 + i, 3))
    seen: list[str] = []
    token = None
    while True:
        params: dict[str, Any] = {"pageSize": 2}
        if token:
            params["paginationToken"] = token
        page = listing(client, key, **params)
        seen += ids(page["assets"])
        token = page["nextPaginationToken"]
        if token is None:
            break
    assert len(seen) == len(set(seen)) == 5
    first = listing(client, key, pageSize=2)["nextPaginationToken"]
    reused = client.get(
        LIST, params={"pageSize": 2, "paginationToken": first, "sortDirection": "asc"}, headers=key
    )
    assert reused.status_code == 400
    assert reused.json()["apiError"] == "bad_request"


def test_model_and_lineage_filters(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    source = upload(client, key, "source.png", png(5, 5))
    middle = upload(client, key, "middle.png", png(6, 6))
    final = upload(client, key, "final.png", png(7, 7))
    with container.database.session(write=True) as session:
        for request_id, inputs, output in (("r1", source, middle), ("r2", middle, final)):
            record_run(
                session,
                container.ids,
                owner="acme",
                request_id=request_id,
                endpoint_id=f"acme/{request_id}",
                input_payload={"prompt": "a step", "image_url": inputs},
                output_payload={"image": {"url": output}},
                created_at=container.clock.now(),
            )
    everything = {a["url"]: a["id"] for a in listing(client, key)["assets"]}
    made_by_r1 = listing(client, key, modelId="acme/r1")["assets"]
    assert [a["url"] for a in made_by_r1] == [middle]
    assert made_by_r1[0]["metadata"]["type"] == "inference"
    assert made_by_r1[0]["metadata"]["parentJobId"] == "r1"
    children = listing(client, key, parentAssetId=everything[source])["assets"]
    assert [a["url"] for a in children] == [middle]
    descendants = listing(client, key, rootAssetId=everything[source])["assets"]
    assert sorted(a["url"] for a in descendants) == sorted([middle, final])
    assert listing(client, key, rootAssetId=everything[final])["assets"] == []

    rival = auth(make_key(container, "rival"))
    assert listing(client, rival)["assets"] == []
    assert listing(client, rival, modelId="acme/r1")["assets"] == []
    hidden = client.get(LIST, params={"rootAssetId": everything[source]}, headers=rival)
    assert hidden.status_code == 404
    assert hidden.json()["apiError"] == "not_found"


def test_listing_rules_answer_400_in_scenario_format(
    client: TestClient, container: Container
) -> None:
    key = auth(make_key(container, "acme"))
    for params in (
        {"sortBy": "score"},
        {"sortDirection": "sideways"},
        {"sortBy": "updatedAt", "createdAfter": "2024-01-01"},
        {"createdAfter": "yesterday"},
        {"createdAfter": "2024-02-01", "createdBefore": "2024-01-01"},
        {"pageSize": "0"},
        {"pageSize": "101"},
        {"pageSize": "ten"},
        {"privacy": "public"},
        {"privacy": "secret"},
        {"originalAssets": "maybe"},
        {"paginationToken": "garbage"},
    ):
        response = client.get(LIST, params=params, headers=key)
        assert response.status_code == 400, (params, response.text)
        body = response.json()
        assert set(body) == {"apiError", "message"}, body
    nul = client.get(LIST, params={"modelId": "a\x00b"}, headers=key)
    assert nul.status_code == 404
    assert client.get(LIST).status_code == 401


def test_keyword_search_filters_and_paging(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    for name in ("fox-one.png", "fox-two.png", "fox-three.png", "whale.png"):
        upload(client, key, name)
    found = search(client, key, query="fox", querySemanticRatio=0)
    assert len(found["hits"]) == 3
    assert found["estimatedTotalHits"] == 3
    assert (found["limit"], found["offset"], found["query"]) == (20, 0, "fox")
    assert all(hit["score"] is None and hit["kind"] == "image" for hit in found["hits"])
    first = search(client, key, query="fox", limit=2)
    rest = search(client, key, query="fox", limit=2, offset=2)
    assert len(first["hits"]) == 2
    assert len(rest["hits"]) == 1
    assert not set(ids(first["hits"])) & set(ids(rest["hits"]))
    paged = search(client, key, query="fox", page=2, hitsPerPage=2)
    assert (paged["page"], paged["hitsPerPage"], paged["totalHits"], paged["totalPages"]) == (
        2,
        2,
        3,
        2,
    )
    assert ids(paged["hits"]) == ids(rest["hits"])

    tag = client.post("/v1/assets/tags", json={"name": "ocean"}, headers=key).json()["tag"]
    whale = search(client, key, query="whale")["hits"][0]
    client.put(
        "/v1/assets/tags", json={"asset_id": whale["id"], "tag_ids": [tag["id"]]}, headers=key
    )
    assert ids(search(client, key, filter="tags = ocean")["hits"]) == [whale["id"]]
    assert ids(search(client, key, filter="tags IN [ocean, nothing]")["hits"]) == [whale["id"]]
    assert search(client, key, filter="tags = ocean AND tags = nothing")["hits"] == []
    assert search(client, key, query="fox", filter="tags = ocean")["hits"] == []
    assert len(search(client, key, filter="kind = image")["hits"]) == 4
    assert search(client, key, filter="kind IN [video, audio]")["hits"] == []
    assert search(client, key, filter="kind = image AND kind = video")["hits"] == []
    only_images = search(client, key, filter="kind = image", limit=3, offset=2)
    assert len(only_images["hits"]) == 2
    assert only_images["estimatedTotalHits"] == 4

    rival = auth(make_key(container, "rival"))
    assert search(client, rival, query="fox")["hits"] == []
    assert search(client, rival, filter="kind = image")["hits"] == []
    assert search(client, rival, filter="tags = ocean")["hits"] == []


def test_semantic_ratio_and_similar_image_search(client: TestClient, container: Container) -> None:
    container.asset_embedders.append(LetterEmbedder())
    key = auth(make_key(container, "acme"))
    aaa = upload(client, key, "aaa.png", png(3, 5))
    upload(client, key, "bbb.png", png(4, 4))
    upload(client, key, "ccc.png", png(5, 5))
    index(client, container)
    by_url = {a["url"]: a for a in listing(client, key)["assets"]}

    # "aaaa" is in no title: the keyword leg alone finds nothing, the vector legs find all.
    assert search(client, key, query="aaaa", querySemanticRatio=0)["hits"] == []
    semantic = search(client, key, query="aaaa", querySemanticRatio=1)
    assert semantic["hits"][0]["url"] == aaa
    assert semantic["hits"][0]["score"] > semantic["hits"][-1]["score"]
    hybrid = search(client, key, query="aaa")
    assert hybrid["hits"][0]["url"] == aaa

    by_id = search(client, key, image=by_url[aaa]["id"])
    assert by_id["hits"][0]["url"] == aaa
    assert by_id["hits"][0]["score"] == 1.0
    assert search(client, key, image=aaa)["hits"][0]["url"] == aaa
    data_url = "data:image/png;base64," + base64.b64encode(png(3, 5)).decode()
    assert search(client, key, image=data_url)["hits"][0]["url"] == aaa
    like = search(client, key, images={"like": [by_url[aaa]["id"], data_url]})
    assert like["hits"][0]["url"] == aaa
    assert search(client, key, image=by_url[aaa]["id"], filter="kind = video")["hits"] == []

    rival = auth(make_key(container, "rival"))
    foreign = client.post(SEARCH, json={"image": by_url[aaa]["id"]}, headers=rival)
    assert foreign.status_code == 404
    assert foreign.json()["apiError"] == "not_found"
    assert search(client, rival, query="aaaa", querySemanticRatio=1)["hits"] == []


def test_search_rules_answer_400_in_scenario_format(
    client: TestClient, container: Container
) -> None:
    key = auth(make_key(container, "acme"))
    url = upload(client, key, "x.png")
    for body in (
        {},
        {"query": "x", "image": url},
        {"image": url, "images": {"like": [url]}},
        {"images": {"like": []}},
        {"images": {"like": [url], "unlike": [url]}},
        {"image": "https://example.com/x.png"},
        {"image": "data:image/png;base64,!!!"},
        {"image": "data:image/png;base64," + base64.b64encode(b"not a picture").decode()},
        {"query": "x", "limit": 10, "page": 2},
        {"query": "x", "limit": 101},
        {"query": "x", "offset": 5000},
        {"query": "x", "querySemanticRatio": 2},
        {"query": "x", "querySemanticRatio": 1},  # no embedder configured
        {"query": "x", "sortBy": ["createdAt:desc"]},
        {"query": "x", "public": True},
        {"query": "x", "unknown": 1},
        {"filter": "width >= 1024"},
        {"filter": "kind = hologram"},
        {"filter": "kind = image OR kind = video"},
        {"filter": "(kind = image)"},
    ):
        response = client.post(SEARCH, json=body, headers=key)
        assert response.status_code == 400, (body, response.text)
        assert set(response.json()) == {"apiError", "message"}
    missing = client.post(SEARCH, json={"image": "no-such-asset"}, headers=key)
    assert missing.status_code == 404
