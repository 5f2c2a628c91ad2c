"""The official Python client runs models here: run, submit/status/result, subscribe with
logs, cancel, stream (errors included), realtime and ws_connect on both URL layouts, against
a real uvicorn server (§9.1); both databases."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import fal_client
import fal_client.client as fc
import httpx
import httpx_sse
import msgpack
import pytest
from PIL import Image
from pydantic import BaseModel

from impasto.config import Settings
from impasto.container import Container
from impasto.runs.queue.repository import RunRepository
from impasto.sdk import App, endpoint
from tests.conftest import SettingsFactory, make_key
from tests.e2e.test_fal_client_upload import (
    _forget_cached_clients,
    server,  # noqa: F401  (a fixture)
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


class NoInput(BaseModel):
    pass


class BrokenChunk(BaseModel):
    index: int


class BrokenStreamApp(App, name="broken-stream", keep_alive=300):
    """Streams two partial outputs, then fails."""

    @endpoint("/stream")
    async def stream(self, inp: NoInput) -> AsyncIterator[BrokenChunk]:
        for index in range(2):
            yield BrokenChunk(index=index)
        raise RuntimeError("broken-stream: failing after two chunks")


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        builtin_apps=True,
        embedded_worker=True,
        apps=[f"acme/broken-stream={__name__}:BrokenStreamApp"],
    )


@pytest.fixture
def fal(server: str, container: Any, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    monkeypatch.setenv("FAL_KEY", make_key(container, "acme"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(fc, "RUN_URL_FORMAT", f"{server}/run/")
    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", f"{server}/queue/")
    monkeypatch.setattr(fc, "REALTIME_URL_FORMAT", server.replace("http", "ws") + "/ws/")
    monkeypatch.setattr(fc, "REST_URL", f"{server}/rest")
    monkeypatch.setattr(fc, "CDN_URL", server)
    _forget_cached_clients()
    yield fal_client.SyncClient()
    _forget_cached_clients()


def test_run_returns_the_output(fal: Any) -> None:
    assert fal.run("impasto/debug", {"payload": {"a": 1}}) == {"payload": {"a": 1}, "attempt": 1}


def test_submit_status_with_logs_and_result(fal: Any) -> None:
    handle = fal.submit("impasto/debug", {"payload": 2, "logs": 3, "sleep": 0.3})
    updates = list(handle.iter_events(with_logs=True, interval=0.05))
    assert isinstance(updates[-1], fal_client.Completed)
    assert [log["message"] for log in updates[-1].logs] == [
        f"debug log {n} of 3" for n in (1, 2, 3)
    ]
    assert updates[-1].metrics["inference_time"] > 0
    assert handle.get() == {"payload": 2, "attempt": 1}
    again = fal.get_handle("impasto/debug", handle.request_id)
    assert isinstance(again.status(), fal_client.Completed)


def test_subscribe_reports_queue_updates(fal: Any) -> None:
    seen: list[Any] = []
    result = fal.subscribe(
        "impasto/debug", {"payload": 3, "logs": 2}, with_logs=True, on_queue_update=seen.append
    )
    assert result == {"payload": 3, "attempt": 1}
    assert any(isinstance(update, fal_client.Completed) for update in seen)


def test_cancel_stops_a_running_request(fal: Any) -> None:
    handle = fal.submit("impasto/debug", {"sleep": 30})
    handle.cancel()
    with pytest.raises(fal_client.client.FalClientHTTPError) as failed:
        handle.get()
    assert failed.value.status_code == 499


def test_errors_reach_the_client(fal: Any) -> None:
    with pytest.raises(fal_client.client.FalClientHTTPError) as invalid:
        fal.run("impasto/debug", {"sleep": "soon"})
    assert invalid.value.status_code == 422
    assert invalid.value.message[0]["loc"] == ["body", "sleep"]
    with pytest.raises(fal_client.client.FalClientHTTPError) as unknown:
        fal.status("impasto/debug", "01a20000-0000-7000-8000-000000000000")
    assert unknown.value.status_code == 404


def test_stream_yields_partial_outputs(fal: Any) -> None:
    events = list(fal.stream("impasto/debug", {"chunks": 3}, path="/stream"))
    assert [event["index"] for event in events] == [0, 1, 2]
    assert events[-1]["partial"] is False


def test_output_files_are_served_here(fal: Any, server: str) -> None:  # noqa: F811
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(picture, format="PNG")
    data_uri = "data:image/png;base64," + base64.b64encode(picture.getvalue()).decode()
    output = fal.run("impasto/image-tools/resize", {"image": data_uri, "width": 20, "height": 15})
    image = output["image"]
    assert image["url"].startswith(server + "/files/")
    downloaded = httpx.get(image["url"])
    assert downloaded.status_code == 200
    assert Image.open(io.BytesIO(downloaded.content)).size == (image["width"], image["height"])


async def _close(client: fal_client.AsyncClient) -> None:
    """Close the HTTP client it cached (for its token), in the loop that opened it."""
    http: httpx.AsyncClient = await client._client
    await http.aclose()


def test_realtime_round_trip(fal: Any) -> None:
    async def talk() -> list[Any]:
        client = fal_client.AsyncClient()
        async with client.realtime("impasto/debug") as connection:
            answers = []
            for n in range(2):
                await connection.send({"payload": n})
                answers.append(await connection.recv())
        await _close(client)
        return answers

    assert asyncio.run(talk()) == [{"payload": 0, "attempt": 1}, {"payload": 1, "attempt": 1}]


def test_stream_errors_raise_in_the_client(fal: Any, server: str) -> None:  # noqa: F811
    # Failing before any partial output: the error status and body, not a 200 stream.
    with pytest.raises(httpx_sse.SSEError):
        list(fal.stream("impasto/debug", {"chunks": 0}, path="/stream"))
    headers = {"Authorization": fal._auth.header_value, "Accept": "text/event-stream"}
    invalid = httpx.post(f"{server}/run/impasto/debug/stream", json={"chunks": 0}, headers=headers)
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "chunks"]
    failed = httpx.post(f"{server}/run/impasto/debug", json={"fail": True}, headers=headers)
    assert (failed.status_code, failed.json()) == (500, {"detail": "Internal Server Error"})
    assert failed.headers["x-fal-request-id"]
    # Failing mid-stream: the events, then the error as an ``error`` event, then a broken body.
    events: list[Any] = []
    with pytest.raises(httpx.RemoteProtocolError):
        events.extend(fal.stream("acme/broken-stream", {}, path="/stream"))
    assert events == [{"index": 0}, {"index": 1}, {"detail": "Internal Server Error"}]
    with httpx.stream(
        "POST", f"{server}/run/acme/broken-stream/stream", json={}, headers=headers
    ) as raw:
        lines: list[str] = []
        with pytest.raises(httpx.RemoteProtocolError):
            lines.extend(raw.iter_lines())
    assert [line for line in lines if line.startswith("event:")] == ["event: error"]


@pytest.mark.parametrize("layout", ["/ws/", "/run/"])
def test_ws_connect_as_shipped_speaks_both_protocols(
    fal: Any,
    server: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    layout: str,
) -> None:
    monkeypatch.setattr(fc, "REALTIME_URL_FORMAT", server.replace("http", "ws") + layout)

    async def talk() -> tuple[list[Any], Any, Any]:
        client = fal_client.AsyncClient()
        async with client.ws_connect("impasto/debug") as ws:  # a realtime token (use_jwt)
            await ws.send(json.dumps({"payload": "text"}))
            frames = [json.loads(await ws.recv()) for _ in range(3)]
            await ws.send(msgpack.packb({"payload": "binary"}, use_bin_type=True))
            binary = msgpack.unpackb(await ws.recv())
        async with client.realtime("impasto/debug") as connection:
            await connection.send({"payload": "realtime"})
            answer = await connection.recv()
        await _close(client)
        return frames, binary, answer

    frames, binary, answer = asyncio.run(talk())
    assert [frame.get("type") for frame in frames] == ["start", None, "end"]
    assert frames[1] == {"payload": "text", "attempt": 1}
    assert frames[0]["status"] == frames[2]["status"] == 200
    assert binary == {"payload": "binary", "attempt": 1}
    assert answer == {"payload": "realtime", "attempt": 1}


def test_socket_outputs_point_at_the_server_over_http(
    fal: Any,
    server: str,  # noqa: F811
    container: Container,
) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(picture, format="PNG")
    data_uri = "data:image/png;base64," + base64.b64encode(picture.getvalue()).decode()
    resize = {"image": data_uri, "width": 20, "height": 15}

    async def talk() -> tuple[Any, list[Any]]:
        client = fal_client.AsyncClient()
        async with client.realtime("impasto/image-tools/resize", path="") as connection:
            await connection.send(resize)
            realtime = await connection.recv()
        async with client.ws_connect("impasto/image-tools/resize") as ws:
            await ws.send(json.dumps(resize))
            frames = [json.loads(await ws.recv()) for _ in range(3)]
        await _close(client)
        return realtime, frames

    realtime, (start, body, _) = asyncio.run(talk())
    for output in (realtime, body):
        assert output["image"]["url"].startswith(server + "/files/")
        assert httpx.get(output["image"]["url"]).status_code == 200
    with container.database.session(write=False) as session:
        record = RunRepository(session).get(start["request_id"])
    assert record is not None
    assert record.base_url == server
