"""JSON bodies on a real socket: the size limit (413 in each surface's format) and the
strict parser (NaN, Infinity, overflowing numbers and absurd nesting are invalid JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, _iter_routes_with_context
from sqlalchemy import func, select

from impasto.app import create_app
from impasto.config import Settings
from impasto.container import build_container
from impasto.kit.http.bodies import BoundedRoute
from impasto.models import RequestRecord
from tests.conftest import auth, make_key, make_worker_key
from tests.integration.kit.http.conftest import WAIT_SECONDS, LiveServer, serving

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
LIMIT = 256 << 10  # conftest.SMALL_LIMITS

PLATFORM = "/v1/keys"
QUEUE = "/queue/acme/app"
SCENARIO = "/scenario/v1/models/get-bulk"


def error_text(path: str, body: dict[str, Any]) -> str:
    """The message each surface's error format carries."""
    if path.startswith("/v1/"):
        return str(body["error"]["message"])
    if path.startswith("/scenario/"):
        return str(body["message"])
    detail = body["detail"]
    return detail if isinstance(detail, str) else " ".join(item["msg"] for item in detail)


@sqlite_only
def test_every_route_reads_its_body_through_the_bounded_request(app: FastAPI) -> None:
    # FastAPI's own walk over included routers: every router must declare the class.
    routes = [route for route, _ in _iter_routes_with_context(app.router.routes)]
    api_routes = [route for route in routes if isinstance(route, APIRoute)]
    assert len(api_routes) > 50
    assert [r.path for r in api_routes if not isinstance(r, BoundedRoute)] == []


@sqlite_only
@pytest.mark.parametrize(
    ("path", "shape"),
    [(PLATFORM, {"error"}), (QUEUE, {"detail", "error_type"}), (SCENARIO, {"apiError", "message"})],
)
def test_a_content_length_over_the_limit_is_413_before_the_body_is_sent(
    live: LiveServer, path: str, shape: set[str]
) -> None:
    with live.connect() as conn:
        conn.send(
            f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            "Content-Length: 10737418240\r\n\r\n{".encode()
        )
        status, _, body = conn.response()
        assert status == 413
        error = json.loads(body)
        assert set(error) == shape
        assert f"larger than {LIMIT} bytes" in error_text(path, error)
        # The 10 GiB never come; the server does not wait for them.
        assert conn.ended_by_server()


@sqlite_only
def test_a_chunked_body_is_413_as_soon_as_it_passes_the_limit(live: LiveServer) -> None:
    chunk = b"a" * (64 << 10)
    with live.connect() as conn:
        conn.send(
            f"POST {QUEUE} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        for _ in range(LIMIT // len(chunk) + 1):  # one chunk past the limit, never the end
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, headers, body = conn.response()
        assert status == 413
        assert headers["x-fal-error-type"] == "bad_request"
        assert json.loads(body)["error_type"] == "bad_request"
        assert conn.ended_by_server()


NOT_JSON = {
    "NaN": (b'{"alias": NaN}', "NaN is not valid JSON"),
    "Infinity": (b'{"alias": [1, Infinity]}', "Infinity is not valid JSON"),
    "-Infinity": (b'{"alias": -Infinity}', "-Infinity is not valid JSON"),
    "1e999": (b'{"alias": 1e999}', "1e999 is out of range"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
}


@sqlite_only
@pytest.mark.parametrize("case", NOT_JSON)
def test_non_finite_numbers_and_absurd_nesting_are_invalid_json(
    live: LiveServer, case: str
) -> None:
    body, reason = NOT_JSON[case]
    with httpx.Client(base_url=live.url, timeout=WAIT_SECONDS) as client:
        headers = {"Content-Type": "application/json"}
        platform = client.post(PLATFORM, content=body, headers=headers)
        assert platform.status_code == 400
        assert platform.json()["error"]["type"] == "validation_error"
        assert reason in platform.json()["error"]["message"]

        queue = client.post(QUEUE, content=body, headers=headers)
        assert queue.status_code == 422
        [item] = queue.json()["detail"]
        assert item["type"] == "json_invalid"
        assert reason in item["msg"]


@pytest.fixture
def runs_server(settings: Settings) -> Iterator[tuple[LiveServer, Any]]:
    """The built-in apps deployed (impasto/debug), no worker: submits stay queued."""
    runs = settings.model_copy(update={"builtin_apps": True})
    container = build_container(runs)
    try:
        with serving(create_app(runs, container), runs) as server:
            yield server, container
    finally:
        container.close()


def test_a_queue_submit_over_the_limit_is_413_and_stores_nothing(
    runs_server: tuple[LiveServer, Any],
) -> None:
    server, container = runs_server
    headers = {**auth(make_key(container, "acme")), "Content-Type": "application/json"}
    big = {"payload": "x" * (LIMIT - 1024)}  # within the limit, above the thread threshold
    too_big = {"payload": "x" * LIMIT}
    with httpx.Client(base_url=server.url, timeout=WAIT_SECONDS) as client:
        accepted = client.post("/queue/impasto/debug", content=json.dumps(big), headers=headers)
        assert accepted.status_code == 200, accepted.text
        refused = client.post("/queue/impasto/debug", content=json.dumps(too_big), headers=headers)
        assert refused.status_code == 413
        assert refused.headers["x-fal-error-type"] == "bad_request"
        assert f"larger than {LIMIT} bytes" in refused.json()["detail"]
    with container.database.session(write=False) as session:
        stored = session.scalar(select(func.count()).select_from(RequestRecord))
    assert stored == 1


@sqlite_only
def test_the_worker_api_takes_results_past_the_tenant_limit(
    runs_server: tuple[LiveServer, Any],
) -> None:
    """A worker's finish carries the app's whole answer, as the embedded worker stores it."""
    server, container = runs_server
    headers = {**auth(make_worker_key(container)), "Content-Type": "application/json"}
    result = {"status_code": 200, "body": {"text": "x" * (2 * LIMIT)}}
    body = {"worker_id": "w1", "attempt": 1, "result": result}
    with httpx.Client(base_url=server.url, timeout=WAIT_SECONDS) as client:
        answer = client.post(
            "/worker/v1/requests/no-such-request/finish", content=json.dumps(body), headers=headers
        )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": False}  # read whole, then fenced by the lease
