"""fal's Keys operations: GET/POST /v1/keys and DELETE /v1/keys/{key_id}."""

from unittest.mock import ANY

from fastapi.testclient import TestClient
from sqlalchemy import select

from impasto.container import Container
from impasto.models import ApiKey, KeyScope
from tests.conftest import auth, make_key


def test_create_list_delete_round_trip(client: TestClient, container: Container) -> None:
    admin = auth(make_key(container, "acme", KeyScope.ADMIN))

    created = client.post("/v1/keys", json={"alias": "Production Key"}, headers=admin)
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"key_id", "key_secret", "key"}
    assert body["key"] == f"{body['key_id']}:{body['key_secret']}"

    # The new key works, with API scope: it may call API operations but not manage keys.
    new_key = auth(body["key"])
    assert client.get("/v1/keys", headers=new_key).status_code == 403

    listed = client.get("/v1/keys", headers=admin).json()
    assert listed["has_more"] is False
    assert listed["next_cursor"] is None
    [info] = listed["keys"]
    assert info["key_id"] == body["key_id"]
    assert info["alias"] == "Production Key"
    assert info["scope"] == "API"
    assert info["created_at"].endswith("Z")
    assert "creator_nickname" not in info
    assert "key_secret" not in info

    deleted = client.delete(f"/v1/keys/{body['key_id']}", headers=admin)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert client.get("/v1/keys", headers=new_key).status_code == 401
    assert client.get("/v1/keys", headers=admin).json()["keys"] == []
    # Idempotent for the caller's own key: deleting it again is still 204.
    assert client.delete(f"/v1/keys/{body['key_id']}", headers=admin).status_code == 204
    missing = client.delete("/v1/keys/no-such-key", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found"


def test_secret_is_stored_only_as_hash(client: TestClient, container: Container) -> None:
    admin = auth(make_key(container, "acme", KeyScope.ADMIN))
    body = client.post("/v1/keys", json={"alias": "k"}, headers=admin).json()
    with container.database.session(write=False) as session:
        row = session.scalar(select(ApiKey).where(ApiKey.key_id == body["key_id"]))
        assert row is not None
        stored = [str(getattr(row, column.key)) for column in ApiKey.__table__.columns]
    assert all(body["key_secret"] not in value for value in stored)


def test_expand_creator_info(client: TestClient, container: Container) -> None:
    admin = auth(make_key(container, "acme", KeyScope.ADMIN))
    client.post("/v1/keys", json={"alias": "k"}, headers=admin)
    for expand in ("creator_info", ["creator_info"]):
        keys = client.get("/v1/keys", params={"expand": expand}, headers=admin).json()["keys"]
        assert keys[0]["creator_nickname"] == "acme"


def test_pagination_walks_every_key_once(client: TestClient, container: Container) -> None:
    admin = auth(make_key(container, "acme", KeyScope.ADMIN))
    made = {
        client.post("/v1/keys", json={"alias": f"k{i}"}, headers=admin).json()["key_id"]
        for i in range(5)
    }
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/keys", params=params, headers=admin).json()
        seen += [key["key_id"] for key in page["keys"]]
        assert page["has_more"] is (page["next_cursor"] is not None)
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(made)
    assert len(seen) == 5


def test_owners_never_see_or_delete_each_others_keys(
    client: TestClient, container: Container
) -> None:
    acme = auth(make_key(container, "acme", KeyScope.ADMIN))
    globex = auth(make_key(container, "globex", KeyScope.ADMIN))
    acme_key = client.post("/v1/keys", json={"alias": "acme"}, headers=acme).json()

    assert client.get("/v1/keys", headers=globex).json()["keys"] == []
    # Another owner's key answers exactly as a key that never existed: nothing to probe.
    theirs = client.delete(f"/v1/keys/{acme_key['key_id']}", headers=globex)
    never = client.delete("/v1/keys/01900000-0000-7000-8000-000000000000", headers=globex)
    assert theirs.status_code == never.status_code == 404
    assert theirs.json()["error"] == {**never.json()["error"], "request_id": ANY}
    assert theirs.json()["error"]["type"] == "not_found"
    assert client.get("/v1/keys", headers=auth(acme_key["key"])).status_code == 403  # still valid
    # Revoked, it is still acme's own: deleting it stays 204, and globex's answer stays 404.
    assert client.delete(f"/v1/keys/{acme_key['key_id']}", headers=acme).status_code == 204
    assert client.delete(f"/v1/keys/{acme_key['key_id']}", headers=acme).status_code == 204
    assert client.delete(f"/v1/keys/{acme_key['key_id']}", headers=globex).status_code == 404


def test_admin_keys_are_not_listed_or_deleted_through_the_api(
    client: TestClient, container: Container
) -> None:
    credential = make_key(container, "acme", KeyScope.ADMIN)
    admin_id = credential.split(":")[0]
    admin = auth(credential)
    assert client.get("/v1/keys", headers=admin).json()["keys"] == []
    response = client.delete(f"/v1/keys/{admin_id}", headers=admin)
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "authorization_error"
    assert client.get("/v1/keys", headers=admin).status_code == 200


def test_invalid_bodies_are_400_validation_errors(client: TestClient, container: Container) -> None:
    admin = auth(make_key(container, "acme", KeyScope.ADMIN))
    for body in ({}, {"alias": ""}, {"alias": "x" * 256}, {"alias": 5}, {"alias": "a", "b": 1}):
        response = client.post("/v1/keys", json=body, headers=admin)
        assert response.status_code == 400, body
        assert response.json()["error"]["type"] == "validation_error"
    broken = client.post(
        "/v1/keys", content=b"{not json", headers={**admin, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["error"]["type"] == "validation_error"
    for params in ({"limit": 0}, {"limit": "many"}, {"cursor": "garbage!"}):
        response = client.get("/v1/keys", params=params, headers=admin)
        assert response.status_code == 400, params
        assert response.json()["error"]["type"] == "validation_error"
