"""The diffusion app in-process on the tiny pipeline, routed as the platform deploys it:
text-to-image at ``/dev``, image-to-image and inpainting beside it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILModule

from impasto.runners.local import LocalRunner

pytest.importorskip("diffusers")
pytest.importorskip("peft")

from impasto.apps.diffusion.app import DiffusionApp
from impasto.apps.diffusion.routes import ROUTES_ENV, Route
from impasto.sdk import encode_data_uri
from tests.unit.apps.diffusion.tiny_lora import build_tiny_lora
from tests.unit.apps.diffusion.tiny_upscaler import build_tiny_upscaler
from tests.unit.apps.tiny_diffusion import build_tiny_pipeline

pytestmark = pytest.mark.anyio
SMALL: dict[str, Any] = {"image_size": {"width": 64, "height": 48}, "num_inference_steps": 3}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_pipeline(tmp_path_factory.mktemp("diffusion") / "pipeline")


@pytest.fixture(scope="module")
def spool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spool")


@pytest.fixture(scope="module")
def upscaler(weights: Path) -> Path:
    return build_tiny_upscaler(weights, weights.parent / "upscaler")


def _routes(weights: Path, upscaler: Path) -> str:
    def route(task: str) -> dict[str, str]:
        return Route(
            task=task,
            model="acme/tiny-sd",
            path=str(weights),
            source="folder",
            family="sd15",
            pipeline_class="StableDiffusionPipeline",
        ).to_json()

    upscale = Route(
        task="upscale",
        model="acme/tiny-x4",
        path=str(upscaler),
        source="folder",
        family="upscaler",
        pipeline_class="StableDiffusionUpscalePipeline",
    )
    return json.dumps(
        {
            "/dev": route("text-to-image"),
            "/dev/image-to-image": route("image-to-image"),
            "/dev/inpainting": route("inpainting"),
            "/esrgan": upscale.to_json(),
        }
    )


@pytest.fixture(scope="module")
async def runner(weights: Path, upscaler: Path, spool: Path) -> AsyncIterator[LocalRunner]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ROUTES_ENV, _routes(weights, upscaler))
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("IMPASTO_DIFFUSION_DEVICE", "cpu")
        started = LocalRunner(DiffusionApp, spool)
        await started.start()
        yield started
    await started.stop()


def _files(spool: Path, body: dict[str, Any]) -> list[bytes]:
    return [
        (spool / image["url"].removeprefix("impasto-spool://")).read_bytes()
        for image in body["images"]
    ]


async def test_text_to_image_in_fals_shape(runner: LocalRunner, spool: Path) -> None:
    result = await runner.call("/dev", {"prompt": "a red cat", "num_images": 2, **SMALL})
    assert result.status == 200, result.body
    body = result.body
    assert set(body) == {"images", "timings", "seed", "has_nsfw_concepts", "prompt"}
    assert body["prompt"] == "a red cat"
    assert body["has_nsfw_concepts"] == [False, False]
    assert body["timings"]["inference"] > 0
    for image, data in zip(body["images"], _files(spool, body), strict=True):
        assert (image["content_type"], image["width"], image["height"]) == ("image/jpeg", 64, 48)
        assert PILModule.open(BytesIO(data)).format == "JPEG"
        assert PILModule.open(BytesIO(data)).size == (64, 48)
    progress = [e["fraction"] for e in result.events if e["type"] == "progress"]
    assert progress == pytest.approx([1 / 3, 2 / 3, 1.0])


async def test_a_seed_gives_the_same_images(runner: LocalRunner, spool: Path) -> None:
    payload = {"prompt": "a blue dog", "seed": 1234, "output_format": "png", **SMALL}
    first = await runner.call("/dev", payload)
    again = await runner.call("/dev", payload)
    other = await runner.call("/dev", {**payload, "seed": 1235})
    assert first.body["seed"] == 1234
    assert _files(spool, first.body) == _files(spool, again.body)
    assert _files(spool, first.body) != _files(spool, other.body)


async def test_a_lora_changes_the_images(
    runner: LocalRunner, spool: Path, weights: Path, tmp_path: Path
) -> None:
    lora = build_tiny_lora(weights, tmp_path / "lora")
    url = encode_data_uri(lora.read_bytes(), "application/octet-stream")
    payload = {"prompt": "a green fox", "seed": 5, "output_format": "png", **SMALL}
    plain = await runner.call("/dev", payload)
    with_lora = await runner.call("/dev", {**payload, "loras": [{"path": url, "scale": 1.0}]})
    assert with_lora.status == 200, with_lora.body
    after = await runner.call("/dev", payload)
    assert _files(spool, with_lora.body) != _files(spool, plain.body)
    assert _files(spool, after.body) == _files(spool, plain.body)  # unloaded again
    bad = await runner.call("/dev", {**payload, "loras": [{"path": encode_data_uri(b"x")}]})
    assert bad.status == 422
    assert bad.body["detail"][0]["loc"] == ["body", "loras.0.path"]


async def test_image_to_image_and_inpainting(runner: LocalRunner, spool: Path) -> None:
    start = PILModule.new("RGB", (72, 40), (200, 30, 30))
    buffer = BytesIO()
    start.save(buffer, format="PNG")
    image = encode_data_uri(buffer.getvalue(), "image/png")
    mask = PILModule.new("L", (72, 40), 0)
    mask.paste(255, (0, 0, 32, 40))
    masked = BytesIO()
    mask.save(masked, format="PNG")
    common = {"prompt": "a cat", "num_inference_steps": 4, "strength": 0.5, "seed": 3}
    moved = await runner.call("/dev/image-to-image", {**common, "image_url": image})
    assert moved.status == 200, moved.body
    [out] = moved.body["images"]
    assert (out["width"], out["height"]) == (72, 40)  # already multiples of 8
    steps = [e for e in moved.events if e["type"] == "progress"]
    assert len(steps) == 2  # strength 0.5 of 4 steps
    painted = await runner.call(
        "/dev/inpainting",
        {**common, "image_url": image, "mask_url": encode_data_uri(masked.getvalue())},
    )
    assert painted.status == 200, painted.body
    [out] = painted.body["images"]
    assert (out["width"], out["height"]) == (72, 40)


async def test_bad_inputs_are_422(runner: LocalRunner) -> None:
    odd = await runner.call("/dev", {"prompt": "x", "image_size": {"width": 60, "height": 64}})
    assert odd.status == 422
    assert "multiples of 8" in odd.body["detail"][0]["msg"]
    broken = await runner.call(
        "/dev/image-to-image", {"prompt": "x", "image_url": encode_data_uri(b"no image")}
    )
    assert broken.status == 422
    assert broken.body["detail"][0]["loc"] == ["body", "image_url"]
    unknown = await runner.call("/schnell", {"prompt": "x"})
    assert unknown.status == 404


async def test_the_upscaler_enlarges_4x(runner: LocalRunner, spool: Path) -> None:
    small = BytesIO()
    PILModule.new("RGB", (16, 12), (20, 120, 200)).save(small, format="PNG")
    payload = {
        "image_url": encode_data_uri(small.getvalue(), "image/png"),
        "num_inference_steps": 3,
        "seed": 9,
    }
    result = await runner.call("/esrgan", payload)
    assert result.status == 200, result.body
    image = result.body["image"]
    assert (image["width"], image["height"], image["content_type"]) == (64, 48, "image/png")
    data = (spool / image["url"].removeprefix("impasto-spool://")).read_bytes()
    assert PILModule.open(BytesIO(data)).size == (64, 48)
    assert [e["fraction"] for e in result.events if e["type"] == "progress"] == pytest.approx(
        [1 / 3, 2 / 3, 1.0]
    )
    again = await runner.call("/esrgan", payload)
    same = (spool / again.body["image"]["url"].removeprefix("impasto-spool://")).read_bytes()
    assert same == data
