"""The worker API (``/worker/v1``) driven by hand, as a remote worker would, on both
databases: leases are checked per worker and attempt, files are stored for the owner.
Who may call it at all (WORKER keys only, fenced per key, bound to apps) is in
test_worker_credentials.py."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from impasto.config import Settings
from impasto.container import Container
from tests.conftest import SERVER_DEFAULT, SettingsFactory, auth, make_key, make_worker_key

WORKER = "/worker/v1"


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        builtin_apps=True,
        embedded_worker=False,  # this test is the worker
        queue_reap_interval_seconds=0,
        assets_index_interval_seconds=SERVER_DEFAULT,
        embedders=SERVER_DEFAULT,
    )


def claim(
    client: TestClient, worker_key: dict[str, str], worker: str, app_id: str = "impasto/debug"
) -> list[dict[str, Any]]:
    body = {"worker_id": worker, "apps": [{"app_id": app_id, "limit": 5}]}
    answer = client.post(f"{WORKER}/claim", json=body, headers=worker_key)
    assert answer.status_code == 200, answer.text
    claims: list[dict[str, Any]] = answer.json()["claims"]
    return claims


def test_a_worker_runs_a_request_through_the_worker_api(
    client: TestClient, container: Container
) -> None:
    worker = auth(make_worker_key(container))
    user = auth(make_key(container, "alice"))
    info = client.get(f"{WORKER}/info", headers=worker).json()
    assert info["lease_seconds"] == container.settings.queue_lease_seconds
    apps = client.get(f"{WORKER}/apps", params={"worker_id": "w1"}, headers=worker).json()
    assert "impasto/debug" in [app["app_id"] for app in apps["apps"]]

    submitted = client.post("/queue/impasto/debug", json={"payload": 1}, headers=user).json()
    assert claim(client, worker, "w1") == [
        {
            **claim_fields(submitted["request_id"]),
            "payload": {"payload": 1},
            "base_url": "http://testserver",
        }
    ]
    assert claim(client, worker, "w2") == []  # held by w1

    rid = submitted["request_id"]
    beat = client.post(
        f"{WORKER}/heartbeat",
        json={"worker_id": "w1", "request_ids": [rid, "gone"]},
        headers=worker,
    ).json()
    assert beat == {"cancel": [], "lost": ["gone"]}
    events = {"worker_id": "w1", "attempt": 1, "events": [{"kind": "log", "data": log("hi")}]}
    reported = client.post(f"{WORKER}/requests/{rid}/events", json=events, headers=worker)
    assert reported.json() == {"accepted": True}
    stolen = client.post(
        f"{WORKER}/requests/{rid}/events", json={**events, "worker_id": "w2"}, headers=worker
    )
    assert stolen.json() == {"accepted": False}

    stored = client.put(
        f"{WORKER}/requests/{rid}/files",
        params={"worker_id": "w1", "attempt": "1", "file_name": "out.txt"},
        content=b"output bytes",
        headers={**worker, "content-type": "text/plain"},
    )
    assert stored.status_code == 200, stored.text
    url = stored.json()["url"]
    assert url.startswith("http://testserver/files/b/")
    assert client.get(url, headers=user).content == b"output bytes"  # alice's file

    result = {"status_code": 200, "body": {"file": url}, "inference_time": 0.5}
    finish = {"worker_id": "w1", "attempt": 1, "result": result}
    wrong_attempt = client.post(
        f"{WORKER}/requests/{rid}/finish", json={**finish, "attempt": 2}, headers=worker
    )
    assert wrong_attempt.json() == {"accepted": False}
    assert client.post(f"{WORKER}/requests/{rid}/finish", json=finish, headers=worker).json() == {
        "accepted": True
    }
    assert client.get(submitted["response_url"], headers=user).json() == {"file": url}
    status = client.get(f"{submitted['status_url']}?logs=1", headers=user).json()
    assert [line["message"] for line in status["logs"]] == ["hi"]
    late = client.post(f"{WORKER}/requests/{rid}/finish", json=finish, headers=worker)
    assert late.json() == {"accepted": False}  # exactly one result


def test_released_requests_run_again_with_the_next_attempt(
    client: TestClient, container: Container
) -> None:
    worker = auth(make_worker_key(container))
    user = auth(make_key(container, "alice"))
    client.post("/queue/impasto/debug", json={}, headers=user)
    [first] = claim(client, worker, "w1")
    failure = {"status_code": 503, "body": {"detail": "Runner disconnected"}}
    released = client.post(
        f"{WORKER}/requests/{first['request_id']}/release",
        json={"worker_id": "w1", "attempt": 1, "result": failure},
        headers=worker,
    )
    assert released.json() == {"accepted": True}
    [second] = claim(client, worker, "w2")
    assert (second["request_id"], second["attempt"]) == (first["request_id"], 2)
    loaded = {"worker_id": "w2", "app_id": "impasto/debug", "loaded": True}
    assert client.post(f"{WORKER}/loaded", json=loaded, headers=worker).status_code == 200
    unknown = client.post(
        f"{WORKER}/loaded", json={**loaded, "app_id": "nobody/none"}, headers=worker
    )
    assert unknown.status_code == 404
    assert "detail" in unknown.json()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/claim", {"worker_id": "w1", "apps": [{"app_id": "no-slash", "limit": 1}]}),
        ("/claim", {"worker_id": "w1", "apps": [], "wait": 3600}),
        ("/heartbeat", {"worker_id": "", "request_ids": []}),
        ("/requests/r1/events", {"worker_id": "w1", "attempt": 1, "events": [{"kind": "x"}]}),
        ("/requests/r1/finish", {"worker_id": "w1", "attempt": 1, "result": {"status_code": 7}}),
        ("/requests/bad%20id/finish", {"worker_id": "w1", "attempt": 0, "result": {}}),
    ],
)
def test_bad_input_is_a_422_in_the_run_format(
    client: TestClient, container: Container, path: str, body: dict[str, Any]
) -> None:
    worker = auth(make_worker_key(container))
    answer = client.post(f"{WORKER}{path}", json=body, headers=worker)
    assert answer.status_code == 422
    assert isinstance(answer.json()["detail"], list)


def claim_fields(request_id: str) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "app_id": "impasto/debug",
        "endpoint_id": "impasto/debug",
        "path": "/",
        "attempt": 1,
        "headers": {},
        "runner_hint": None,
        "owner": "alice",
    }


def log(message: str) -> dict[str, Any]:
    return {"message": message, "level": "INFO", "source": "USER", "timestamp": "", "labels": {}}
