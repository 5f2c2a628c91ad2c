"""Workflows through the official Python client, against a real uvicorn server: stream,
subscribe, run, a failing node, cancel, and the assets a run leaves; both databases."""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Iterator
from typing import Any

import fal_client
import fal_client.client as fc
import httpx
import pytest
from PIL import Image

from impasto.config import Settings
from impasto.container import Container
from tests.conftest import SettingsFactory, make_key
from tests.e2e.test_fal_client_upload import (
    _forget_cached_clients,
    server,  # noqa: F401  (a fixture)
)
from tests.integration.workflows.definitions import chain

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.timeout(180),
]

THUMBS = {
    "name": "thumbs",
    "version": "1.0.0",
    "nodes": {
        "resize": {
            "id": "resize",
            "type": "run",
            "app": "impasto/image-tools/resize",
            "depends": [],
            "input": {"image": "$input.image_url", "width": "$input.width", "height": 10},
            "metadata": {"position": {"x": 0, "y": 0}},
        },
        "webp": {
            "id": "webp",
            "type": "run",
            "app": "impasto/image-tools/convert",
            "depends": ["resize"],
            "input": {"image": "$resize.image.url", "format": "webp"},
            "metadata": {"position": {"x": 300, "y": 0}},
        },
    },
    "output": {"image": "$webp.image"},
    "schema": {
        "input": {
            "image_url": {"type": "string", "description": "The picture to shrink"},
            "width": {"type": "integer", "default": 20},
        },
        "output": {"image": {"type": "object"}},
    },
}


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        builtin_apps=True,
        embedded_worker=True,
    )


@pytest.fixture
def key(container: Container) -> str:
    return make_key(container, "acme")


@pytest.fixture
def fal(server: str, key: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:  # noqa: F811
    monkeypatch.setenv("FAL_KEY", key)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(fc, "RUN_URL_FORMAT", f"{server}/run/")
    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", f"{server}/queue/")
    monkeypatch.setattr(fc, "REST_URL", f"{server}/rest")
    monkeypatch.setattr(fc, "CDN_URL", server)
    _forget_cached_clients()
    yield fal_client.SyncClient()
    _forget_cached_clients()
    gc.collect()  # the client's sockets are collected (and warned about) here, not later


def _create(base: str, key: str, name: str, contents: dict[str, Any]) -> None:
    response = httpx.post(
        f"{base}/v1/workflows",
        json={"name": name, "title": name.title(), "contents": contents},
        headers={"Authorization": f"Key {key}"},
    )
    assert response.status_code == 201, response.text


def _picture(fal: Any) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 10)).save(buffer, format="PNG")
    url: str = fal.upload(buffer.getvalue(), "image/png", "red.png")
    return url


def test_stream_sends_fal_events_and_the_output_is_a_served_file(
    fal: Any,
    server: str,  # noqa: F811
    key: str,
) -> None:
    _create(server, key, "thumbs", THUMBS)
    events = list(fal.stream("workflows/acme/thumbs", {"image_url": _picture(fal)}))
    assert [(event["type"], event.get("node_id")) for event in events] == [
        ("submit", "resize"),
        ("completion", "resize"),
        ("submit", "webp"),
        ("completion", "webp"),
        ("output", None),
    ]
    assert events[0]["app_id"] == "impasto/image-tools/resize"
    assert events[2]["request_id"] != events[0]["request_id"]
    image = events[-1]["output"]["image"]
    assert image == events[3]["output"]["image"]
    downloaded = httpx.get(image["url"])
    assert downloaded.status_code == 200
    picture = Image.open(io.BytesIO(downloaded.content))
    assert (picture.format, picture.size) == ("WEBP", (20, 10))


def test_subscribe_and_run_answer_the_output_mapping(fal: Any, server: str, key: str) -> None:  # noqa: F811
    _create(server, key, "thumbs", THUMBS)
    source = _picture(fal)
    updates: list[Any] = []
    result = fal.subscribe(
        "workflows/acme/thumbs",
        {"image_url": source, "width": 8},
        with_logs=True,
        on_queue_update=updates.append,
    )
    assert result["image"]["width"] == 8
    completed = updates[-1]
    assert isinstance(completed, fal_client.Completed)
    assert any(
        "webp: submitted to impasto/image-tools/convert" in log["message"] for log in completed.logs
    )
    assert fal.run("workflows/acme/thumbs", {"image_url": source})["image"]["width"] == 20


def test_the_final_image_has_its_lineage_through_every_node(
    fal: Any,
    server: str,  # noqa: F811
    key: str,
) -> None:
    _create(server, key, "thumbs", THUMBS)
    source = _picture(fal)
    final = fal.run("workflows/acme/thumbs", {"image_url": source})["image"]["url"]
    auth = {"Authorization": f"Key {key}"}
    assets = httpx.get(f"{server}/v1/assets", params={"limit": 50}, headers=auth).json()["assets"]
    [made] = [asset for asset in assets if asset.get("url") == final]
    graph = httpx.get(
        f"{server}/v1/assets/{made['asset_id']}/lineage", params={"depth": 5}, headers=auth
    ).json()["lineage"]
    endpoints = {node["endpoint"] for node in graph["nodes"] if node["kind"] == "request"}
    assert endpoints == {"impasto/image-tools/resize", "impasto/image-tools/convert"}
    urls = {node["url"] for node in graph["nodes"] if node["kind"] == "asset"}
    assert len(urls) == 3  # the input, the intermediate and the final image
    assert {source, final} < urls


def test_a_failing_node_is_named_to_the_client(fal: Any, server: str, key: str) -> None:  # noqa: F811
    _create(server, key, "broken", chain(fail_first=True))
    events: list[Any] = []
    with pytest.raises(httpx.RemoteProtocolError):  # a failed stream ends broken: it raises
        events.extend(fal.stream("workflows/acme/broken", {"word": "w"}))
    error = next(event for event in events if event.get("type") == "error")
    assert error["node_id"] == "first"
    assert error["error"]["status"] == 500
    assert "first" in str(events[-1]["detail"])  # the run's own error, sent as an error event
    handle = fal.submit("workflows/acme/broken", {"word": "w"})
    with pytest.raises(fal_client.client.FalClientHTTPError) as failed:
        handle.get()
    assert failed.value.status_code == 500
    assert "first" in str(failed.value.message)


def test_cancel_mid_graph(fal: Any, server: str, key: str) -> None:  # noqa: F811
    _create(server, key, "slow", chain(sleep=30))
    handle = fal.submit("workflows/acme/slow", {"word": "w"})
    deadline = time.monotonic() + 60
    while not isinstance(handle.status(), fal_client.InProgress):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)  # the first node is now queued or running
    handle.cancel()
    with pytest.raises(fal_client.client.FalClientHTTPError) as failed:
        handle.get()
    assert failed.value.status_code == 499
