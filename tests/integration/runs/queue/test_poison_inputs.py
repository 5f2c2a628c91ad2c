"""Inputs can never take a runner down (nor corrupt a stored result).

Limits at submit on every surface (nesting, size, NaN/Infinity), checked without recursion;
a poison input that is queued anyway (before these limits existed) fails alone while other
owners' requests on the same runner go on; an output JSON cannot carry fails its own
request with a 500.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
from fastapi.testclient import TestClient

from impasto.config import Settings
from impasto.container import Container
from impasto.models import RequestRecord
from impasto.runs.deployments.service import DeploymentService
from impasto.runs.queue.notifier import WORK_TOPIC
from impasto.runs.queue.repository import RunRepository
from impasto.runs.queue.submission import NewRequest
from impasto.sdk.validation import MAX_INPUT_DEPTH
from tests.integration.runs.conftest import Caller, Gate

DEBUG = "impasto/debug"
SHARED = "acme/shared"
MAX_BYTES = 64 * 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_json_body_bytes": MAX_BYTES})


def _nested(depth: int) -> Any:
    """``{"payload": [[...]]}`` with ``depth`` levels in all."""
    value: Any = []
    for _ in range(depth - 2):
        value = [value]
    return {"payload": value}


def _nested_text(depth: int) -> str:
    """``_nested(depth)`` as JSON text, written without ``json`` (which recurses)."""
    return '{"payload": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def _post_raw(caller: Caller, path: str, body: str) -> Any:
    return caller.client.post(
        path, content=body.encode(), headers={**caller.headers, "content-type": "application/json"}
    )


def _record(container: Container, request_id: str) -> RequestRecord:
    with container.database.session(write=False) as session:
        record = session.get(RequestRecord, request_id)
        assert record is not None
        session.expunge(record)
        return record


def _queue_unchecked(container: Container, owner: str, endpoint: str, payload: Any) -> str:
    """A request queued as it could be before the submit checks existed."""
    request_id = container.ids.new()
    with container.database.session(write=True) as session:
        target = DeploymentService(
            session, container.clock, operator=container.runs.operator
        ).resolve(endpoint)
        RunRepository(session).insert(
            NewRequest(
                request_id=request_id,
                owner=owner,
                key_id=None,
                endpoint_id=target.endpoint_id,
                app_id=target.app.app_id,
                path=target.endpoint.path,
                mode="queue",
                priority=0,
                input=payload,
                headers={},
                store_io=True,
                base_url="http://testserver",
                runner_hint=None,
                webhook_url=None,
                start_deadline=None,
                max_attempts=3,
                created_at=container.clock.now(),
            )
        )
    container.runs.notifier.notify(WORK_TOPIC)
    return request_id


def test_nesting_past_the_limit_is_refused_at_submit(acme: Caller) -> None:
    assert acme.submit(DEBUG, _nested(MAX_INPUT_DEPTH)).status_code == 200
    for depth in (MAX_INPUT_DEPTH + 1, 600):
        response = _post_raw(acme, f"/queue/{DEBUG}", _nested_text(depth))
        assert response.status_code == 422, (depth, response.text)
        [item] = response.json()["detail"]
        assert item["type"] == "json_too_deep"
        assert item["loc"] == ["body", "payload", *[0] * (MAX_INPUT_DEPTH - 1)]
        assert str(MAX_INPUT_DEPTH) in item["msg"]
    # Deeper than the server's JSON parser goes: refused by the parser, still a 422.
    deepest = _post_raw(acme, f"/queue/{DEBUG}", _nested_text(975))
    assert deepest.status_code == 422
    assert isinstance(deepest.json()["detail"], list)
    sync = _post_raw(acme, f"/run/{DEBUG}", _nested_text(600))
    assert sync.status_code == 422
    assert sync.json()["detail"][0]["type"] == "json_too_deep"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_numbers_json_cannot_carry_are_refused_at_submit(acme: Caller, number: str) -> None:
    response = _post_raw(acme, f"/queue/{DEBUG}", f'{{"payload": {{"x": [1, {number}]}}}}')
    # Another layer (the HTTP body parser) may refuse the body first, with fal's list too.
    assert response.status_code == 422, response.text
    [item] = response.json()["detail"]
    if item["type"] == "finite_number":
        assert item["loc"] == ["body", "payload", "x", 1]
        assert item["msg"] == "Input should be a finite number"


def test_websocket_messages_pass_the_same_limits(client: TestClient, acme: Caller) -> None:
    with client.websocket_connect(f"/ws/{DEBUG}", headers=acme.headers) as ws:
        ws.send_text('{"payload": NaN}')
        ws.send_text(_nested_text(200))
        ws.send_text("[" * 100_000 + "]" * 100_000)  # deeper than Python's json reads
        frames = [json.loads(ws.receive_text()) for _ in range(9)]
    ends = [frame for frame in frames if frame.get("type") == "end"]
    assert [end["status"] for end in ends] == [422, 422, 422]
    types = sorted(
        frame["detail"][0]["type"] for frame in frames if isinstance(frame.get("detail"), list)
    )
    assert types == ["finite_number", "json_too_deep", "json_too_deep"]
    token = client.post(
        "/rest/tokens/", json={"allowed_apps": ["debug"]}, headers=acme.headers
    ).json()
    with client.websocket_connect(f"/run/{DEBUG}/realtime?fal_jwt_token={token}") as ws:
        ws.send_bytes(msgpack.packb({"payload": float("inf")}))
        error = ws.receive_json()
        ws.send_bytes(msgpack.packb({"payload": 1}))
        assert msgpack.unpackb(ws.receive_bytes()) == {"payload": 1, "attempt": 1}
    assert error["error"] == "BAD_REQUEST"
    assert json.loads(error["reason"])["detail"][0]["type"] == "finite_number"


def test_websocket_messages_past_the_body_limit_are_refused(
    client: TestClient, acme: Caller
) -> None:
    """HTTP bodies meet IMPASTO_MAX_JSON_BODY_BYTES in the body parser; messages, which do
    not pass through it, meet the same limit at submit."""
    big = {"payload": "x" * MAX_BYTES}
    with client.websocket_connect(f"/ws/{DEBUG}", headers=acme.headers) as ws:
        ws.send_text(json.dumps(big))
        start, body, _ = (json.loads(ws.receive_text()) for _ in range(3))
    assert start["status"] == 422
    assert body["detail"][0]["type"] == "json_too_large"
    assert body["detail"][0]["loc"] == ["body"]
    fits = {"payload": "x" * (MAX_BYTES - 100)}
    assert acme.result(acme.queued(DEBUG, fits)).status_code == 200


def test_a_poison_input_fails_alone_and_the_runner_keeps_serving(
    acme: Caller, bob: Caller, container: Container, gate: Gate
) -> None:
    bystander = bob.queued(SHARED, gate.input)
    assert bob.wait_for(bystander, "IN_PROGRESS")["status"] == "IN_PROGRESS"
    # 600 levels: what once passed the submit check and killed the runner on every try.
    poison = _queue_unchecked(container, "acme", SHARED, _nested(600))
    done = acme.wait_for({"status_url": f"/queue/{SHARED}/requests/{poison}/status"}, "COMPLETED")
    assert done["status"] == "COMPLETED"
    assert done["error_type"] == "validation_error"
    result = acme.get(f"/queue/{SHARED}/requests/{poison}")
    assert result.status_code == 422
    assert result.json()["detail"][0]["type"] == "json_too_deep"
    gate.open()
    answer = bob.result(bystander)
    assert answer.status_code == 200
    assert answer.json()["attempt"] == 1  # never released: its runner did not die
    # The same runner process serves on.
    after = acme.result(acme.queued(SHARED, {}))
    assert after.json()["pid"] == answer.json()["pid"]
    assert _record(container, bystander["request_id"]).runner_crashes == 0
    assert _record(container, poison).attempts == 1


def test_an_output_json_cannot_carry_fails_its_own_request(
    acme: Caller, bob: Caller, container: Container, gate: Gate
) -> None:
    bystander = bob.queued(SHARED, gate.input)
    assert bob.wait_for(bystander, "IN_PROGRESS")["status"] == "IN_PROGRESS"
    bad = acme.queued(SHARED, {"nan": True})
    result = acme.result(bad)
    assert result.status_code == 500
    assert result.json() == {"detail": "Internal Server Error"}
    assert acme.status(bad)["error_type"] == "runner_server_error"
    gate.open()
    answer = bob.result(bystander)
    assert answer.status_code == 200
    assert answer.json()["attempt"] == 1
    assert _record(container, bad["request_id"]).attempts == 1


def test_the_models_openapi_states_the_limits(acme: Caller) -> None:
    body = acme.get("/v1/models", endpoint_id=DEBUG, expand="openapi-3.0").json()
    submit = body["models"][0]["openapi"]["paths"][f"/{DEBUG}"]["post"]
    invalid = submit["responses"]["422"]
    assert f"at most {MAX_INPUT_DEPTH} levels" in invalid["description"]
    assert "NaN" in invalid["description"]
    detail = invalid["content"]["application/json"]["schema"]["properties"]["detail"]
    assert detail["items"]["required"] == ["loc", "msg", "type"]


def test_a_bad_lifecycle_preference_is_refused_at_submit(acme: Caller) -> None:
    """Outputs are stored under it much later; a value that cannot be read is the caller's
    400 at submit, not a failed run."""
    nested = "[" * 50 + "]" * 50
    for header in (nested, '{"expiration_duration_seconds": NaN}', '{"initial_acl": 5}'):
        answer = acme.submit(
            DEBUG, {"payload": 1}, headers={"X-Fal-Object-Lifecycle-Preference": header}
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error_type"] == "bad_request"
    good = '{"expiration_duration_seconds": 3600}'
    answer = acme.submit(DEBUG, {"payload": 1}, headers={"X-Fal-Object-Lifecycle-Preference": good})
    assert answer.status_code == 200, answer.text
