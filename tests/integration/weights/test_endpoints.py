"""The weights administration endpoints: the operator's ADMIN keys only; a pull runs in
the background with its progress readable; imports, aliases and removals; clear 4xx."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from impasto.apps.diffusion.routes import ROUTES_ENV
from impasto.container import Container
from impasto.deps import provide
from impasto.models import KeyScope
from impasto.runs.deployments.repository import DeploymentRepository
from impasto.weights.deps import WEIGHTS
from impasto.weights.manager import WeightsLayout, WeightsManager
from tests.conftest import auth, make_key
from tests.integration.weights.conftest import GATED, TINY
from tests.integration.weights.standin_hub import StandinHub


@pytest.fixture
def manager(app: FastAPI, container: Container, hub: StandinHub, tmp_path: Path) -> WeightsManager:
    """The app's manager, pointed at the stand-in Hub."""
    manager = WeightsManager(
        container.database,
        container.clock,
        WeightsLayout(tmp_path / "weights"),
        operator=container.settings.bootstrap_owner,
        hub_endpoint=hub.url,
    )
    provide(app, WEIGHTS, manager)
    return manager


@pytest.fixture
def operator(container: Container) -> dict[str, str]:
    return auth(make_key(container, container.settings.bootstrap_owner, KeyScope.ADMIN))


def _wait_for(client: TestClient, name: str, headers: dict[str, str]) -> dict[str, object]:
    for _ in range(600):
        status = client.get(f"/v1/admin/weights/pulls/{name}", headers=headers).json()
        if status["state"] in ("done", "failed"):
            return dict(status)
        time.sleep(0.05)
    raise AssertionError(f"{name} never finished")


def test_pull_follow_alias_and_remove(
    client: TestClient, manager: WeightsManager, operator: dict[str, str]
) -> None:
    started = client.post("/v1/admin/weights/pulls", json={"repo_id": TINY}, headers=operator)
    assert started.status_code == 202, started.text
    assert started.json()["name"] == TINY
    finished = _wait_for(client, TINY, operator)
    assert finished["state"] == "done", finished
    assert finished["bytes_done"] == finished["bytes_total"]
    assert finished["files_done"] == finished["files_total"] == 10

    listed = client.get("/v1/admin/weights", headers=operator).json()
    [model] = listed["models"]
    assert (model["name"], model["family"], model["aliases"]) == (TINY, "sd15", [])
    assert listed["total_size_bytes"] == model["size_bytes"]
    assert [pull["name"] for pull in listed["pulls"]] == [TINY]

    aliased = client.put(
        "/v1/admin/weights/aliases/fal-ai/fast-sdxl", json={"model": TINY}, headers=operator
    )
    assert aliased.status_code == 204, aliased.text
    catalog = client.get("/v1/models", params={"endpoint_id": "fal-ai/fast-sdxl"})
    assert [m["endpoint_id"] for m in catalog.json()["models"]] == ["fal-ai/fast-sdxl"]

    in_use = client.delete(f"/v1/admin/weights/{TINY}", headers=operator)
    assert in_use.status_code == 409
    assert "in use by fal-ai/fast-sdxl" in in_use.json()["error"]["message"]
    unaliased = client.delete("/v1/admin/weights/aliases/fal-ai/fast-sdxl", headers=operator)
    assert unaliased.status_code == 204
    assert (
        client.get("/v1/models", params={"endpoint_id": "fal-ai/fast-sdxl"}).json()["models"] == []
    )
    assert client.delete(f"/v1/admin/weights/{TINY}", headers=operator).status_code == 204
    assert client.get("/v1/admin/weights", headers=operator).json()["models"] == []


def test_a_failed_pull_says_why(
    client: TestClient, manager: WeightsManager, operator: dict[str, str]
) -> None:
    started = client.post("/v1/admin/weights/pulls", json={"repo_id": GATED}, headers=operator)
    assert started.status_code == 202
    failed = _wait_for(client, GATED, operator)
    assert failed["state"] == "failed"
    assert "gated" in str(failed["error"])
    assert client.get("/v1/admin/weights", headers=operator).json()["models"] == []


