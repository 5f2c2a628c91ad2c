"""The indexer's media work on both databases: image thumbnails, video duration, size,
poster and frame vectors, audio duration; thumbnails are files of the owner, shown by the
Scenario façade only (fal's Asset has no thumbnail field)."""

from __future__ import annotations

import io
from fractions import Fraction
from typing import Any

import av
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from impasto.container import Container, build_indexer
from tests.conftest import auth, make_key
from tests.integration.assets.test_assets_api import assets, png, upload
from tests.unit.assets.test_fusion import LetterEmbedder


def tiny_video(frames: int = 12, fps: int = 6, size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            pixels = np.full((size[1], size[0], 3), (i * 20) % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def tiny_audio(seconds: float = 0.5, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=rate)
        samples = np.zeros((1, int(rate * seconds)), dtype=np.int16)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = rate
        frame.time_base = Fraction(1, rate)
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def put(client: TestClient, key: dict[str, str], name: str, data: bytes, content_type: str) -> str:
    response = client.post(
        "/files/upload",
        content=data,
        headers={**key, "Content-Type": content_type, "X-Fal-File-Name": name},
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["access_url"]
    return url


def run_indexer(client: TestClient, container: Container) -> int:
    indexer = build_indexer(container)
    handled: int = client.portal.call(indexer.run_once)  # type: ignore[union-attr]
    return handled


def scenario_assets(client: TestClient, key: dict[str, str]) -> dict[str, dict[str, Any]]:
    body = client.get("/scenario/v1/assets", headers=key).json()
    return {asset["metadata"]["fileName"]: asset for asset in body["assets"]}


def test_indexer_makes_thumbnails_posters_and_durations(
    client: TestClient, container: Container
) -> None:
    container.asset_embedders.append(LetterEmbedder())
    key = auth(make_key(container, "acme"))
    upload(client, key, "wide.png", png(600, 300))
    clip = put(client, key, "clip.mp4", tiny_video(), "video/mp4")
    put(client, key, "beep.wav", tiny_audio(), "audio/wav")
    put(client, key, "broken.mp4", b"not a video at all", "video/mp4")
    assert run_indexer(client, container) == 4
    assert run_indexer(client, container) == 0

    shown = scenario_assets(client, key)
    image = shown["wide.png"]
    assert (image["properties"]["width"], image["properties"]["height"]) == (600, 300)
    thumb = client.get(image["thumbnail"]["url"], headers=key)
    assert thumb.status_code == 200
    assert thumb.headers["content-type"].startswith("image/webp")
    with Image.open(io.BytesIO(thumb.content)) as picture:
        assert picture.format == "WEBP"
        assert max(picture.size) <= 384
        assert picture.size[0] == 2 * picture.size[1]

    video = shown["clip.mp4"]
    assert (video["properties"]["width"], video["properties"]["height"]) == (32, 24)
    assert video["properties"]["duration"] == 2.0
    poster = client.get(video["thumbnail"]["url"], headers=key)
    assert poster.status_code == 200
    with Image.open(io.BytesIO(poster.content)) as picture:
        assert picture.size == (32, 24)

    audio = shown["beep.wav"]
    assert audio["properties"]["duration"] == 0.5
    assert audio["thumbnail"] is None
    broken = shown["broken.mp4"]
    assert broken["properties"]["duration"] is None
    assert broken["thumbnail"] is None

    # Thumbnails are not new assets; fal's shape names each one as `thumbnail_url`.
    fal = assets(client, key)
    assert fal["total_count"] == 4
    thumbnails = {bool(asset.get("thumbnail_url")) for asset in fal["assets"]}
    assert thumbnails == {True, False}  # the image and the video have one, audio none
    # An indexed video searches by its frames.
    by_video = client.get("/v1/assets", params={"search_video_url": clip}, headers=key)
    assert by_video.status_code == 200, by_video.text
    assert by_video.json()["assets"][0]["url"] == clip


def test_thumbnails_of_private_files_stay_private(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    upload(client, key, "mine.png", png(40, 40))
    run_indexer(client, container)
    [asset] = scenario_assets(client, key).values()
    url = asset["thumbnail"]["url"]
    owner_can = client.get(url, headers=key)
    assert owner_can.status_code == 200
    rival = auth(make_key(container, "rival"))
    assert scenario_assets(client, rival) == {}
    # The thumbnail is readable exactly as its original is.
    original = client.get(asset["url"], headers=rival).status_code
    assert client.get(url, headers=rival).status_code == original
