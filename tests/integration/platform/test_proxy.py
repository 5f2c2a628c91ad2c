"""fal's server proxy at /api/fal/proxy: targets map onto this server's routes and are
answered in-process, with the caller's key or the configured proxy key; both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from impasto.config import Settings
from impasto.container import Container
from tests.conftest import SettingsFactory, auth, make_key

PROXY = "/api/fal/proxy"
INITIATE = "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3"
FILE = {"content_type": "text/plain", "file_name": "a.txt"}


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(builtin_apps=True)


@pytest.fixture
def key(container: Container) -> str:
    return make_key(container, "acme")


def _to(url: str) -> dict[str, str]:
    return {"x-fal-target-url": url}


def test_a_missing_target_is_400(client: TestClient, key: str) -> None:
    answer = client.post(PROXY, json={}, headers=auth(key))
    assert answer.status_code == 400
    assert "x-fal-target-url" in answer.json()["detail"]


@pytest.mark.parametrize(
    "url", ["https://example.com/queue/impasto/debug", "https://fal.run.evil.example/x"]
)
def test_a_foreign_host_is_412(client: TestClient, key: str, url: str) -> None:
    answer = client.post(PROXY, json={}, headers={**auth(key), **_to(url)})
    assert answer.status_code == 412


def test_queue_calls_pass_through_with_the_callers_key(client: TestClient, key: str) -> None:
    headers = {**auth(key), **_to("https://queue.fal.run/impasto/debug"), "x-fal-no-retry": "1"}
    submitted = client.post(PROXY, json={"payload": 1}, headers=headers)
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "IN_QUEUE"
    # URLs in the answer are this server's own, as a direct call would get them.
    assert body["status_url"].startswith("http://testserver/queue/impasto/debug/requests/")
    assert submitted.headers.get_list("x-fal-request-id") == [body["request_id"]]
    assert "content-length" not in submitted.headers
    # The client rebuilds status URLs on fal's host; a caller may also follow ours.
    fal_status = f"https://queue.fal.run/impasto/debug/requests/{body['request_id']}/status"
    for url in (fal_status, body["status_url"]):
        status = client.get(PROXY, headers={**auth(key), **_to(url)})
        assert status.status_code == 202, status.text
        assert status.json()["request_id"] == body["request_id"]


def test_the_target_may_come_as_a_query_parameter(client: TestClient, key: str) -> None:
    answer = client.post(PROXY, params={"target_url": INITIATE}, json=FILE, headers=auth(key))
    assert answer.status_code == 200, answer.text
    assert answer.json()["upload_url"].startswith("http://testserver/files/")


def test_errors_of_the_target_are_relayed(client: TestClient, key: str) -> None:
    headers = {**auth(key), **_to("https://fal.run/impasto/debug")}
    invalid = client.post(PROXY, json={"sleep": "soon"}, headers=headers)
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "sleep"]
    anonymous = client.post(PROXY, json=FILE, headers=_to(INITIATE))
    assert anonymous.status_code == 401


class TestProxyKey:
    @pytest.fixture
    def client(self, make_settings: SettingsFactory) -> Iterator[TestClient]:
        from impasto.app import create_app
        from impasto.container import build_container

        container = build_container(make_settings())
        credential = make_key(container, "acme")
        settings = make_settings(proxy_key=SecretStr(credential))
        container.close()
        container = build_container(settings)
        with TestClient(create_app(settings, container)) as client:
            yield client

    def test_it_stands_in_for_a_missing_authorization(self, client: TestClient) -> None:
        answer = client.post(PROXY, json=FILE, headers=_to(INITIATE))
        assert answer.status_code == 200, answer.text

    def test_a_callers_own_key_wins(self, client: TestClient) -> None:
        answer = client.post(PROXY, json=FILE, headers={**auth("nope:nope"), **_to(INITIATE)})
        assert answer.status_code == 401


def test_cors_preflight(client: TestClient) -> None:
    answer = client.options(
        PROXY,
        headers={
            "origin": "http://app.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, x-fal-target-url",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "x-fal-target-url" in answer.headers["access-control-allow-headers"]
