"""Key authentication and scopes, on every database."""

import pytest
from fastapi.testclient import TestClient

from impasto.container import Container
from impasto.keys.service import KeyService
from impasto.models import KeyScope
from tests.conftest import auth, make_key


def test_missing_key_is_401(client: TestClient) -> None:
    response = client.get("/v1/keys")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authorization_error"


@pytest.mark.parametrize(
    "header",
    ["Bearer eyJhbGciOi.x.y", "Key", "Key   ", "Token abc", "Key abc", "Key abc:def", "garbage"],
)
def test_malformed_or_foreign_credentials_are_401(client: TestClient, header: str) -> None:
    response = client.get("/v1/keys", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authorization_error"


def test_wrong_secret_is_401(client: TestClient, container: Container) -> None:
    key_id, secret = make_key(container, "acme", KeyScope.ADMIN).split(":")
    wrong = secret[:-1] + ("0" if secret[-1] != "0" else "1")
    assert client.get("/v1/keys", headers=auth(f"{key_id}:{wrong}")).status_code == 401
    assert client.get("/v1/keys", headers=auth(f"{key_id}:{secret}")).status_code == 200


def test_scheme_is_case_insensitive(client: TestClient, container: Container) -> None:
    credential = make_key(container, "acme", KeyScope.ADMIN)
    assert client.get("/v1/keys", headers={"Authorization": f"key {credential}"}).status_code == 200


def test_api_scope_cannot_use_admin_operations(client: TestClient, container: Container) -> None:
    api = auth(make_key(container, "acme", KeyScope.API))
    response = client.post("/v1/keys", json={"alias": "x"}, headers=api)
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "authorization_error"


def test_revoked_key_is_401_at_once(client: TestClient, container: Container) -> None:
    credential = make_key(container, "acme", KeyScope.ADMIN)
    assert client.get("/v1/keys", headers=auth(credential)).status_code == 200
    with container.database.session(write=True) as session:
        KeyService(session, container.clock, container.ids).revoke(credential.split(":")[0])
    assert client.get("/v1/keys", headers=auth(credential)).status_code == 401


def test_bootstrap_creates_one_admin_key_only_on_an_empty_database(container: Container) -> None:
    with container.database.session(write=True) as session:
        service = KeyService(session, container.clock, container.ids)
        first = service.bootstrap_admin("admin")
        assert first is not None
        principal = service.authenticate(str(first))
        assert principal.scope is KeyScope.ADMIN
        assert principal.owner == "admin"
        assert service.bootstrap_admin("admin") is None


def test_worker_keys_alone_do_not_stop_the_bootstrap(container: Container) -> None:
    """A database holding only WORKER keys has no key that can manage anything."""
    with container.database.session(write=True) as session:
        service = KeyService(session, container.clock, container.ids)
        service.create(owner="admin", scope=KeyScope.WORKER, alias="w", created_by="tests")
        first = service.bootstrap_admin("admin")
        assert first is not None
        assert service.authenticate(str(first)).scope is KeyScope.ADMIN
        assert service.bootstrap_admin("admin") is None