def test_import_from_the_servers_disk(
    client: TestClient, manager: WeightsManager, operator: dict[str, str], tiny_pipeline: Path
) -> None:
    imported = client.post(
        "/v1/admin/weights/imports",
        json={"path": str(tiny_pipeline), "name": "tiny", "alias": "acme/painter"},
        headers=operator,
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["aliases"] == ["acme/painter"]
    missing = client.post(
        "/v1/admin/weights/imports", json={"path": "/nowhere/at/all"}, headers=operator
    )
    assert missing.status_code == 400
    assert "does not exist" in missing.json()["error"]["message"]


def test_only_the_operators_admin_keys(
    client: TestClient, container: Container, manager: WeightsManager
) -> None:
    tenant_admin = auth(make_key(container, "acme", KeyScope.ADMIN))
    api = auth(make_key(container, container.settings.bootstrap_owner, KeyScope.API))
    assert client.get("/v1/admin/weights", headers=tenant_admin).status_code == 403
    assert client.get("/v1/admin/weights", headers=api).status_code == 403
    assert client.get("/v1/admin/weights").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"repo_id": "no-slash"}, "repo_id"),
        ({"repo_id": "a/b", "variant": "FP 16"}, "variant"),
        ({"repo_id": "a/b", "extra": 1}, "extra"),
    ],
)
def test_bad_pull_bodies_are_400(
    client: TestClient,
    manager: WeightsManager,
    operator: dict[str, str],
    body: dict[str, object],
    field: str,
) -> None:
    refused = client.post("/v1/admin/weights/pulls", json=body, headers=operator)
    assert refused.status_code == 400, refused.text
    assert field in refused.text


def test_aliases_are_checked(
    client: TestClient, manager: WeightsManager, operator: dict[str, str], tiny_pipeline: Path
) -> None:
    client.post(
        "/v1/admin/weights/imports",
        json={"path": str(tiny_pipeline), "name": "tiny"},
        headers=operator,
    )
    cases = {
        "impasto/flux": (409, "built-in"),
        "fal-ai/Flux": (400, "invalid app name"),
    }
    for endpoint_id, (code, words) in cases.items():
        answer = client.put(
            f"/v1/admin/weights/aliases/{endpoint_id}", json={"model": "tiny"}, headers=operator
        )
        assert answer.status_code == code, answer.text
        assert words in answer.json()["error"]["message"]
    unknown = client.put(
        "/v1/admin/weights/aliases/fal-ai/x", json={"model": "nope"}, headers=operator
    )
    assert unknown.status_code == 404
    wrong_task = client.put(
        "/v1/admin/weights/aliases/fal-ai/x",
        json={"model": "tiny", "task": "upscale"},
        headers=operator,
    )
    assert wrong_task.status_code == 400


def test_an_alias_can_pin_its_device(
    client: TestClient,
    container: Container,
    manager: WeightsManager,
    operator: dict[str, str],
    tiny_pipeline: Path,
) -> None:
    client.post(
        "/v1/admin/weights/imports",
        json={"path": str(tiny_pipeline), "name": "tiny"},
        headers=operator,
    )
    pinned = client.put(
        "/v1/admin/weights/aliases/fal-ai/x",
        json={"model": "tiny", "device": "cpu"},
        headers=operator,
    )
    assert pinned.status_code == 204, pinned.text
    with container.database.session(write=False) as session:
        deployed = DeploymentRepository(session).get("fal-ai/x")
        assert deployed is not None
        routes = json.loads(deployed.env[ROUTES_ENV])
    assert routes["/"]["device"] == "cpu"
    assert routes["/"]["path"] == str(tiny_pipeline)
    refused = client.put(
        "/v1/admin/weights/aliases/fal-ai/x",
        json={"model": "tiny", "device": "tpu"},
        headers=operator,
    )
    assert refused.status_code == 400
    assert "device" in refused.text
