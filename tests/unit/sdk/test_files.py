import base64
from io import BytesIO

import pytest
from PIL import Image as PILModule
from pydantic import BaseModel, ValidationError

from impasto.sdk import (
    IMAGE_SIZE_PRESETS,
    Audio,
    FetchError,
    File,
    Image,
    ImageSize,
    RecordingSink,
    RequestContext,
    Video,
    decode_data_uri,
    encode_data_uri,
    get_image_size,
)
from impasto.sdk.context import bind_request, unbind_request


class Holder(BaseModel):
    file: File
    image: Image | None = None


def _png(width: int = 4, height: int = 3) -> bytes:
    buffer = BytesIO()
    PILModule.new("RGB", (width, height), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_output_json_has_fal_toolkit_fields_and_never_the_bytes() -> None:
    image = Image(
        url="https://cdn.example/x.png",
        content_type="image/png",
        file_name="x.png",
        file_size=10,
        width=2,
        height=3,
        file_data=b"secret",
    )
    assert image.model_dump(mode="json") == {
        "url": "https://cdn.example/x.png",
        "content_type": "image/png",
        "file_name": "x.png",
        "file_size": 10,
        "width": 2,
        "height": 3,
    }
    file = File(url="https://cdn.example/a.bin")
    assert file.model_dump(mode="json") == {
        "url": "https://cdn.example/a.bin",
        "content_type": None,
        "file_name": None,
        "file_size": None,
    }
    assert set(Video(url="https://v").model_dump()) == set(Audio(url="https://a").model_dump())


def test_inputs_accept_a_plain_url_or_the_object() -> None:
    held = Holder.model_validate(
        {"file": "https://example.com/a.txt", "image": {"url": "data:image/png;base64,AAAA"}}
    )
    assert held.file.url == "https://example.com/a.txt"
    assert held.image is not None
    assert held.image.url.startswith("data:")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://x/y", "relative/x", "javascript:1"])
def test_inputs_refuse_other_url_schemes(url: str) -> None:
    with pytest.raises(ValidationError, match="http, https or data"):
        Holder.model_validate({"file": url})


def test_schemas_mark_ui_widgets_and_accept_strings_on_input() -> None:
    validation = Holder.model_json_schema(mode="validation")
    image = validation["$defs"]["Image"]
    assert image["ui"] == {"field": "image"}
    assert image["anyOf"][0]["type"] == "string"
    serialization = Holder.model_json_schema(mode="serialization")
    file = serialization["$defs"]["File"]
    assert file["ui"] == {"field": "file"}
    assert file["type"] == "object"
    assert list(file["properties"]) == ["url", "content_type", "file_name", "file_size"]
    assert Video.model_json_schema(mode="serialization")["ui"] == {"field": "video"}
    assert Audio.model_json_schema(mode="serialization")["ui"] == {"field": "audio"}
    raw = File.model_json_schema(mode="validation")["anyOf"][1]["properties"]["file_data"]
    assert {"type": "string", "format": "binary"} in raw["anyOf"]


def test_from_bytes_keeps_the_data_pending() -> None:
    file = File.from_bytes(b"hello", file_name="greeting.txt")
    assert file.pending
    assert file.content_type == "text/plain"
    assert file.file_size == 5
    assert file.as_bytes() == b"hello"
    assert "file_data" not in file.model_dump()


def test_from_pil_records_format_and_size() -> None:
    image = Image.from_pil(PILModule.new("RGBA", (5, 7)))
    assert (image.content_type, image.width, image.height) == ("image/png", 5, 7)
    jpeg = Image.from_pil(PILModule.new("RGB", (2, 2)), format="JPG")
    assert jpeg.content_type == "image/jpeg"
    assert jpeg.to_pil().size == (2, 2)
    bare = Image.from_bytes(_png(), "png")
    assert bare.content_type == "image/png"


def test_data_uris_round_trip_and_bad_ones_are_explained() -> None:
    uri = encode_data_uri(b"\x00\x01", "application/x-test")
    assert decode_data_uri(uri) == (b"\x00\x01", "application/x-test")
    assert decode_data_uri("data:,a%20b") == (b"a b", None)
    with pytest.raises(FetchError, match="base64"):
        decode_data_uri("data:image/png;base64,***")
    with pytest.raises(FetchError, match="comma"):
        decode_data_uri("data:image/png;base64")


def test_reading_an_input_file_by_data_uri_and_through_the_context() -> None:
    png = _png()
    inline = Image.model_validate(f"data:image/png;base64,{base64.b64encode(png).decode()}")
    assert inline.to_pil().size == (4, 3)

    remote = File.model_validate("https://example.com/blob")
    with pytest.raises(FetchError, match="outside a request"):
        remote.as_bytes()
    sink = RecordingSink(fetcher=lambda url: url.encode())
    ctx = RequestContext(request_id="r1", endpoint="/", attempt=1, headers={}, sink=sink)
    token = bind_request(ctx)
    try:
        assert remote.as_bytes() == b"https://example.com/blob"
    finally:
        unbind_request(token)


def test_image_size_presets_and_limits() -> None:
    assert get_image_size("landscape_16_9") == ImageSize(width=1024, height=576)
    assert get_image_size(ImageSize(width=3, height=4)).width == 3
    assert set(IMAGE_SIZE_PRESETS) == {
        "square_hd",
        "square",
        "portrait_4_3",
        "portrait_16_9",
        "landscape_4_3",
        "landscape_16_9",
    }
    assert ImageSize() == ImageSize(width=512, height=512)
    with pytest.raises(ValidationError):
        ImageSize(width=0)
    with pytest.raises(ValidationError):
        ImageSize(height=14143)
    with pytest.raises(ValueError, match="preset"):
        get_image_size("huge")
