"""``impasto/text-to-image`` in-process, on a tiny pipeline the test builds and saves."""

import asyncio
from collections.abc import AsyncIterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILModule

from impasto.apps.text_to_image import WEIGHTS_ENV, TextToImageApp, enabled
from impasto.runners.local import LocalRunner
from tests.unit.apps.conftest import Start

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from tests.unit.apps.tiny_diffusion import build_tiny_pipeline

pytestmark = pytest.mark.anyio
SMALL: dict[str, Any] = {"image_size": {"width": 64, "height": 64}, "num_inference_steps": 2}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_pipeline(tmp_path_factory.mktemp("t2i") / "pipeline")


@pytest.fixture(scope="module")
def spool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spool")


@pytest.fixture(scope="module")
async def runner(weights: Path, spool: Path) -> AsyncIterator[LocalRunner]:
    """One runner for the module: setup() loads the pipeline once, as in production."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WEIGHTS_ENV, str(weights))
        patch.setenv("HF_HUB_OFFLINE", "1")  # setup() sets these; keep them test-scoped
        patch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        started = LocalRunner(TextToImageApp, spool)
        await started.start()
    yield started
    await started.stop()


def _pngs(spool: Path, body: dict[str, Any]) -> list[bytes]:
    found = []
    for image in body["images"]:
        data = (spool / image["url"].removeprefix("impasto-spool://")).read_bytes()
        assert len(data) == image["file_size"]
        found.append(data)
    return found


async def test_generates_pngs_of_the_asked_size(runner: LocalRunner, spool: Path) -> None:
    result = await runner.call("/", {"prompt": "a red cat", "num_images": 2, **SMALL})
    assert result.status == 200, result.body
    assert result.body["prompt"] == "a red cat"
    assert isinstance(result.body["seed"], int)
    assert len(result.body["images"]) == 2
    for image, data in zip(result.body["images"], _pngs(spool, result.body), strict=True):
        assert (image["content_type"], image["width"], image["height"]) == ("image/png", 64, 64)
        opened = PILModule.open(BytesIO(data))
        assert (opened.format, opened.size, opened.mode) == ("PNG", (64, 64), "RGB")
    progress = [e["fraction"] for e in result.events if e["type"] == "progress"]
    assert progress == [0.5, 1.0]


async def test_the_seed_decides_the_images(runner: LocalRunner, spool: Path) -> None:
    payload = {"prompt": "a blue dog", "seed": 1234, "negative_prompt": "cat", **SMALL}
    first = await runner.call("/", payload)
    again = await runner.call("/", payload)
    other = await runner.call("/", {**payload, "seed": 1235})
    assert first.body["seed"] == again.body["seed"] == 1234
    assert _pngs(spool, first.body) == _pngs(spool, again.body)
    assert _pngs(spool, first.body) != _pngs(spool, other.body)


async def test_jpeg_output(runner: LocalRunner, spool: Path) -> None:
    result = await runner.call("/", {"prompt": "x", "output_format": "jpeg", **SMALL})
    [image] = result.body["images"]
    assert image["content_type"] == "image/jpeg"
    [data] = _pngs(spool, result.body)
    assert PILModule.open(BytesIO(data)).format == "JPEG"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x", "image_size": {"width": 60, "height": 64}}, "image_size"),
        ({"prompt": "x", "image_size": {"width": 4096, "height": 64}}, "image_size"),
        ({"prompt": "x", "image_size": "huge"}, "image_size"),
        ({"prompt": "x", "num_inference_steps": 0}, "num_inference_steps"),
        ({"prompt": "x", "num_images": 5}, "num_images"),
        ({"prompt": "x", "seed": -1}, "seed"),
        ({"prompt": "x", "guidance_scale": 99}, "guidance_scale"),
        ({"prompt": "x", "output_format": "gif"}, "output_format"),
    ],
)
async def test_bad_inputs_answer_422(
    runner: LocalRunner, payload: dict[str, Any], field: str
) -> None:
    result = await runner.call("/", payload)
    assert result.status == 422, result.body
    assert result.body["detail"][0]["loc"][:2] == ["body", field]


async def test_cancel_stops_between_steps(runner: LocalRunner) -> None:
    call = asyncio.create_task(
        runner.call("/", {"prompt": "x", **SMALL, "num_inference_steps": 100}, request_id="c-1")
    )
    await asyncio.sleep(0)
    runner.cancel("c-1")
    result = await call
    assert result.status == 499
    assert len([e for e in result.events if e["type"] == "progress"]) < 100


async def test_setup_refuses_a_missing_or_wrong_directory(
    local_runner: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not enabled(None)
    assert enabled(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    with pytest.raises(RuntimeError, match=WEIGHTS_ENV):
        await local_runner(TextToImageApp)
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path))
    with pytest.raises(RuntimeError, match=r"model_index\.json"):
        await local_runner(TextToImageApp)
