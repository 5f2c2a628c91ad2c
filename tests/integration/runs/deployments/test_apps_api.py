"""``/v1/apps``: deploys of app code are checked before anything is stored, and each owner
sees and removes only their own apps."""

from __future__ import annotations

import base64
import io
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from impasto.app import create_app
from impasto.config import Settings
from impasto.container import Container, build_container
from impasto.models import AppCode, AppRevision, KeyScope
from impasto.sdk.introspect import describe
from tests.conftest import SettingsFactory, auth, make_key
from tests.e2e.sample_apps import ShoutApp

SOURCE = "from tests.e2e.sample_apps import ShoutApp as Shout\n"


def zipped(files: dict[str, str]) -> str:
    """A zip with fixed timestamps: the same files give the same bytes (and hash)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), text)
    return base64.b64encode(buffer.getvalue()).decode()


def body(**changes: Any) -> dict[str, Any]:
    given: dict[str, Any] = {
        "entry": "shout:Shout",
        "manifest": describe(ShoutApp).to_json(),
        "code": zipped({"shout.py": SOURCE}),
        "name": "loud",
    }
    given.update(changes)
    return given


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    """Owners other than the operator may deploy here (IMPASTO_ALLOW_TENANT_DEPLOYS)."""
    return make_settings(allow_tenant_deploys=True)


@pytest.fixture
def admin(container: Container) -> dict[str, str]:
    return auth(make_key(container, "alice", KeyScope.ADMIN))


def counts(container: Container) -> tuple[int, int]:
    with container.database.session(write=False) as session:
        code = session.scalar(select(func.count()).select_from(AppCode))
        revisions = session.scalar(select(func.count()).select_from(AppRevision))
    return int(code or 0), int(revisions or 0)


def test_deploy_list_get_and_delete(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    first = client.post("/v1/apps", json=body(), headers=admin)
    assert first.status_code == 201, first.text
    assert first.json()["app"]["app_id"] == "alice/loud"
    assert first.json()["app"]["endpoints"] == ["alice/loud"]
    again = client.post("/v1/apps", json=body(), headers=admin)
    assert again.status_code == 201
    assert counts(container) == (1, 2)  # the same code is stored once

    listed = client.get("/v1/apps", headers=admin).json()["apps"]
    assert [app["app_id"] for app in listed] == ["alice/loud"]
    detail = client.get("/v1/apps/alice/loud", headers=admin).json()
    assert detail["revision_id"] == again.json()["revision"]["revision_id"]
    assert [r["revision_id"] for r in detail["revisions"]] == [
        again.json()["revision"]["revision_id"],
        first.json()["revision"]["revision_id"],
    ]
    model = client.get("/v1/models", params={"endpoint_id": "alice/loud"}, headers=admin)
    assert [item["endpoint_id"] for item in model.json()["models"]] == ["alice/loud"]

    other = auth(make_key(container, "bob", KeyScope.ADMIN))
    assert client.get("/v1/apps/alice/loud", headers=other).status_code == 404
    assert client.delete("/v1/apps/alice/loud", headers=other).status_code == 404
    assert client.get("/v1/apps", headers=other).json() == {"apps": []}

    assert client.delete("/v1/apps/alice/loud", headers=admin).status_code == 204
    assert counts(container) == (0, 0)
    assert client.get("/v1/apps/alice/loud", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"code": "not base64!"}, 400, "base64"),
        ({"code": base64.b64encode(b"not a zip").decode()}, 400, "invalid code archive"),
        ({"code": zipped({"../shout.py": SOURCE})}, 400, "unsafe path"),
        ({"code": zipped({"/abs/shout.py": SOURCE})}, 400, "unsafe path"),
        ({"code": zipped({"other.py": SOURCE})}, 400, "no module for entry"),
        ({"entry": "shout"}, 400, "must look like"),
        ({"name": "Not A Name"}, 400, "invalid app name"),
        ({"manifest": {"name": "x"}}, 400, "invalid app manifest"),
        ({"manifest": {"name": "x", "endpoints": []}}, 400, "1 to 64 endpoints"),
        ({"manifest": {**describe(ShoutApp).to_json(), "requirements": ["=bad="]}}, 400, "req"),
        (
            {"manifest": {**describe(ShoutApp).to_json(), "settings": {"max_concurrency": 0}}},
            400,
            "max",
        ),
        ({"unknown": 1}, 400, "unknown"),
    ],
)
def test_bad_deploys_are_refused_and_store_nothing(
    client: TestClient,
    container: Container,
    admin: dict[str, str],
    changes: dict[str, Any],
    status: int,
    words: str,
) -> None:
    answer = client.post("/v1/apps", json=body(**changes), headers=admin)
    assert answer.status_code == status, answer.text
    assert words in answer.text.lower() or words in answer.text
    assert counts(container) == (0, 0)


def test_bad_schema_in_manifest_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    manifest = describe(ShoutApp).to_json()
    manifest["endpoints"][0]["input_schema"] = {"type": "no-such-type"}
    answer = client.post("/v1/apps", json=body(manifest=manifest), headers=admin)
    assert answer.status_code == 400
    assert "not a JSON Schema" in answer.json()["error"]["message"]


def test_api_keys_may_not_deploy(client: TestClient, container: Container) -> None:
    api = auth(make_key(container, "alice", KeyScope.API))
    assert client.post("/v1/apps", json=body(), headers=api).status_code == 403
    assert client.get("/v1/apps", headers=api).status_code == 200


def test_only_the_operator_deploys_unless_tenants_may(make_settings: SettingsFactory) -> None:
    settings = make_settings()  # the default: IMPASTO_ALLOW_TENANT_DEPLOYS=false
    container = build_container(settings)
    try:
        client = TestClient(create_app(settings, container))
        tenant = auth(make_key(container, "alice", KeyScope.ADMIN))
        refused = client.post("/v1/apps", json=body(), headers=tenant)
        assert refused.status_code == 403
        assert "IMPASTO_ALLOW_TENANT_DEPLOYS" in refused.text
        operator = auth(make_key(container, settings.bootstrap_owner, KeyScope.ADMIN))
        deployed = client.post("/v1/apps", json=body(), headers=operator)
        assert deployed.status_code == 201, deployed.text
        assert counts(container) == (1, 1)
    finally:
        container.close()
