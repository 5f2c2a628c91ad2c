"""Workflows over the Platform API, with a few apps deployed for their nodes to call:
the public ``impasto/debug`` and ``impasto/image-tools``, and bob's private ``bob/secret``."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from impasto.container import Container
from impasto.runs.deployments.service import DeploymentService
from tests.conftest import auth, make_key

DEBUG = "impasto.apps.debug:DebugApp"
IMAGE_TOOLS = "impasto.apps.image_tools:ImageToolsApp"


@pytest.fixture(autouse=True)
def deployed(container: Container) -> None:
    with container.database.session(write=True) as session:
        apps = DeploymentService(
            session, container.clock, operator=container.settings.bootstrap_owner
        )
        apps.add(DEBUG, owner="impasto", public=True)  # the operator's shared built-ins
        apps.add(IMAGE_TOOLS, owner="impasto", public=True)
        apps.add(DEBUG, owner="bob", name="secret")  # private: deployed apps are


def contents(
    *,
    app: str = "impasto/debug",
    inputs: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A one-node definition: ``$input.prompt`` into ``app``, its output out."""
    body: dict[str, Any] = {
        "name": "echo",
        "version": "1.0",
        "nodes": {
            "echo": {
                "id": "echo",
                "type": "run",
                "app": app,
                "depends": [],
                "input": {"payload": "$input.prompt"},
                "metadata": {"position": {"x": 10, "y": 20}},
            },
            "show": {"id": "show", "type": "output", "depends": ["echo"], "fields": {}},
        },
        "output": {"echoed": "$echo.payload"},
        "schema": {
            "input": inputs or {"prompt": {"type": "string", "label": "Prompt"}},
            "output": {"echoed": {"type": "string"}},
        },
    }
    if metadata is not None:
        body["metadata"] = metadata
    return body


def two_nodes(first: str, second: str) -> dict[str, Any]:
    """``first`` then ``second``, fed the first's output."""
    body = contents(app=first)
    body["nodes"]["second"] = {
        "id": "second",
        "type": "run",
        "app": second,
        "depends": ["echo"],
        "input": {"image": "$echo.payload.url", "width": 64, "height": 64},
    }
    return copy.deepcopy(body)


@dataclass
class User:
    """One owner's view of the workflows API."""

    client: TestClient
    name: str
    headers: dict[str, str]

    def create(
        self, name: str, title: str = "A workflow", body: dict[str, Any] | None = None, **extra: Any
    ) -> httpx.Response:
        payload = {"name": name, "title": title, "contents": body or contents(), **extra}
        return self.client.post("/v1/workflows", json=payload, headers=self.headers)

    def created(self, name: str, **options: Any) -> dict[str, Any]:
        response = self.create(name, **options)
        assert response.status_code == 201, response.text
        workflow: dict[str, Any] = response.json()["workflow"]
        return workflow

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.headers)

    def list(self, **params: Any) -> dict[str, Any]:
        response = self.get("/v1/workflows", **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def patch(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.patch(path, json=body, headers=self.headers)

    def put(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.put(path, json=body, headers=self.headers)

    def delete(self, path: str) -> httpx.Response:
        return self.client.delete(path, headers=self.headers)

    def model(self, endpoint_id: str, **params: str) -> list[dict[str, Any]]:
        """What ``GET /v1/models`` shows this user of one endpoint."""
        response = self.get("/v1/models", endpoint_id=endpoint_id, **params)
        assert response.status_code == 200, response.text
        models: list[dict[str, Any]] = response.json()["models"]
        return models


@pytest.fixture
def acme(client: TestClient, container: Container) -> User:
    return User(client, "acme", auth(make_key(container, "acme")))


@pytest.fixture
def bob(client: TestClient, container: Container) -> User:
    return User(client, "bob", auth(make_key(container, "bob")))
