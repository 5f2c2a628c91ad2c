"""The official Python client runs models here: run, submit/status/result, subscribe with
logs, cancel, stream and realtime, against a real uvicorn server (§9.1); both databases."""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

import fal_client
import fal_client.client as fc
import httpx
import pytest
from PIL import Image

from impasto.config import Settings
from tests.conftest import SettingsFactory, make_key
from tests.e2e.test_fal_client_upload import (
    _forget_cached_clients,
    server,  # noqa: F401  (a fixture)
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        builtin_apps=True,
        embedded_worker=True,
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


def test_realtime_round_trip(fal: Any) -> None:
    async def talk() -> list[Any]:
        client = fal_client.AsyncClient()
        async with client.realtime("impasto/debug") as connection:
            answers = []
            for n in range(2):
                await connection.send({"payload": n})
                answers.append(await connection.recv())
            return answers

    assert asyncio.run(talk()) == [{"payload": 0, "attempt": 1}, {"payload": 1, "attempt": 1}]
