from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image as PILModule

from impasto.apps.image_tools import ImageToolsApp
from impasto.runners.local import LocalRunner
from impasto.sdk import encode_data_uri
from tests.unit.apps.conftest import Start

pytestmark = pytest.mark.anyio


def _image_uri(size: tuple[int, int] = (100, 50), mode: str = "RGBA", fmt: str = "PNG") -> str:
    buffer = BytesIO()
    PILModule.new(mode, size, (10, 20, 30, 255)[: len(mode)]).save(buffer, format=fmt)
    return encode_data_uri(buffer.getvalue(), f"image/{fmt.lower()}")


def _spooled(runner: LocalRunner, spool: Path, body: dict[str, object]) -> PILModule.Image:
    image = body["image"]
    assert isinstance(image, dict)
    ref = str(image["url"])
    assert ref.startswith("impasto-spool://")
    path = spool / ref.removeprefix("impasto-spool://")
    assert path.stat().st_size == image["file_size"]
    opened = PILModule.open(BytesIO(path.read_bytes()))
    assert (opened.width, opened.height) == (image["width"], image["height"])
    return opened


async def test_resize_outputs_a_spooled_image(local_runner: Start, tmp_path: Path) -> None:
    runner = await local_runner(ImageToolsApp)
    result = await runner.call(
        "/resize", {"image": _image_uri(), "width": 40, "height": 30, "resample": "nearest"}
    )
    assert result.status == 200, result.body
    image = _spooled(runner, tmp_path / "spool", result.body)
    assert image.size == (40, 30)
    assert result.body["image"]["content_type"] == "image/png"
    [spooled] = result.result["files"]
    assert spooled["ref"] == result.body["image"]["url"]
    assert len(spooled["sha256"]) == 64


async def test_crop_inside_and_outside_the_image(local_runner: Start, tmp_path: Path) -> None:
    runner = await local_runner(ImageToolsApp)
    inside = await runner.call(
        "/crop", {"image": _image_uri(), "left": 10, "top": 5, "width": 20, "height": 15}
    )
    assert _spooled(runner, tmp_path / "spool", inside.body).size == (20, 15)
    outside = await runner.call(
        "/crop", {"image": _image_uri(), "left": 90, "top": 0, "width": 20, "height": 10}
    )
    assert outside.status == 422
    assert outside.body["detail"][0]["loc"] == ["body", "width"]
    assert "does not fit" in outside.body["detail"][0]["msg"]


async def test_convert_rgba_png_to_jpeg(local_runner: Start, tmp_path: Path) -> None:
    runner = await local_runner(ImageToolsApp)
    result = await runner.call("/convert", {"image": _image_uri(), "format": "jpeg", "quality": 70})
    assert result.body["image"]["content_type"] == "image/jpeg"
    assert result.body["image"]["file_name"].endswith(".jpg")
    assert _spooled(runner, tmp_path / "spool", result.body).format == "JPEG"


async def test_thumbnail_keeps_the_aspect_ratio(local_runner: Start, tmp_path: Path) -> None:
    runner = await local_runner(ImageToolsApp)
    result = await runner.call(
        "/thumbnail",
        {"image": _image_uri(fmt="WEBP", mode="RGB"), "max_width": 20, "max_height": 20},
    )
    image = _spooled(runner, tmp_path / "spool", result.body)
    assert image.size == (20, 10)
    assert image.format == "WEBP"


async def test_undecodable_or_bad_input_is_a_422(local_runner: Start) -> None:
    runner = await local_runner(ImageToolsApp)
    garbage = await runner.call(
        "/convert", {"image": encode_data_uri(b"not an image"), "format": "png"}
    )
    assert garbage.status == 422
    assert "could not decode" in garbage.body["detail"][0]["msg"]
    bad_format = await runner.call("/convert", {"image": _image_uri(), "format": "exr"})
    assert bad_format.status == 422
    assert bad_format.body["detail"][0]["loc"] == ["body", "format"]
    bad_uri = await runner.call(
        "/resize", {"image": "data:image/png;base64,!!", "width": 1, "height": 1}
    )
    assert bad_uri.status == 422
    assert bad_uri.body["detail"][0]["type"] == "file_download_error"


async def test_http_urls_go_through_the_injected_resolver(local_runner: Start) -> None:
    png = BytesIO()
    PILModule.new("RGB", (8, 8)).save(png, format="PNG")
    asked: list[str] = []

    async def resolver(url: str) -> bytes:
        asked.append(url)
        return png.getvalue()

    runner = await local_runner(ImageToolsApp, resolver=resolver)
    url = "https://files.example/in.png"
    result = await runner.call("/resize", {"image": url, "width": 4, "height": 4})
    assert result.status == 200, result.body
    assert asked == [url]
    assert result.body["image"]["width"] == 4

    unresolved = await local_runner(ImageToolsApp)
    refused = await unresolved.call("/resize", {"image": url, "width": 4, "height": 4})
    assert refused.status == 422
    assert refused.body["detail"][0]["type"] == "file_download_error"
