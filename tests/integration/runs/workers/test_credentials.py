"""Who may serve the queue: the worker API takes the operator's WORKER keys only, fences
each key's leases from every other key's, serves only the apps a key is bound to and has
a rate limit of its own; WORKER keys in turn are refused everywhere else. Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from impasto.app import create_app
from impasto.config import Settings
from impasto.container import Container, build_container
from impasto.kit.clock import FrozenClock
from impasto.models import KeyScope, RequestRecord
from tests.conftest import SettingsFactory, auth, make_key, make_worker_key
from tests.integration.runs.workers.test_api import WORKER, claim, log

SECRET_INPUT = "alice-secret-input-5f1c"
FORBID = {"X-Fal-Object-Lifecycle": '{"initial_acl": {"default": "forbid"}}'}


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        builtin_apps=True,
        apps=["alice/serial=tests.integration.runs.queue_apps:SerialApp"],
        embedded_worker=False,  # the tests are the workers
        queue_reap_interval_seconds=0,
    )


Route = tuple[str, str, dict[str, str] | None, Any]


def every_route(request_id: str, url: str, worker_id: str = "w1") -> list[Route]:
    """One call of each worker API route, on ``request_id`` where a route names one."""
    outcome = {
        "worker_id": worker_id,
        "attempt": 1,
        "result": {"status_code": 200, "body": {"forged": True}},
    }
    held = {"worker_id": worker_id, "attempt": "1"}
    return [
        ("GET", "/info", None, None),
        ("GET", "/apps", {"worker_id": worker_id}, None),
        (
            "POST",
            "/claim",
            None,
            {"worker_id": worker_id, "apps": [{"app_id": "impasto/debug", "limit": 5}]},
        ),
        ("POST", "/heartbeat", None, {"worker_id": worker_id, "request_ids": [request_id]}),
        (
            "POST",
            f"/requests/{request_id}/events",
            None,
            {"worker_id": worker_id, "attempt": 1, "events": [{"kind": "log", "data": log("x")}]},
        ),
        ("POST", f"/requests/{request_id}/finish", None, outcome),
        ("POST", f"/requests/{request_id}/release", None, outcome),
        ("PUT", f"/requests/{request_id}/files", {**held, "file_name": "x.txt"}, b"forged"),
        (
            "POST",
            "/loaded",
            None,
            {"worker_id": worker_id, "app_id": "impasto/debug", "loaded": True},
        ),
        ("GET", f"/requests/{request_id}/input", {**held, "url": url}, None),
    ]


def call(client: TestClient, route: Route, headers: dict[str, str]) -> Any:
    method, path, params, body = route
    if isinstance(body, bytes):
        return client.request(
            method, f"{WORKER}{path}", params=params, content=body, headers=headers
        )
    return client.request(method, f"{WORKER}{path}", params=params, json=body, headers=headers)


def upload(client: TestClient, headers: dict[str, str], data: bytes, **extra: str) -> str:
    answer = client.post("/files/upload", content=data, headers={**headers, **extra})
    assert answer.status_code == 200, answer.text
    url: str = answer.json()["access_url"]
    return url


@pytest.mark.parametrize("scope", [KeyScope.ADMIN, KeyScope.API])
def test_tenant_keys_are_refused_on_every_worker_route(
    client: TestClient, container: Container, scope: KeyScope
) -> None:
    alice = auth(make_key(container, "alice"))
    bob = auth(make_key(container, "bob", scope))
    private = upload(client, alice, SECRET_INPUT.encode(), **FORBID)
    submitted = client.post(
        "/queue/impasto/debug",
        json={"payload": {"text": SECRET_INPUT, "file": private}},
        headers=alice,
    ).json()
    rid = submitted["request_id"]

    for route in every_route(rid, private):
        answer = call(client, route, bob)
        assert answer.status_code == 403, (route, answer.text)
        assert "WORKER key" in answer.json()["detail"]
        assert SECRET_INPUT not in answer.text
        assert call(client, route, {}).status_code == 401, route

    status = client.get(f"{submitted['status_url']}?logs=1", headers=alice).json()
    assert status["status"] == "IN_QUEUE"
    # Nothing was claimed, reported or answered: a real worker gets the first attempt.
    [claimed] = claim(client, auth(make_worker_key(container)), "w1")
    assert (claimed["request_id"], claimed["attempt"]) == (rid, 1)
    status = client.get(f"{submitted['status_url']}?logs=1", headers=alice).json()
    assert status["logs"] == []


def test_a_worker_key_cannot_touch_leases_held_under_another_key(
    client: TestClient, container: Container
) -> None:
    alice = auth(make_key(container, "alice"))
    first = make_worker_key(container)
    one, two = auth(first), auth(make_worker_key(container))
    private = upload(client, alice, b"alice's", **FORBID)
    submitted = client.post("/queue/impasto/debug", json={"payload": 1}, headers=alice).json()
    rid = submitted["request_id"]
    [held] = claim(client, one, "w1")
    with container.database.session(write=False) as session:
        lease = session.scalar(
            select(RequestRecord.lease_owner).where(RequestRecord.request_id == rid)
        )
    assert lease == f"{first.split(':')[0]}/w1"

    # The same worker id under another key is another worker altogether.
    assert claim(client, two, "w1") == []
    routes = {route[1].rsplit("/", 1)[-1]: route for route in every_route(rid, private)}
    beat = call(client, routes["heartbeat"], two).json()
    assert beat == {"cancel": [], "lost": [rid]}
    for name in ("events", "finish", "release"):
        assert call(client, routes[name], two).json() == {"accepted": False}, name
    for name in ("files", "input"):
        answer = call(client, routes[name], two)
        assert answer.status_code == 409, (name, answer.text)
        assert "does not hold" in answer.json()["detail"]

    # The holder still holds it, and its answer is the one alice reads.
    assert call(client, routes["heartbeat"], one).json() == {"cancel": [], "lost": []}
    result = {"status_code": 200, "body": {"from": "key one"}}
    finish = {"worker_id": "w1", "attempt": held["attempt"], "result": result}
    answer = client.post(f"{WORKER}/requests/{rid}/finish", json=finish, headers=one)
    assert answer.json() == {"accepted": True}
    assert client.get(submitted["response_url"], headers=alice).json() == {"from": "key one"}


def test_a_key_bound_to_an_app_lists_and_claims_that_app_only(
    client: TestClient, container: Container
) -> None:
    alice = auth(make_key(container, "alice"))
    bound = auth(make_worker_key(container, ["impasto/debug"]))
    everything = auth(make_worker_key(container))
    serial = client.post("/queue/alice/serial", json={}, headers=alice).json()
    debug = client.post("/queue/impasto/debug", json={}, headers=alice).json()

    listed = client.get(f"{WORKER}/apps", params={"worker_id": "w1"}, headers=bound).json()
    assert [app["app_id"] for app in listed["apps"]] == ["impasto/debug"]
    all_apps = client.get(f"{WORKER}/apps", params={"worker_id": "w1"}, headers=everything)
    assert {"alice/serial", "impasto/debug"} <= {app["app_id"] for app in all_apps.json()["apps"]}

    wants = [{"app_id": "impasto/debug", "limit": 5}, {"app_id": "alice/serial", "limit": 5}]
    refused = client.post(f"{WORKER}/claim", json={"worker_id": "w1", "apps": wants}, headers=bound)
    assert refused.status_code == 403
    assert "alice/serial" in refused.json()["detail"]
    # Refused as a whole: not even the bound app's request was claimed on the way.
    assert client.get(debug["status_url"], headers=alice).json()["status"] == "IN_QUEUE"
    loaded = {"worker_id": "w1", "app_id": "alice/serial", "loaded": True}
    assert client.post(f"{WORKER}/loaded", json=loaded, headers=bound).status_code == 403

    [claimed] = claim(client, bound, "w1", "impasto/debug")
    assert claimed["request_id"] == debug["request_id"]
    assert client.get(serial["status_url"], headers=alice).json()["status"] == "IN_QUEUE"
    [other] = claim(client, everything, "w2", "alice/serial")
    assert other["request_id"] == serial["request_id"]


def test_inputs_are_read_as_the_requests_owner(client: TestClient, container: Container) -> None:
    alice = auth(make_key(container, "alice"))
    bob = auth(make_key(container, "bob"))
    worker = auth(make_worker_key(container))
    alice_private = upload(client, alice, b"alice private", **FORBID)
    bob_private = upload(client, bob, b"bob private", **FORBID)
    bob_public = upload(client, bob, b"bob public")
    submitted = client.post("/queue/impasto/debug", json={"payload": 1}, headers=alice).json()
    [held] = claim(client, worker, "w1")
    rid = held["request_id"]

    def read(url: str, attempt: int = 1, headers: dict[str, str] = worker) -> Any:
        params = {"worker_id": "w1", "attempt": str(attempt), "url": url}
        return client.get(f"{WORKER}/requests/{rid}/input", params=params, headers=headers)

    mine = read(alice_private)
    assert mine.status_code == 200, mine.text
    assert mine.content == b"alice private"
    assert read(bob_public).content == b"bob public"  # anyone may read it, alice too
    for url in (bob_private, "https://elsewhere.example/files/b/x/y.txt", "not a url"):
        answer = read(url)
        assert answer.status_code == 404, (url, answer.text)
        assert "private" not in answer.text
    assert read(alice_private, attempt=2).status_code == 409  # not the attempt it holds
    assert client.get(submitted["status_url"], headers=alice).json()["status"] == "IN_PROGRESS"


def test_worker_keys_are_refused_on_tenant_routes(client: TestClient, container: Container) -> None:
    operator = auth(make_key(container, container.settings.bootstrap_owner, KeyScope.ADMIN))
    credential = make_worker_key(container)
    worker = auth(credential)
    for method, path, body in [
        ("GET", "/v1/keys", None),
        ("POST", "/v1/keys", {"alias": "minted by a worker"}),
        ("GET", "/v1/models", None),
        ("POST", "/queue/impasto/debug", {"payload": 1}),
        ("POST", "/run/impasto/debug", {"payload": 1}),
        ("POST", "/rest/tokens/", {"allowed_apps": ["debug"]}),
        ("GET", "/v1/assets", None),
    ]:
        answer = client.request(method, path, json=body, headers=worker)
        assert answer.status_code == 403, (path, answer.text)
    upload = client.post("/files/upload", content=b"x", headers=worker)
    assert upload.status_code == 403
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/ws/impasto/debug", headers=worker) as ws,
    ):
        ws.receive_text()
    assert refused.value.code == 1008

    # Not listed nor revocable through the Platform API, even by the operator's ADMIN key.
    assert client.get("/v1/keys", headers=operator).json()["keys"] == []
    key_id = credential.split(":")[0]
    deleted = client.delete(f"/v1/keys/{key_id}", headers=operator)
    assert deleted.status_code == 403
    assert "workers token revoke" in deleted.json()["error"]["message"]
    assert client.get(f"{WORKER}/info", headers=worker).status_code == 200


@pytest.fixture
def limited(
    make_settings: SettingsFactory,
) -> Iterator[tuple[TestClient, Container, FrozenClock]]:
    """Tenants get one call a second; workers two at once, then one a second."""
    clock = FrozenClock()
    settings = make_settings(
        rate_limit_per_second=1,
        rate_limit_burst=1,
        worker_rate_limit_per_second=1,
        worker_rate_limit_burst=2,
    )
    container = build_container(settings, clock=clock)
    with TestClient(create_app(settings, container)) as client:
        yield client, container, clock
    container.close()


def test_workers_spend_their_own_bucket_not_the_tenants(
    limited: tuple[TestClient, Container, FrozenClock],
) -> None:
    client, container, clock = limited
    worker = auth(make_worker_key(container))
    tenant = auth(make_key(container, "acme", KeyScope.ADMIN))

    # The worker's burst is 2, above the tenant's 1: it is not the tenant bucket that counts.
    assert [client.get(f"{WORKER}/info", headers=worker).status_code for _ in range(2)] == [200] * 2
    over = client.get(f"{WORKER}/info", headers=worker)
    assert over.status_code == 429
    assert over.headers["Retry-After"] == "1"
    assert "detail" in over.json()
    # The tenants' bucket is untouched by all that, and limits tenants on its own.
    assert client.get("/v1/keys", headers=tenant).status_code == 200
    assert client.get("/v1/keys", headers=tenant).status_code == 429
    clock.advance(1.0)
    assert client.get(f"{WORKER}/info", headers=worker).status_code == 200


def test_a_worker_key_is_not_held_to_the_tenant_limit(make_settings: SettingsFactory) -> None:
    settings = make_settings(rate_limit_per_second=1, rate_limit_burst=1)
    container = build_container(settings, clock=FrozenClock())
    try:
        with TestClient(create_app(settings, container)) as client:
            worker = auth(make_worker_key(container))
            beat = {"worker_id": "w1", "request_ids": []}
            answers = [
                client.post(f"{WORKER}/heartbeat", json=beat, headers=worker).status_code
                for _ in range(50)
            ]
    finally:
        container.close()
    assert answers == [200] * 50
