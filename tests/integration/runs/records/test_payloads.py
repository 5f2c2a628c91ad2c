"""Deleting request payloads and flushing an app's queue on the Platform API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from impasto.config import Settings
from impasto.container import Container
from impasto.models import KeyScope, RequestRecord, StoredFile
from tests.conftest import SERVER_DEFAULT, SettingsFactory, auth, make_key
from tests.integration.runs.records_seed import add_app, add_file, add_request


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    """No worker and no apps: queued rows stay queued until the flush."""
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        assets_index_interval_seconds=SERVER_DEFAULT,
        embedders=SERVER_DEFAULT,
    )


def _record(container: Container, request_id: str) -> RequestRecord:
    with container.database.session(write=False) as session:
        record = session.get(RequestRecord, request_id)
        assert record is not None
        session.expunge(record)
        return record


def _file_exists(container: Container, file_id: str) -> bool:
    with container.database.session(write=False) as session:
        return session.get(StoredFile, file_id) is not None


def test_deletes_payloads_and_output_files_only(client: TestClient, container: Container) -> None:
    admin = auth(make_key(container, "acme", KeyScope.ADMIN))
    make_key(container, "other")
    made_id, made = add_file(container, "acme", "out.png")
    given_id, given = add_file(container, "acme", "in.png")
    foreign_id, foreign = add_file(container, "other", "x.png")
    request_id = add_request(
        container,
        "acme",
        input={"image_url": given},
        output={"images": [{"url": made}, {"url": given}, {"url": foreign}], "n": 1},
    )

    response = client.delete(f"/v1/models/requests/{request_id}/payloads", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "cdn_delete_results": [
            {"link": made, "exception": None},
            {"link": foreign, "exception": "File not found"},
        ]
    }
    assert not _file_exists(container, made_id)
    assert _file_exists(container, given_id)
    assert _file_exists(container, foreign_id)
    record = _record(container, request_id)
    assert record.payloads_deleted
    assert record.input is None
    assert record.output is None

    again = client.delete(f"/v1/models/requests/{request_id}/payloads", headers=admin)
    assert again.status_code == 200
    assert again.json() == {"cdn_delete_results": []}
    listed = client.get(
        "/v1/models/requests/by-endpoint",
        params={"endpoint_id": "acme/app", "expand": "payloads"},
        headers=admin,
    ).json()["items"][0]
    assert listed["json_input"] is None
    assert listed["json_output"] is None


def test_payload_deletion_errors(client: TestClient, container: Container) -> None:
    admin = auth(make_key(container, "acme", KeyScope.ADMIN))
    make_key(container, "other")
    running = add_request(container, "acme", status="IN_PROGRESS")
    theirs = add_request(container, "other")
    path = "/v1/models/requests/{}/payloads"

    def delete(request_id: str, headers: dict[str, str]) -> tuple[int, str]:
        response = client.delete(path.format(request_id), headers=headers)
        return response.status_code, response.json()["error"]["type"]

    assert delete(running, admin) == (400, "validation_error")
    assert delete(theirs, admin) == (404, "not_found")
    assert delete(container.ids.new(), admin) == (404, "not_found")
    assert delete("not-a-uuid", admin) == (400, "validation_error")
    api = auth(make_key(container, "acme"))
    assert delete(theirs, api) == (403, "authorization_error")
    assert not _record(container, theirs).payloads_deleted


def test_queue_size_and_flush(client: TestClient, container: Container) -> None:
    acme = auth(make_key(container, "acme"))
    make_key(container, "user")
    add_app(container)
    queued = [add_request(container, "user", status="IN_QUEUE") for _ in range(3)]
    running = add_request(container, "user", status="IN_PROGRESS")
    url = "/v1/serverless/apps/acme/app/queue"

    assert client.get(url, headers=acme).json() == {"queue_size": 3}
    response = client.delete(url, headers=acme)
    assert response.status_code == 204
    assert response.content == b""
    for request_id in queued:
        record = _record(container, request_id)
        assert record.status == "COMPLETED"
        assert record.result_status == 499
        assert record.error_type == "client_cancelled"
    assert _record(container, running).status == "IN_PROGRESS"
    assert client.get(url, headers=acme).json() == {"queue_size": 0}
    assert client.delete(url, headers=acme).status_code == 204  # nothing left: still fine


def test_queue_belongs_to_the_app_owner_or_the_operator(
    client: TestClient, container: Container
) -> None:
    stranger = auth(make_key(container, "user"))
    make_key(container, "acme")
    add_app(container)
    add_request(container, "user", status="IN_QUEUE")
    url = "/v1/serverless/apps/acme/app/queue"
    stranger_admin = auth(make_key(container, "user", KeyScope.ADMIN))
    operator = auth(make_key(container, container.settings.bootstrap_owner, KeyScope.ADMIN))
    operator_api = auth(make_key(container, container.settings.bootstrap_owner))

    for headers in (stranger, stranger_admin, operator_api):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["type"] == "not_found"
        assert client.delete(url, headers=headers).status_code == 404
    assert client.get(url, headers=operator).json() == {"queue_size": 1}
    assert client.get("/v1/serverless/apps/acme/none/queue", headers=operator).status_code == 404
    assert client.get(url).status_code == 401
    assert client.delete(url, headers=operator).status_code == 204
    assert client.get(url, headers=operator).json() == {"queue_size": 0}
