"""One error contract: Platform envelope on /v1, fal's detail + X-Fal-Error-Type elsewhere."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from impasto.container import Container
from impasto.kit.errors import NotFound
from tests.conftest import auth, make_key

UUID_LENGTH = 36


class Prompt(BaseModel):
    prompt: str
    steps: int = 4


@pytest.fixture
def run_client(app: FastAPI) -> Iterator[TestClient]:
    """The app plus throwaway routes on the run surfaces, to exercise their error format."""

    @app.post("/probe/run/test-owner/echo")
    def echo(body: Prompt) -> Prompt:
        return body

    @app.get("/probe/queue/test-owner/echo/requests/{request_id}")
    def missing(request_id: str) -> None:
        raise NotFound(f"Request {request_id} not found")

    @app.get("/probe/run/test-owner/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    @app.get("/v1/boom")
    def v1_boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app) as client:
        yield client


def test_every_response_has_a_request_id(run_client: TestClient) -> None:
    ids = {
        run_client.get(path).headers["x-fal-request-id"]
        for path in ("/health", "/v1/meta", "/nope", "/v1/keys", "/probe/run/test-owner/boom")
    }
    assert len(ids) == 5
    assert all(len(value) == UUID_LENGTH for value in ids)


def test_unknown_routes_are_404_in_each_surface_format(
    run_client: TestClient, container: Container
) -> None:
    key = auth(make_key(container, "acme"))
    platform = run_client.get("/v1/no/such/thing", headers=key)
    assert platform.status_code == 404
    assert platform.json()["error"]["type"] == "not_found"
    assert platform.json()["error"]["request_id"] == platform.headers["x-fal-request-id"]

    for path in ("/probe/a/b/c/d/e/f", "/nothing-here"):
        response = run_client.get(path)
        assert response.status_code == 404
        assert response.headers["X-Fal-Error-Type"] == "not_found"
        assert isinstance(response.json()["detail"], str)


def test_method_not_allowed_keeps_the_format(run_client: TestClient) -> None:
    response = run_client.put("/v1/meta")
    assert response.status_code == 405
    assert "error" in response.json()
    assert response.headers["Allow"] == "GET"


def test_allow_lists_the_methods_of_every_route_at_the_path(run_client: TestClient) -> None:
    # GET and POST /v1/keys are two routes; DELETE lives at /v1/keys/{key_id}.
    assert run_client.put("/v1/keys").headers["Allow"] == "GET, POST"
    response = run_client.post("/v1/keys/some-id")
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE"


def test_unknown_platform_paths_without_a_key_are_401_not_404(run_client: TestClient) -> None:
    for path in ("/v1/no/such/thing", "/v1/models/nothing-here"):
        response = run_client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authorization_error"


def test_run_surface_validation_is_fals_422_list(run_client: TestClient) -> None:
    response = run_client.post("/probe/run/test-owner/echo", json={"steps": "many"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert {tuple(item["loc"]) for item in detail} == {("body", "prompt"), ("body", "steps")}
    assert all({"loc", "msg", "type"} <= item.keys() for item in detail)
    assert response.headers["X-Fal-Error-Type"] == "bad_request"

    headers = {"Content-Type": "application/json"}
    broken = run_client.post("/probe/run/test-owner/echo", content=b"{not json", headers=headers)
    assert broken.status_code == 422
    assert broken.json()["detail"][0]["type"] == "json_invalid"

    undecodable = run_client.post("/probe/run/test-owner/echo", content=b"\xff{", headers=headers)
    assert undecodable.status_code == 400
    assert undecodable.headers["X-Fal-Error-Type"] == "bad_request"


def test_app_errors_render_detail_and_error_type(run_client: TestClient) -> None:
    response = run_client.get("/probe/queue/test-owner/echo/requests/abc")
    assert response.status_code == 404
    assert response.json() == {"detail": "Request abc not found", "error_type": "not_found"}
    assert response.headers["X-Fal-Error-Type"] == "not_found"


def test_unhandled_errors_are_500_in_format_with_request_id(run_client: TestClient) -> None:
    run = run_client.get("/probe/run/test-owner/boom")
    assert run.status_code == 500
    assert run.json() == {"detail": "Internal Server Error", "error_type": "internal_error"}
    assert run.headers["x-fal-request-id"]
    assert "kaboom" not in run.text

    platform = run_client.get("/v1/boom")
    assert platform.status_code == 500
    assert platform.json()["error"]["type"] == "server_error"
    assert platform.headers["x-fal-request-id"] == platform.json()["error"]["request_id"]
