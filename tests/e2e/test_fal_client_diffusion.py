"""``fal_client.subscribe("fal-ai/flux/dev", ...)`` unchanged against Impasto: a tiny
pipeline imported with the weights manager and served under fal's endpoint ids, run by the
embedded worker on the CPU, through a real uvicorn server; both databases."""

from __future__ import annotations

import gc
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fal_client
import httpx
import pytest
from PIL import Image

from impasto.config import Settings
from impasto.container import Container
from impasto.kit.clock import SystemClock
from impasto.weights.manager import WeightsLayout, WeightsManager
from tests.conftest import SettingsFactory
from tests.e2e.test_fal_client_run import fal  # noqa: F401  (a fixture)
from tests.e2e.test_fal_client_upload import server  # noqa: F401  (a fixture)

pytest.importorskip("diffusers")
pytest.importorskip("peft")

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.timeout(300),  # the runner imports torch and diffusers once per test
]
SMALL: dict[str, Any] = {
    "image_size": {"width": 64, "height": 48},
    "num_inference_steps": 3,
    "seed": 7,
}


@pytest.fixture(autouse=True)
def collect_clients() -> Iterator[None]:
    """The client's cached HTTP connections are dropped with it: collect them while this
    module's warning filters still apply, not at the end of the session."""
    yield
    gc.collect()


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.unit.apps.tiny_diffusion import build_tiny_pipeline

    return build_tiny_pipeline(tmp_path_factory.mktemp("e2e-diffusion") / "pipeline")


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        embedded_worker=True,
        assets_index_interval_seconds=0,
    )


@pytest.fixture
def installed(container: Container, tiny_pipeline: Path, tmp_path: Path) -> WeightsManager:
    """Imported and aliased before the server starts, as `impasto models import` does."""
    manager = WeightsManager(
        container.database, SystemClock(), WeightsLayout(tmp_path / "weights"), operator="admin"
    )
    manager.import_path(tiny_pipeline, name="acme/tiny-sd", alias="fal-ai/flux/dev")
    manager.add_alias("fal-ai/flux/dev/image-to-image", "acme/tiny-sd", "image-to-image")
    return manager


def _images(result: dict[str, Any]) -> list[bytes]:
    found = []
    for image in result["images"]:
        response = httpx.get(image["url"])
        assert response.status_code == 200
        found.append(response.content)
    return found


def test_subscribe_to_the_fal_endpoint_id(
    installed: WeightsManager,
    fal: Any,  # noqa: F811
) -> None:
    logs: list[str] = []

    def on_update(update: Any) -> None:
        # Each status carries every line so far; the final one (Completed) all of them,
        # whichever polls happened to see the request running.
        if isinstance(update, fal_client.InProgress | fal_client.Completed) and update.logs:
            logs[:] = [entry["message"] for entry in update.logs]

    payload = {"prompt": "a red fox", "num_images": 2, "output_format": "png", **SMALL}
    result = fal.subscribe(
        "fal-ai/flux/dev", arguments=payload, with_logs=True, on_queue_update=on_update
    )
    assert result["seed"] == 7
    assert result["prompt"] == "a red fox"
    assert result["has_nsfw_concepts"] == [False, False]
    files = _images(result)
    assert len(files) == 2
    for image, data in zip(result["images"], files, strict=True):
        assert (image["width"], image["height"], image["content_type"]) == (64, 48, "image/png")
        opened = Image.open(io.BytesIO(data))
        assert (opened.format, opened.size) == ("PNG", (64, 48))
    assert [line for line in logs if line.startswith("step")] == [
        "step 1 of 3",
        "step 2 of 3",
        "step 3 of 3",
    ]
    again = fal.subscribe("fal-ai/flux/dev", arguments=payload)
    assert _images(again) == files  # the same seed, the same images

    jpeg = fal.subscribe("fal-ai/flux/dev", arguments={"prompt": "a fox", **SMALL})
    [data] = _images(jpeg)
    assert Image.open(io.BytesIO(data)).format == "JPEG"

    moved = fal.subscribe(
        "fal-ai/flux/dev/image-to-image",
        arguments={"prompt": "a fox", "image_url": result["images"][0]["url"], **SMALL},
    )
    assert (moved["images"][0]["width"], moved["images"][0]["height"]) == (64, 48)


def test_the_catalog_lists_the_alias(
    installed: WeightsManager,
    fal: Any,  # noqa: F811
    server: str,  # noqa: F811
) -> None:
    import os

    key = os.environ["FAL_KEY"]
    found = httpx.get(
        f"{server}/v1/models",
        params={"endpoint_id": ["fal-ai/flux/dev", "fal-ai/flux/dev/image-to-image"]},
        headers={"Authorization": f"Key {key}"},
    )
    assert found.status_code == 200, found.text
    ids = sorted(model["endpoint_id"] for model in found.json()["models"])
    assert ids == ["fal-ai/flux/dev", "fal-ai/flux/dev/image-to-image"]


def test_outputs_land_in_the_asset_library_with_their_prompt(
    installed: WeightsManager,
    fal: Any,  # noqa: F811
    server: str,  # noqa: F811
) -> None:
    import os

    result = fal.subscribe("fal-ai/flux/dev", arguments={"prompt": "a violet heron", **SMALL})
    listed = httpx.get(
        f"{server}/v1/assets",
        params={"limit": 50},
        headers={"Authorization": f"Key {os.environ['FAL_KEY']}"},
    )
    assert listed.status_code == 200, listed.text
    outputs = [a for a in listed.json()["assets"] if a["endpoint"] == "fal-ai/flux/dev"]
    assert [a["prompt"] for a in outputs] == ["a violet heron"]
    assert (outputs[0]["width"], outputs[0]["height"]) == (64, 48)
    assert result["images"][0]["url"]


def test_cancel_stops_between_steps(
    installed: WeightsManager,
    fal: Any,  # noqa: F811
) -> None:
    payload = {**SMALL, "prompt": "a slow fox", "num_inference_steps": 100, "num_images": 4}
    handle = fal.submit("fal-ai/flux/dev", arguments=payload)
    started = threading.Event()
    for update in handle.iter_events(with_logs=True):
        if isinstance(update, fal_client.InProgress) and any(
            entry["message"].startswith("step") for entry in update.logs or []
        ):
            started.set()
            break
    assert started.is_set()
    handle.cancel()
    with pytest.raises(fal_client.client.FalClientHTTPError) as failed:
        handle.get()
    assert failed.value.status_code == 499
    status = handle.status(with_logs=True)
    steps = [entry["message"] for entry in status.logs or [] if entry["message"].startswith("step")]
    assert 0 < len(steps) < 100  # it stopped part-way


def test_bad_input_is_a_422(installed: WeightsManager, fal: Any) -> None:  # noqa: F811
    with pytest.raises(fal_client.client.FalClientHTTPError) as odd:
        fal.run("fal-ai/flux/dev", {"prompt": "x", "image_size": {"width": 60, "height": 64}})
    assert odd.value.status_code == 422
