"""``Idempotency-Key`` on the mutating asset calls, given by one FastAPI dependency
(``assets/deps.py``): a retry gets the first answer, the same key on another request is a
409, and keys belong to their owner. Both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from impasto.container import Container
from tests.conftest import auth, make_key

VIDEO = {"url": "https://example.com/cat.mp4", "type": "video", "prompt": "a cat"}


def total(client: TestClient, key: dict[str, str]) -> int:
    response = client.get("/v1/assets", headers=key)
    assert response.status_code == 200, response.text
    count: int = response.json()["total_count"]
    return count


def test_a_retried_upload_gets_the_first_answer_and_makes_one_asset(
    client: TestClient, container: Container
) -> None:
    key = auth(make_key(container, "acme"))
    # Longer than the column: stored as a digest, still the same key on the retry.
    retry = {**key, "Idempotency-Key": "upload-" + "x" * 300}
    first = client.post("/v1/assets/uploads", json=VIDEO, headers=retry)
    again = client.post("/v1/assets/uploads", json=VIDEO, headers=retry)
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert total(client, key) == 1

    other = client.post("/v1/assets/uploads", json={**VIDEO, "prompt": "a dog"}, headers=retry)
    assert other.status_code == 409
    assert total(client, key) == 1

    # Without a key every call does its work.
    for _ in range(2):
        plain = client.post("/v1/assets/uploads", json=VIDEO, headers=key)
        assert plain.status_code == 201
    assert total(client, key) == 3


def test_a_retried_delete_replays_its_204(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    tags = [
        client.post("/v1/assets/tags", json={"name": name}, headers=key).json()["tag"]["id"]
        for name in ("old", "new")
    ]
    retry = {**key, "Idempotency-Key": "delete-1"}
    first = client.delete(f"/v1/assets/tags/{tags[0]}", headers=retry)
    again = client.delete(f"/v1/assets/tags/{tags[0]}", headers=retry)
    assert first.status_code == again.status_code == 204
    assert again.content == b""
    # The tag is gone: only the stored answer made the retry a 204.
    assert client.delete(f"/v1/assets/tags/{tags[0]}", headers=key).status_code == 404
    # The path is part of the request: the same key on another tag is a conflict.
    assert client.delete(f"/v1/assets/tags/{tags[1]}", headers=retry).status_code == 409
    assert client.delete(f"/v1/assets/tags/{tags[1]}", headers=key).status_code == 204


def test_a_replay_answers_what_the_first_call_did_not_the_state_now(
    client: TestClient, container: Container
) -> None:
    key = auth(make_key(container, "acme"))
    collection = client.post("/v1/assets/collections", json={"name": "c"}, headers=key).json()
    path = f"/v1/assets/collections/{collection['collection']['id']}"
    retry = {**key, "Idempotency-Key": "fav-1"}
    first = client.post(f"{path}/favorite", headers=retry)
    assert first.status_code == 200, first.text
    assert first.json()["collection"]["is_favorited"] is True
    assert client.post(f"{path}/unfavorite", headers=key).status_code == 200

    again = client.post(f"{path}/favorite", headers=retry)
    assert again.status_code == 200
    assert again.json() == first.json()
    now: dict[str, Any] = client.get(path, headers=key).json()
    assert now["collection"]["is_favorited"] is False


def test_keys_belong_to_their_owner(client: TestClient, container: Container) -> None:
    acme = {**auth(make_key(container, "acme")), "Idempotency-Key": "same"}
    rival = {**auth(make_key(container, "rival")), "Idempotency-Key": "same"}
    mine = client.post("/v1/assets/tags", json={"name": "mine"}, headers=acme)
    theirs = client.post("/v1/assets/tags", json={"name": "theirs"}, headers=rival)
    assert mine.status_code == theirs.status_code == 201
    assert theirs.json()["tag"]["name"] == "theirs"
    assert mine.json()["tag"]["id"] != theirs.json()["tag"]["id"]
