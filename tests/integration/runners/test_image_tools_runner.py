"""``impasto/image-tools`` in a real runner process: files in, spooled files out."""

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image as PILModule

from impasto.runners import RunRequest, replace_refs
from impasto.sdk import encode_data_uri
from tests.integration.runners.conftest import StartRunner

pytestmark = pytest.mark.anyio
IMAGE_TOOLS = "impasto.apps.image_tools:ImageToolsApp"


def _png(size: tuple[int, int]) -> bytes:
    buffer = BytesIO()
    PILModule.new("RGB", size, "blue").save(buffer, format="PNG")
    return buffer.getvalue()


async def test_resize_spools_the_output_image(start_runner: StartRunner, tmp_path: Path) -> None:
    fetched: list[tuple[str, str]] = []

    async def resolver(request_id: str, url: str) -> bytes:
        fetched.append((request_id, url))
        return _png((30, 30))

    runner = await start_runner(IMAGE_TOOLS, resolver=resolver)
    assert runner.manifest is not None
    assert runner.manifest.endpoint_ids("impasto") == [
        "impasto/image-tools/resize",
        "impasto/image-tools/crop",
        "impasto/image-tools/convert",
        "impasto/image-tools/thumbnail",
    ]
    payload = {"image": encode_data_uri(_png((64, 48)), "image/png"), "width": 32, "height": 24}
    outcome = await (await runner.submit(RunRequest("r-1", "/resize", payload))).outcome()
    assert outcome.status_code == 200, outcome.body
    [spooled] = outcome.files
    image = outcome.body["image"]
    assert image["url"] == spooled.ref
    data = (tmp_path / "spool" / spooled.path).read_bytes()
    assert len(data) == spooled.size == image["file_size"]
    assert PILModule.open(BytesIO(data)).size == (32, 24) == (image["width"], image["height"])
    stored = replace_refs(outcome.body, {spooled.ref: "https://files.example/out.png"})
    assert stored["image"]["url"] == "https://files.example/out.png"

    by_url = {"image": "https://files.example/in.png", "max_width": 10, "max_height": 10}
    thumb = await (await runner.submit(RunRequest("r-2", "/thumbnail", by_url))).outcome()
    assert fetched == [("r-2", "https://files.example/in.png")]  # fetched for its request
    assert (thumb.body["image"]["width"], thumb.body["image"]["height"]) == (10, 10)
