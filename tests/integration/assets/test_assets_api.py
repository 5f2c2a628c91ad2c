"""fal's Assets operations end to end on both databases: uploads become assets, browse and
keyword search, tags, collections, characters, lineage, idempotency and owner isolation."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from impasto.assets.ingest.runs import record_run
from impasto.assets.search import browse
from impasto.container import Container
from tests.conftest import auth, make_key


def png(width: int = 8, height: int = 6) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def upload(client: TestClient, key: dict[str, str], name: str, data: bytes | None = None) -> str:
    response = client.post(
        "/files/upload",
        content=data or png(),
        headers={**key, "Content-Type": "image/png", "X-Fal-File-Name": name},
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["access_url"]
    return url


def assets(client: TestClient, key: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/v1/assets", params=params, headers=key)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_upload_creates_an_asset_that_browse_and_get_show(
    client: TestClient, container: Container
) -> None:
    key = auth(make_key(container, "acme"))
    url = upload(client, key, "red-fox.png")
    client.post("/files/upload", content=b"{}", headers={**key, "Content-Type": "application/json"})

    page = assets(client, key)
    assert page["total_count"] == 1
    assert page["has_more"] is False
    assert page["next_cursor"] is None
    assert page["scope_truncated"] is False
    [asset] = page["assets"]
    assert asset["url"] == url
    assert asset["type"] == "image"
    assert asset["source"] == "upload"
    assert asset["title"] == "red-fox"
    assert asset["content_type"] == "image/png"
    assert asset["is_favorited"] is False
    assert asset["similarity"] is None
    assert asset["created_at"].endswith("Z")

    got = client.get(f"/v1/assets/{asset['asset_id']}", headers=key)
    assert got.status_code == 200
    assert got.json()["asset"] == asset


def test_other_owners_never_see_anything(client: TestClient, container: Container) -> None:
    acme = auth(make_key(container, "acme"))
    rival = auth(make_key(container, "rival"))
    upload(client, acme, "secret-plan.png")
    [asset] = assets(client, acme)["assets"]
    asset_id = asset["asset_id"]
    tag = client.post("/v1/assets/tags", json={"name": "mine"}, headers=acme).json()["tag"]
    coll = client.post("/v1/assets/collections", json={"name": "c"}, headers=acme).json()

    assert assets(client, rival)["assets"] == []
    assert assets(client, rival, q="secret")["assets"] == []
    for path in (
        f"/v1/assets/{asset_id}",
        f"/v1/assets/{asset_id}/lineage",
        f"/v1/assets/{asset_id}/tags",
        f"/v1/assets/collections/{coll['collection']['id']}",
    ):
        response = client.get(path, headers=rival)
        assert response.status_code == 404, path
        assert response.json()["error"]["type"] == "not_found"
    fav = client.post("/v1/assets/favorite", json={"asset_id": asset_id}, headers=rival)
    assert fav.status_code == 404
    # Another owner's tag id is refused as a filter and cannot be assigned.
    assert client.get("/v1/assets", params={"tag_id": tag["id"]}, headers=rival).status_code == 404
    assigned = client.post(
        f"/v1/assets/tags/{tag['id']}/assign", json={"asset_id": asset_id}, headers=rival
    )
    assert assigned.status_code == 404
    assert client.get("/v1/assets/tags", headers=rival).json() == {"tags": []}
    assert client.get("/v1/assets/collections", headers=rival).json() == {"collections": []}


def test_bad_input_is_a_400_in_fal_format(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    for params in (
        {"media_type": "hologram"},
        {"section": "nope"},
        {"tag_mode": "some"},
        {"q": "fox", "search_image_url": "https://example.com/x.png"},
        {"search_image_url": "https://example.com/x.png"},
        {"search_video_url": "ftp://nope"},
        {"cursor": "garbage"},
        {"limit": 0},
    ):
        response = client.get("/v1/assets", params=params, headers=key)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["error"]["type"] == "validation_error"


def test_text_no_database_can_store_is_a_400_and_stores_nothing(
    client: TestClient, container: Container
) -> None:
    """NUL (PostgreSQL refuses it) and lone surrogates (nothing encodes them) are refused in
    every text field, list items included, on both databases. Free-form filters are kept as
    JSON text, where NUL is escaped: there only a lone surrogate is refused."""
    key = auth(make_key(container, "acme"))
    cases = [
        (path, body.replace("BAD", bad))
        for bad in ("a\\u0000b", "a\\ud800b")
        for path, body in (
            ("/v1/assets/tags", '{"name": "BAD"}'),
            ("/v1/assets/uploads", '{"url": "http://x.test/BAD", "type": "image"}'),
            ("/v1/assets/uploads", '{"url": "http://x.test/y", "type": "image", "prompt": "BAD"}'),
            (
                "/v1/assets/uploads",
                '{"url": "http://x.test/y", "type": "image", "tag_ids": ["BAD"]}',
            ),
            ("/v1/assets/collections", '{"name": "BAD"}'),
            (
                "/v1/assets/characters",
                '{"name": "c", "description": "d", "reference_images": ["BAD"]}',
            ),
        )
    ]
    cases += [
        ("/v1/assets/collections", '{"name": "n", "filters": {"q": ["a\\ud800b"]}}'),
        ("/v1/assets/collections", '{"name": "n", "filters": {"a\\udfff": 1}}'),
    ]
    for path, body in cases:
        response = client.post(
            path, content=body.encode(), headers={**key, "Content-Type": "application/json"}
        )
        assert response.status_code == 400, (path, body, response.text)
        assert response.json()["error"]["type"] == "validation_error"
    assert assets(client, key)["assets"] == []
    assert client.get("/v1/assets/tags", headers=key).json() == {"tags": []}
    assert client.get("/v1/assets/collections", headers=key).json() == {"collections": []}
    kept = client.post(
        "/v1/assets/collections",
        content=b'{"name": "n", "filters": {"q": "a\\u0000b"}}',
        headers={**key, "Content-Type": "application/json"},
    )
    assert kept.status_code == 201, kept.text
    assert kept.json()["collection"]["filters"] == {"q": "a\x00b"}


def test_cursor_pages_and_is_bound_to_its_query(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    for i in range(5):
        upload(client, key, f"pic-{i}.png", png(4 + i, 4))
    first = assets(client, key, limit=2)
    assert first["has_more"] is True
    assert first["total_count"] == 5
    # A library past the count's bound has no total (fal's "unavailable").
    with container.database.session(write=False) as session:
        totals = [
            browse.listing(session, query, cursors=container.cursors, max_count=bound).total_count
            for query, bound in (
                (browse.AssetQuery(owner="acme", limit=2), 4),
                (browse.AssetQuery(owner="acme", limit=2, media_types=["image"]), 4),
                (browse.AssetQuery(owner="acme", limit=2), 5),
            )
        ]
    assert totals == [None, None, 5]
    seen = [a["asset_id"] for a in first["assets"]]
    cursor = first["next_cursor"]
    while cursor:
        page = assets(client, key, limit=2, cursor=cursor)
        seen += [a["asset_id"] for a in page["assets"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    reused = client.get(
        "/v1/assets",
        params={"limit": 2, "cursor": first["next_cursor"], "media_type": "video"},
        headers=key,
    )
    assert reused.status_code == 400
    assert "different query" in reused.json()["error"]["message"]


def test_search_pages_past_the_first_hundred_hits(client: TestClient, container: Container) -> None:
    """The first pages are cut from 100 hits per leg, later ones from 1,000: every hit is
    served once, and the count is known once the deeper list holds the whole scope."""
    key = auth(make_key(container, "acme"))
    for i in range(130):
        saved = client.post(
            "/v1/assets/uploads",
            json={"url": f"https://example.com/fox-{i}.png", "type": "image"},
            headers=key,
        )
        assert saved.status_code == 201, saved.text
    seen: list[str] = []
    pages = []
    cursor = None
    while True:
        page = assets(client, key, q="fox", limit=40, **({"cursor": cursor} if cursor else {}))
        pages.append(page)
        seen += [a["asset_id"] for a in page["assets"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 130
    assert [len(p["assets"]) for p in pages] == [40, 40, 40, 10]
    assert (pages[0]["total_count"], pages[0]["scope_truncated"]) == (None, True)
    assert (pages[-1]["total_count"], pages[-1]["scope_truncated"]) == (130, False)


def test_keyword_search_ranks_title_prompt_and_tags(
    client: TestClient, container: Container
) -> None:
    key = auth(make_key(container, "acme"))
    fox = upload(client, key, "red-fox.png", png(3, 3))
    upload(client, key, "blue-whale.png", png(4, 4))
    foxes = upload(client, key, "foxglove.png", png(5, 5))
    result = assets(client, key, q="fox")
    assert [a["url"] for a in result["assets"]] == [fox, foxes]  # whole word before prefix
    assert result["total_count"] == 2

    whale = next(a for a in assets(client, key)["assets"] if "whale" in a["title"])
    tag = client.post("/v1/assets/tags", json={"name": "ocean"}, headers=key).json()["tag"]
    put = client.put(
        "/v1/assets/tags",
        json={"asset_id": whale["asset_id"], "tag_ids": [tag["id"]]},
        headers=key,
    )
    assert put.status_code == 200
    assert [t["name"] for t in put.json()["tags"]] == ["ocean"]
    assert [a["asset_id"] for a in assets(client, key, q="ocean")["assets"]] == [whale["asset_id"]]
    renamed = client.patch(f"/v1/assets/tags/{tag['id']}", json={"name": "sea"}, headers=key)
    assert renamed.json()["tag"]["name"] == "sea"
    assert assets(client, key, q="ocean")["assets"] == []
    assert len(assets(client, key, q="sea")["assets"]) == 1
    assert len(assets(client, key, tag_id=tag["id"])["assets"]) == 1
    assert client.delete(f"/v1/assets/tags/{tag['id']}", headers=key).status_code == 204
    assert assets(client, key, q="sea")["assets"] == []


def test_favorites_tags_and_idempotency(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    upload(client, key, "a.png")
    [asset] = assets(client, key)["assets"]
    target = {"asset_id": asset["asset_id"]}
    fav = client.post("/v1/assets/favorite", json=target, headers=key)
    assert fav.json() == {"is_favorited": True}
    assert len(assets(client, key, section="favorites")["assets"]) == 1
    assert client.post("/v1/assets/unfavorite", json=target, headers=key).json() == {
        "is_favorited": False
    }
    assert assets(client, key, section="favorites")["assets"] == []
    both = client.post("/v1/assets/favorite", json={**target, "vector_id": "x"}, headers=key)
    assert both.status_code == 400

    retry = {**key, "Idempotency-Key": "tag-1"}
    first = client.post("/v1/assets/tags", json={"name": "keep"}, headers=retry)
    again = client.post("/v1/assets/tags", json={"name": "keep"}, headers=retry)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = client.post("/v1/assets/tags", json={"name": "other"}, headers=retry)
    assert other.status_code == 409
    duplicate = client.post("/v1/assets/tags", json={"name": "keep"}, headers=key)
    assert duplicate.status_code == 409

    tag_id = first.json()["tag"]["id"]
    assign = client.post(f"/v1/assets/tags/{tag_id}/assign", json=target, headers=key)
    assert assign.json() == {"success": True}
    assert [
        t["id"]
        for t in client.get(f"/v1/assets/{asset['asset_id']}/tags", headers=key).json()["tags"]
    ] == [tag_id]
    unassign = client.request(
        "DELETE", f"/v1/assets/tags/{tag_id}/assign", json=target, headers=key
    )
    assert unassign.status_code == 204
    assert client.get(f"/v1/assets/{asset['asset_id']}/tags", headers=key).json() == {"tags": []}


def test_save_url_as_asset(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    saved = client.post(
        "/v1/assets/uploads",
        json={
            "url": "https://example.com/cat.mp4",
            "type": "video",
            "prompt": "a cat",
            "favorite": True,
        },
        headers=key,
    )
    assert saved.status_code == 201, saved.text
    asset = saved.json()["asset"]
    assert (asset["type"], asset["url"], asset["prompt"]) == (
        "video",
        "https://example.com/cat.mp4",
        "a cat",
    )
    assert asset["is_favorited"] is True
    # A file of ours that already is an asset is not duplicated.
    url = upload(client, key, "dog.png")
    linked = client.post("/v1/assets/uploads", json={"url": url, "type": "image"}, headers=key)
    assert linked.status_code == 201
    assert assets(client, key)["total_count"] == 2
    bad = client.post("/v1/assets/uploads", json={"url": url, "type": "nope"}, headers=key)
    assert bad.status_code == 400


def test_collections_hierarchy_move_and_browse_inside(
    client: TestClient, container: Container
) -> None:
    key = auth(make_key(container, "acme"))
    upload(client, key, "x.png")
    [asset] = assets(client, key)["assets"]
    ids = []
    parent = None
    for level in range(5):
        body: dict[str, Any] = {"name": f"level {level}"}
        if parent:
            body["parent_collection_id"] = parent
        made = client.post("/v1/assets/collections", json=body, headers=key)
        assert made.status_code == 201, made.text
        parent = made.json()["collection"]["id"]
        ids.append(parent)
    too_deep = client.post(
        "/v1/assets/collections", json={"name": "six", "parent_collection_id": parent}, headers=key
    )
    assert too_deep.status_code == 400
    tree = client.get(f"/v1/assets/collections/{ids[0]}/hierarchy", headers=key).json()
    assert tree["hierarchy"]["children"][0]["id"] == ids[1]
    assert tree["ancestors"] == []
    leaf = client.get(f"/v1/assets/collections/{ids[4]}/hierarchy", headers=key).json()
    assert [a["id"] for a in leaf["ancestors"]] == ids[:4]
    cycle = client.post(
        f"/v1/assets/collections/{ids[0]}/move",
        json={"parent_collection_id": ids[3]},
        headers=key,
    )
    assert cycle.status_code == 400
    moved = client.post(
        f"/v1/assets/collections/{ids[3]}/move", json={"parent_collection_id": None}, headers=key
    )
    assert moved.json()["collection"]["parent_collection_id"] is None

    added = client.post(
        f"/v1/assets/collections/{ids[0]}/assets",
        json={"asset_id": asset["asset_id"]},
        headers=key,
    )
    assert added.json() == {"success": True}
    inside = client.get(f"/v1/assets/collections/{ids[0]}/assets", headers=key).json()
    assert [a["asset_id"] for a in inside["assets"]] == [asset["asset_id"]]
    assert inside["assets"][0]["collection_ids"] == [ids[0]]
    got = client.get(f"/v1/assets/collections/{ids[0]}", headers=key).json()["collection"]
    assert got["asset_count"] == 1
    fav = client.post(f"/v1/assets/collections/{ids[0]}/favorite", headers=key)
    assert fav.json()["collection"]["is_favorited"] is True
    patched = client.patch(
        f"/v1/assets/collections/{ids[0]}", json={"name": "renamed"}, headers=key
    )
    assert patched.json()["collection"]["name"] == "renamed"
    removed = client.request(
        "DELETE",
        f"/v1/assets/collections/{ids[0]}/assets",
        json={"asset_id": asset["asset_id"]},
        headers=key,
    )
    assert removed.status_code == 204
    assert client.get(f"/v1/assets/collections/{ids[0]}/assets", headers=key).json()["assets"] == []
    assert client.delete(f"/v1/assets/collections/{ids[0]}", headers=key).status_code == 204
    assert client.get(f"/v1/assets/collections/{ids[0]}", headers=key).status_code == 404
    # Its child moved up instead of disappearing.
    child = client.get(f"/v1/assets/collections/{ids[1]}", headers=key).json()["collection"]
    assert child["parent_collection_id"] is None


def test_runs_characters_mentions_and_lineage(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    source = upload(client, key, "portrait.png")
    output = upload(client, make_auth_other(container), "ignored.png")  # another owner's
    result_url = upload(client, key, "result.png")
    character = client.post(
        "/v1/assets/characters",
        json={"name": "Alice", "description": "our hero", "reference_images": [source]},
        headers=key,
    )
    assert character.status_code == 201, character.text
    alice = character.json()["character"]
    assert alice["character_identifier"] == "alice"
    assert alice["type"] == "character"
    dup = client.post(
        "/v1/assets/characters",
        json={"name": "Alice", "description": "again", "reference_images": []},
        headers=key,
    )
    assert dup.status_code == 409

    with container.database.session(write=True) as session:
        made = record_run(
            session,
            container.ids,
            owner="acme",
            request_id="req-1",
            endpoint_id="acme/gen",
            input_payload={
                "prompt": "@alice on a beach",
                "image_url": source,
                "mask": {"url": output},
            },
            output_payload={
                "images": [
                    {"url": result_url, "content_type": "image/png", "width": 64, "height": 32}
                ]
            },
            created_at=container.clock.now(),
        )
    assert len(made) == 1
    generated = assets(client, key, section="generated")["assets"]
    [response] = generated
    assert (response["source"], response["request_id"], response["endpoint"]) == (
        "response",
        "req-1",
        "acme/gen",
    )
    assert response["prompt"] == "@alice on a beach"
    assert (response["width"], response["height"]) == (64, 32)
    assert alice["id"] in response["collection_ids"]
    by_character = assets(client, key, character_identifier="alice")["assets"]
    assert response["asset_id"] in [a["asset_id"] for a in by_character]
    # The upload of the output became the response; the other owner's public input file
    # became a request asset of ours.
    sources = sorted(a["source"] for a in assets(client, key)["assets"])
    assert sources == ["request", "response", "upload"]

    graph = client.get(f"/v1/assets/{response['asset_id']}/lineage", headers=key).json()["lineage"]
    kinds = {(e["kind"], e["from"].split(":")[0], e["to"].split(":")[0]) for e in graph["edges"]}
    assert ("generated_by", "request", "asset") in kinds
    assert ("input_to", "asset", "request") in kinds
    assert ("referenced_entity", "entity", "request") in kinds
    assert graph["focus"] == f"asset:{response['asset_id']}"

    fav = client.post(f"/v1/assets/characters/{alice['id']}/favorite", headers=key)
    assert fav.json()["character"]["is_favorited"] is True
    listed = client.get("/v1/assets/characters", headers=key).json()["characters"]
    assert [c["id"] for c in listed] == [alice["id"]]
    assert client.get("/v1/assets/collections", headers=key).json() == {"collections": []}
    patched = client.patch(
        f"/v1/assets/characters/{alice['id']}", json={"description": "new"}, headers=key
    )
    assert patched.json()["character"]["description"] == "new"
    assert client.delete(f"/v1/assets/characters/{alice['id']}", headers=key).status_code == 204
    assert client.get(f"/v1/assets/characters/{alice['id']}", headers=key).status_code == 404


def make_auth_other(container: Container) -> dict[str, str]:
    return auth(make_key(container, "other"))
