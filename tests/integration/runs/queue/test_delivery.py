"""Webhooks end to end, the synchronous /run surface and its SSE stream, private apps."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from impasto.container import Container
from impasto.models import WebhookDelivery
from impasto.runs.deployments.service import DeploymentService
from impasto.webhooks.verify import verify_webhook
from tests.integration.runs.conftest import WAIT_SECONDS, Caller, Receiver

DEBUG = "impasto/debug"


def _deliveries(container: Container, request_id: str) -> int:
    with container.database.session(write=False) as session:
        stmt = select(func.count()).where(WebhookDelivery.request_id == request_id)
        return int(session.scalar(stmt) or 0)


def test_webhook_is_signed_and_sent_once_after_retries(
    acme: Caller, receiver: Receiver, container: Container
) -> None:
    submitted = acme.queued(
        DEBUG, {"crash": 1, "payload": {"n": 1}}, params={"fal_webhook": receiver.url}
    )
    assert submitted["gateway_request_id"] == submitted["request_id"]
    assert acme.result(submitted).json() == {"payload": {"n": 1}, "attempt": 2}
    assert receiver.arrived.wait(WAIT_SECONDS)
    (hook,) = receiver.requests
    body = json.loads(hook.body)
    assert body == {
        "request_id": submitted["request_id"],
        "gateway_request_id": submitted["request_id"],
        "status": "OK",
        "payload": {"payload": {"n": 1}, "attempt": 2},
    }
    jwks = acme.client.get("/.well-known/jwks.json").json()
    verify_webhook(hook.body, hook.headers, jwks)
    assert hook.headers["X-Fal-Webhook-Request-Id"] == submitted["request_id"]
    assert _deliveries(container, submitted["request_id"]) == 1


def test_webhook_of_a_failure_says_error(acme: Caller, receiver: Receiver) -> None:
    submitted = acme.queued(DEBUG, {"fail": True}, params={"fal_webhook": receiver.url})
    assert receiver.arrived.wait(WAIT_SECONDS)
    body = json.loads(receiver.requests[0].body)
    assert body["request_id"] == submitted["request_id"]
    assert body["status"] == "ERROR"
    assert body["error"] == "Invalid status code: 500"
    assert body["payload"] == {"detail": "Internal Server Error"}


def test_webhook_urls_are_checked_at_submit(acme: Caller) -> None:
    for url in ("ftp://127.0.0.1/x", "not a url", "http://169.254.169.254/latest"):
        response = acme.submit(DEBUG, {}, params={"fal_webhook": url})
        assert response.status_code == 400, (url, response.text)


def test_sync_run_answers_the_apps_own_response(acme: Caller) -> None:
    client = acme.client
    done = client.post(f"/run/{DEBUG}", json={"payload": [1, 2]}, headers=acme.headers)
    assert done.status_code == 200
    assert done.json() == {"payload": [1, 2], "attempt": 1}
    assert done.headers["x-fal-request-id"]
    failed = client.post(f"/run/{DEBUG}", json={"fail": True}, headers=acme.headers)
    assert failed.status_code == 500
    assert failed.json() == {"detail": "Internal Server Error"}
    bad = client.post(f"/run/{DEBUG}", json={"sleep": "x"}, headers=acme.headers)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "sleep"]
    assert client.post("/run/impasto/nope", json={}, headers=acme.headers).status_code == 404
    assert client.post(f"/run/{DEBUG}", json={}).status_code == 401


def test_sync_stream_sends_each_partial_output(acme: Caller) -> None:
    headers = {**acme.headers, "accept": "text/event-stream"}  # as fal's clients send
    for path in (f"/run/{DEBUG}/stream", f"/run/{DEBUG}"):
        body = {"chunks": 3, "payload": "p"} if path.endswith("stream") else {"payload": "p"}
        with acme.client.stream("POST", path, json=body, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = [line for line in response.iter_lines() if line.startswith("data: ")]
        events = [json.loads(line.removeprefix("data: ")) for line in lines]
        if path.endswith("stream"):
            assert [(e["index"], e["partial"]) for e in events] == [
                (0, True),
                (1, True),
                (2, False),
            ]
        else:  # an endpoint that yields nothing sends its result as the one event
            assert events == [{"payload": "p", "attempt": 1}]


def test_a_deployed_app_is_private_to_its_owner_until_deployed_public(
    client: TestClient, container: Container, acme: Caller, bob: Caller
) -> None:
    def deploy(public: bool | None = None) -> None:
        with container.database.session(write=True) as session:
            DeploymentService(
                session, container.clock, operator=container.settings.bootstrap_owner
            ).add("impasto.apps.debug:DebugApp", owner="bob", name="secret-debug", public=public)

    deploy()  # as fal deploys: private by default
    mine = bob.queued("bob/secret-debug", {"payload": 1})
    assert bob.result(mine).json() == {"payload": 1, "attempt": 1}
    assert acme.submit("bob/secret-debug", {}).status_code == 404
    response = client.post("/run/bob/secret-debug", json={}, headers=acme.headers)
    assert response.status_code == 404
    assert acme.get(mine["status_url"]).status_code == 404
    deploy()  # a redeploy keeps it private
    assert acme.submit("bob/secret-debug", {}).status_code == 404

    deploy(public=True)
    deploy()  # and keeps it public once made public: only the flag changes it
    theirs = acme.queued("bob/secret-debug", {"payload": 2})
    assert acme.result(theirs).json() == {"payload": 2, "attempt": 1}
    deploy(public=False)
    assert acme.submit("bob/secret-debug", {}).status_code == 404
